import { AppError, isAppError } from '@qt/shared';
import type { RequestContext } from '../context.ts';
import { authenticateApiKey } from '../domains/api-keys/authenticate-api-key.ts';
import type { StoredValue } from '../limits/redis-buckets.ts';
import { looksLikeApiKey } from './api-key-token.ts';
import { ipBucket } from './ip-bucket.ts';
import { resolveLiveSession } from './live-session.ts';
import type { Principal } from './principal.ts';
import { verifySessionToken } from './session-token.ts';

/** The attempt limiter's key for credential checks from `ip` (its address bucket). */
export function credentialAttemptKey(ip: string): string {
  return `ip:${ipBucket(ip)}`;
}

/**
 * What `authenticate` reads before anything else, read by the caller inside a command it sends anyway
 * (the request limiter's script), after the request arrived: the stored attempt count of the caller's
 * address (`deps.limiters.credential.storeKeyOf(credentialAttemptKey(ip))`) and the credential cache's
 * generation. A rejection means Redis could not be read, and is treated as a failed read of its own.
 */
export interface CredentialPreread {
  attempts: Promise<StoredValue>;
  generation: Promise<string | null>;
}

/**
 * The one place a credential becomes a principal. Bad credentials count against the caller's IP, and
 * an IP over the limit is refused before any lookup, so guessing keys costs the guesser, not the database.
 * A credential verified a moment ago is served from `deps.credentialCache` (see there for why that never
 * outlives a revocation); the limiter is consulted either way (a blocked address is refused even with a
 * good credential), and before the procedure runs.
 *
 * Round trips: the address's attempt count and the cache's generation are read in ONE Redis command,
 * the caller's (`preread`: the request limiter's script) or this function's own; so a warm credential
 * costs no command beyond the limiter's and no database query.
 */
export async function authenticate(ctx: RequestContext, preread?: CredentialPreread): Promise<Principal> {
  const { deps, credential, ip } = ctx;
  if (!credential) {
    throw new AppError('AUTH_REQUIRED', 'Sign in, or send an API key as "Authorization: Bearer <key>".');
  }
  const limiter = deps.limiters.credential;
  const key = credentialAttemptKey(ip);
  const cache = deps.credentialCache;
  let checked: Promise<void>;
  let remoteGeneration: Promise<string | null> | undefined;
  if (preread) {
    checked = limiter.check(key, preread.attempts);
    remoteGeneration = preread.generation;
  } else {
    const both = cache?.generationKey ? limiter.checkReading(key, cache.generationKey) : null;
    checked = both ? both.checked : limiter.check(key);
    remoteGeneration = both?.also;
  }
  const [, generation] = await Promise.all([checked, cache ? cache.generation(remoteGeneration) : null]);
  const now = deps.clock.now();
  if (cache && generation !== null) {
    const hit = cache.get(credential, generation, now);
    if (hit) return hit;
  }
  // Concurrent calls with one credential from one address share one verification (and one reserved
  // attempt): a script's burst of parallel calls must not use up the address's failure budget. Only
  // within one cache generation: a call arriving after a revocation never joins a lookup from before it.
  // The map holds only verifications in progress (bounded by the calls in flight).
  const pending = inFlight(deps);
  const flightKey = `${generation ?? '-'}\n${key}\n${credential}`;
  const joined = pending.get(flightKey);
  if (joined) return (await joined).principal;
  const verification = verify(ctx, credential, key, now);
  pending.set(flightKey, verification);
  try {
    const verified = await verification;
    // Only the caller that started the verification caches it: its generation was read before the
    // lookup began, so a change committed meanwhile is never stamped over (a joiner's might be newer).
    if (cache && generation !== null) {
      cache.put(credential, verified.principal, generation, verified.validUntil, now);
    }
    return verified.principal;
  } finally {
    pending.delete(flightKey);
  }
}

interface Verified {
  principal: Principal;
  validUntil: number | null;
}

const verifications = new WeakMap<RequestContext['deps'], Map<string, Promise<Verified>>>();
function inFlight(deps: RequestContext['deps']): Map<string, Promise<Verified>> {
  let map = verifications.get(deps);
  if (!map) {
    map = new Map();
    verifications.set(deps, map);
  }
  return map;
}

/** Credential checks one address may have running at once in this process; the rest wait their turn. */
export const MAX_CONCURRENT_CHECKS_PER_IP = 4;
/** Checks one address may have waiting for a turn; more are refused with RATE_LIMITED. */
export const MAX_WAITING_CHECKS_PER_IP = 256;

interface Gate {
  running: number;
  waiting: (() => void)[];
}
const gates = new WeakMap<RequestContext['deps'], Map<string, Gate>>();

/**
 * A turn to check a credential for `key`: at most MAX_CONCURRENT_CHECKS_PER_IP at once per address, so
 * the points held by checks in flight (which a good credential gives back) stay few and can never use up
 * the address's failure budget by themselves. The map holds only addresses with checks running.
 */
async function turn(deps: RequestContext['deps'], key: string): Promise<() => void> {
  let perKey = gates.get(deps);
  if (!perKey) {
    perKey = new Map();
    gates.set(deps, perKey);
  }
  let gate = perKey.get(key);
  if (!gate) {
    gate = { running: 0, waiting: [] };
    perKey.set(key, gate);
  }
  const g = gate;
  const map = perKey;
  if (g.running < MAX_CONCURRENT_CHECKS_PER_IP) {
    g.running += 1;
  } else {
    if (g.waiting.length >= MAX_WAITING_CHECKS_PER_IP) {
      throw new AppError('RATE_LIMITED', 'Too many credential checks from this address at once.', {
        retryAfterSeconds: 1,
      });
    }
    // The finishing check hands its turn over directly (running stays the same).
    await new Promise<void>((resolve) => g.waiting.push(resolve));
  }
  let done = false;
  return () => {
    if (done) return;
    done = true;
    const next = g.waiting.shift();
    if (next) {
      next();
      return;
    }
    g.running -= 1;
    if (g.running === 0) map.delete(key);
  };
}

/**
 * The attempt is reserved before the credential is looked at (one atomic step), so concurrent guesses
 * cannot all pass the limit before any failure is counted: at most the limit are ever judged. Good
 * credentials are common and arrive together (every sign-out anywhere empties every cache), so:
 * - checks from one address take turns (MAX_CONCURRENT_CHECKS_PER_IP), and a point held by a check in
 *   flight is given back when the credential is good;
 * - a refused reservation does not block the address; only a completed failure that used the last
 *   point does (`failed()`). So good credentials in flight can delay nobody for long, and lock out no one.
 */
async function verify(ctx: RequestContext, credential: string, key: string, now: number): Promise<Verified> {
  const { deps } = ctx;
  const done = await turn(deps, key);
  try {
    // No separate re-check after the wait: the reservation refuses a blocked address too (a block holds
    // the count above the limit, and a reservation is refused at the limit), in the same round trip.
    const attempt = await deps.limiters.credential.reserve(key, { block: false });
    try {
      if (looksLikeApiKey(credential)) {
        const verified = await authenticateApiKey(deps, credential);
        await attempt.release();
        return { principal: verified.principal, validUntil: verified.expiresAt };
      }
      const claims = await verifySessionToken(credential, deps.sessionSecret, now);
      const principal = await resolveLiveSession(deps, claims);
      await attempt.release();
      return { principal, validUntil: claims.expiresAt };
    } catch (err) {
      // An expired session is normal life, not an attack, and an error that is not about the credential
      // (database down) judged nothing: neither counts as a failure.
      if (isAppError(err) && err.code !== 'AUTH_SESSION_EXPIRED' && err.code.startsWith('AUTH_')) {
        await attempt.failed();
      } else {
        await attempt.release();
      }
      throw err;
    }
  } finally {
    done();
  }
}
