import { AppError, isAppError } from '@qt/shared';
import type { ApiDeps } from '../context.ts';
import { resolveSession } from '../domains/accounts/resolve-session.ts';
import { authenticateApiKey } from '../domains/api-keys/authenticate-api-key.ts';
import { looksLikeApiKey } from './api-key-token.ts';
import type { CredentialIdentity } from './credential-cache.ts';
import type { Principal } from './principal.ts';
import { type VerifiedSession, verifySessionToken } from './session-token.ts';

/**
 * Sessions that can be taken away while they are in use.
 *
 * Sign-out: engine session tokens are stateless (HS256, minted by the web server), so signing out records
 * `users.sessions_revoked_at`; a token issued at or before it is refused (AUTH_SESSION_REVOKED). It is
 * per person: signing out ends every dashboard session of that person (API keys are not affected).
 * Each change goes through the credential cache's `invalidate()`, which also tells every engine's
 * WebSocket server to re-check its live connections (`revalidateCredential`).
 */

/**
 * A verified session token -> its principal, refusing tokens of a web session that began (or, without
 * that claim, a token issued) at or before the person last signed out or reset their password.
 */
export async function resolveLiveSession(deps: ApiDeps, claims: VerifiedSession): Promise<Principal> {
  // In parallel: the revocation read adds no round trip to a verification.
  const [principal, user] = await Promise.all([
    resolveSession(deps, claims),
    deps.db.user.findUnique({ where: { id: claims.userId }, select: { sessionsRevokedAt: true } }),
  ]);
  const revokedAt = user?.sessionsRevokedAt?.getTime();
  if (revokedAt !== undefined && claims.sessionStartedAt <= revokedAt) {
    throw new AppError('AUTH_SESSION_REVOKED', 'You signed out of this session. Sign in again.');
  }
  return principal;
}

/**
 * Ends every engine session of `userId` issued up to now: tokens minted later (a new sign-in) work. Never
 * moves the instant backwards, so a late, retried sign-out cannot revive tokens a newer one refused.
 */
export async function revokeSessions(
  deps: ApiDeps,
  userId: string,
  why: 'sign-out' | 'password reset' = 'sign-out',
): Promise<{ revokedAt: number }> {
  const now = new Date(deps.clock.now());
  await deps.db.user.updateMany({
    where: { id: userId, OR: [{ sessionsRevokedAt: null }, { sessionsRevokedAt: { lt: now } }] },
    data: { sessionsRevokedAt: now },
  });
  // Only this person's live connections need a re-check (their sessions, and keys they created).
  await deps.credentialCache?.invalidate({ userId });
  deps.logger.info({ userId, why }, 'sessions revoked');
  return { revokedAt: now.getTime() };
}

/** The outcome of re-checking a live connection's credential. */
export interface Recheck {
  /** Why the credential no longer grants access, or null while it does. */
  reason: AppError | null;
  /** Who it is (when it still grants access), so later changes can be matched without a re-check. */
  identity: CredentialIdentity | null;
}

/**
 * Re-checks the credential of a live connection (after something somewhere took access away). Returns
 * the typed reason the connection must end with (or null while the credential still grants access) and
 * who the credential is. Bypasses the credential cache and the attempt limiter (this is the server
 * checking, not a guess), and ignores token expiry: expiry is enforced when a call or subscription
 * starts. A check that cannot be made (database down) keeps the connection: an outage is not a revocation.
 */
export async function revalidateCredential(deps: ApiDeps, credential: string): Promise<Recheck> {
  const identityOf = (p: Principal): CredentialIdentity => ({
    apiKeyId: p.apiKeyId,
    userId: p.userId,
    tenantId: p.tenant.id,
  });
  try {
    if (looksLikeApiKey(credential)) {
      const { principal } = await authenticateApiKey(deps, credential);
      return { reason: null, identity: identityOf(principal) };
    }
    const claims = await verifySessionToken(credential, deps.sessionSecret, deps.clock.now(), {
      ignoreExpiry: true,
    });
    try {
      return { reason: null, identity: identityOf(await resolveLiveSession(deps, claims)) };
    } catch (err) {
      // The token was good when the connection opened, so "no membership" now means the person was removed.
      if (isAppError(err) && err.code === 'AUTH_REQUIRED') {
        return {
          reason: new AppError('AUTH_MEMBERSHIP_REMOVED', 'You are no longer a member of this tenant.'),
          identity: null,
        };
      }
      throw err;
    }
  } catch (err) {
    if (isAppError(err) && err.code.startsWith('AUTH_')) return { reason: err, identity: null };
    deps.logger.warn(
      { err: err instanceof Error ? err.message : String(err) },
      'could not re-check a live connection',
    );
    return { reason: null, identity: null };
  }
}
