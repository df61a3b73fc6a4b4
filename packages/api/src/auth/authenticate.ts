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
 * A credential verified a moment ago is served from `deps.credentialCache` (see there for why that never
 * outlives a revocation); the limiter is consulted either way.
 */
export async function authenticate(ctx: RequestContext): Promise<Principal> {
  const { deps, credential, ip } = ctx;
  if (!credential) {
    throw new AppError('AUTH_REQUIRED', 'Sign in, or send an API key as "Authorization: Bearer <key>".');
  }
  const limiter = deps.limiters.credential;
  const key = `ip:${ip}`;
  const cache = deps.credentialCache;
  const [, generation] = await Promise.all([limiter.check(key), cache ? cache.generation() : null]);
  const now = deps.clock.now();
  if (cache && generation !== null) {
    const hit = cache.get(credential, generation, now);
    if (hit) return hit;
  }
  try {
    let principal: Principal;
    let validUntil: number | null;
    if (looksLikeApiKey(credential)) {
      const verified = await authenticateApiKey(deps, credential);
      principal = verified.principal;
      validUntil = verified.expiresAt;
    } else {
      const claims = await verifySessionToken(credential, deps.sessionSecret, now);
      principal = await resolveSession(deps, claims);
      validUntil = claims.expiresAt;
    }
    if (cache && generation !== null) cache.put(credential, principal, generation, validUntil, now);
    return principal;
  } catch (err) {
    // An expired session is normal life, not an attack: it does not count as a failure.
    if (isAppError(err) && err.code !== 'AUTH_SESSION_EXPIRED' && err.code.startsWith('AUTH_')) {
      await limiter.recordFailure(key);
    }
    throw err;
  }
}
