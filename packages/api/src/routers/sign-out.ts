import { AppError } from '@qt/shared';
import { z } from 'zod';
import { revokeSessions } from '../auth/live-session.ts';
import { authedProcedure } from '../trpc.ts';

/**
 * `auth.signOut`: the dashboard calls it when a person signs out. Every engine session token of that
 * person issued so far is refused from now on, and their open WebSocket subscriptions end within a second
 * (AUTH_SESSION_REVOKED). API keys are not sessions: revoke them with `apiKeys.revoke`.
 */
export const signOutProcedure = authedProcedure
  .output(z.strictObject({ revokedAt: z.number().int() }))
  .mutation(({ ctx }) => {
    const { principal } = ctx;
    if (principal.via !== 'session' || !principal.userId) {
      throw new AppError(
        'AUTH_FORBIDDEN_SCOPE',
        'Only a dashboard session can sign out. To stop an API key working, revoke it in Settings.',
      );
    }
    return revokeSessions(ctx.deps, principal.userId);
  });
