import { AppError, isAppError } from '@qt/shared';
import type { RequestContext } from '../context.ts';
import { resolveSession } from '../domains/accounts/resolve-session.ts';
import { authenticateApiKey } from '../domains/api-keys/authenticate-api-key.ts';
import { looksLikeApiKey } from './api-key-token.ts';
import type { Principal } from './principal.ts';
import { verifySessionToken } from './session-token.ts';

/**
 * The one place a credential becomes a principal. Bad credentials count against the caller's IP, and
 * an IP over the limit is refused before any lookup, so guessing keys costs the guesser, not the database.
 */
export async function authenticate(ctx: RequestContext): Promise<Principal> {
  const { deps, credential, ip } = ctx;
  if (!credential) {
    throw new AppError('AUTH_REQUIRED', 'Sign in, or send an API key as "Authorization: Bearer <key>".');
  }
  const limiter = deps.limiters.credential;
  const key = `ip:${ip}`;
  await limiter.check(key);
  try {
    if (looksLikeApiKey(credential)) return await authenticateApiKey(deps, credential);
    const claims = await verifySessionToken(credential, deps.sessionSecret, deps.clock.now());
    return await resolveSession(deps, claims);
  } catch (err) {
    // An expired session is normal life, not an attack: it does not count as a failure.
    if (isAppError(err) && err.code !== 'AUTH_SESSION_EXPIRED' && err.code.startsWith('AUTH_')) {
      await limiter.recordFailure(key);
    }
    throw err;
  }
}
