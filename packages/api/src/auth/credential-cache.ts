import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Principal } from './principal.ts';

/**
 * Verified credentials (session tokens, API keys) -> their principal, for a few seconds, so a script
 * placing orders does not pay two database queries per call for the same key.
 *
 * What it never does is serve access that was taken away. Every entry carries the generation it was
 * verified under, and a change that can take access away (a key revoked, a member removed or demoted,
 * a tenant changed) calls `invalidate()`, which bumps the generation:
 * - in this process at once (a local epoch, and the map is cleared);
 * - across engine instances through Redis: the shared generation is read on every call (inside the
 *   command the call makes anyway: the request limiter's script, or the attempt limiter's read, so it
 *   adds no command) and `INCR`ed by `invalidate()`. A lookup that raced the change was stamped with the older generation and is never
 *   served after it. If Redis cannot be read, the cache is bypassed (the database decides), never trusted.
 * Entries also end with the credential (token or key expiry) and after `ttlMs`, which bounds what an
 * out-of-band database edit (not through a domain function) can leave cached.
 * Keys are SHA-256 of the credential, so the map holds no secrets.
 */
export interface CredentialCache {
  /**
   * The generation to stamp a lookup with, or null when the cache must not be used now. `remote`: a read
   * of `generationKey` sent by the caller within a command of its own, after the request arrived (so it
   * sees every change committed before, as a GET of this cache's would), used instead of a GET; its
   * rejection means Redis could not be read: the cache is bypassed, as with a failed GET.
   */
  generation(remote?: Promise<string | null>): Promise<string | null>;
  get(credential: string, generation: string, now: number): Principal | null;
  /** `validUntil`: when the credential itself expires (null: it does not). */
  put(
    credential: string,
    principal: Principal,
    generation: string,
    validUntil: number | null,
    now: number,
  ): void;
  /**
   * Call after committing a change that can take access away. `change` says whose access (so live
   * connections of other keys, people and tenants need no re-check); without it, anyone's may have.
   */
  invalidate(change?: CredentialChange): Promise<void>;
  /**
   * The changes published after generation `from` up to `to` (both from `generation()`), or null when
   * they are not all known (too old, Redis unreadable, another engine's format): then assume anything.
   */
  changesBetween(from: string, to: string): Promise<CredentialChange[] | null>;
  /**
   * The principal last verified for `credential`, whatever its generation (null when none or expired).
   * NOT an authorisation: only a hint (the request limiter starts its Redis call with it while the
   * credential is being checked); the caller must still authenticate.
   */
  peek(credential: string, now: number): Principal | null;
  /**
   * The Redis key of the shared generation (null: no Redis), for a caller that reads it inside a command
   * it makes anyway and hands the read to `generation(remote)`.
   */
  readonly generationKey: string | null;
  readonly size: number;
}

/**
 * Whose access a change may have taken away: every field given must match (an empty change matches
 * everyone). A key revoked: `{ apiKeyId, tenantId }`; a person signed out or reset: `{ userId }` (their
 * sessions and the keys they created); a tenant changed: `{ tenantId }`.
 */
export interface CredentialChange {
  apiKeyId?: string;
  userId?: string;
  tenantId?: string;
}

/** Who a live credential is, for matching against changes (from its last verification). */
export interface CredentialIdentity {
  apiKeyId: string | null;
  userId: string | null;
  tenantId: string;
}

export function changeConcerns(change: CredentialChange, who: CredentialIdentity): boolean {
  return (
    (change.apiKeyId === undefined || change.apiKeyId === who.apiKeyId) &&
    (change.userId === undefined || change.userId === who.userId) &&
    (change.tenantId === undefined || change.tenantId === who.tenantId)
  );
}

/** Changes remembered (in process and in Redis) for `changesBetween`; older ones mean "re-check all". */
export const CREDENTIAL_CHANGES_KEPT = 1024;

export interface CredentialCacheOptions {
  /** How long a verification is reused at most. Default 5 s. */
  ttlMs?: number;
  /** Entries kept at most (oldest dropped first). Default 10 000. */
  maxEntries?: number;
  /** Shared generation across engine instances; in-process only without it. */
  redis?: Redis;
  /** Redis key namespace (the engine's `redisKeyPrefix`). */
  keyPrefix?: string;
  onError?: (err: unknown, what: string) => void;
}

interface Entry {
  principal: Principal;
  generation: string;
  expiresAt: number;
}

const digest = (credential: string) => createHash('sha256').update(credential).digest('base64');

export function createCredentialCache(opts: CredentialCacheOptions = {}): CredentialCache {
  const ttlMs = opts.ttlMs ?? 5_000;
  const maxEntries = opts.maxEntries ?? 10_000;
  const redis = opts.redis;
  const redisKey = `${opts.keyPrefix ?? 'qt'}:auth:generation`;
  const changesKey = `${redisKey}:changes`;
  const entries = new Map<string, Entry>();
  let epoch = 0;
  /** This process's changes, by epoch (the newest `CREDENTIAL_CHANGES_KEPT`). */
  const localChanges: { epoch: number; change: CredentialChange }[] = [];

  return {
    get size() {
      return entries.size;
    },
    generationKey: redis ? redisKey : null,
    async generation(remote) {
      if (!redis) return String(epoch);
      const local = epoch;
      try {
        return `${local}:${(await (remote ?? redis.get(redisKey))) ?? '0'}`;
      } catch (err) {
        opts.onError?.(err, 'read the credential generation');
        return null;
      }
    },
    get(credential, generation, now) {
      const key = digest(credential);
      const e = entries.get(key);
      if (!e) return null;
      if (e.generation !== generation || e.expiresAt <= now) {
        entries.delete(key);
        return null;
      }
      return e.principal;
    },
    peek(credential, now) {
      const e = entries.get(digest(credential));
      return e && e.expiresAt > now ? e.principal : null;
    },
    put(credential, principal, generation, validUntil, now) {
      const expiresAt = Math.min(now + ttlMs, validUntil ?? Number.POSITIVE_INFINITY);
      if (expiresAt <= now) return;
      const key = digest(credential);
      entries.delete(key);
      entries.set(key, { principal, generation, expiresAt });
      // Map iteration is insertion order: the first key is the oldest verification.
      while (entries.size > maxEntries) {
        const oldest = entries.keys().next().value;
        if (oldest === undefined) break;
        entries.delete(oldest);
      }
    },
    async invalidate(change = {}) {
      epoch++;
      entries.clear();
      localChanges.push({ epoch, change });
      if (localChanges.length > CREDENTIAL_CHANGES_KEPT) localChanges.shift();
      if (!redis) return;
      try {
        // One atomic step: a reader that sees generation n also finds change n in the list.
        await redis.eval(
          PUBLISH_CHANGE,
          2,
          redisKey,
          changesKey,
          JSON.stringify(change),
          CREDENTIAL_CHANGES_KEPT,
        );
      } catch (err) {
        // Other instances keep their entries until `ttlMs` ends: say so loudly, the change itself stands.
        opts.onError?.(err, 'publish a credential invalidation');
      }
    },
    async changesBetween(from, to) {
      const a = parseGeneration(from);
      const b = parseGeneration(to);
      if (!a || !b || (a.remote === null) !== (b.remote === null)) return null;
      const changes: CredentialChange[] = [];
      if (b.local > a.local) {
        const local = localChanges.filter((c) => c.epoch > a.local && c.epoch <= b.local);
        if (local.length !== b.local - a.local) return null;
        for (const c of local) changes.push(c.change);
      }
      if (a.remote === null || b.remote === null || b.remote <= a.remote) return changes;
      if (!redis) return null;
      let raw: string[];
      try {
        raw = await redis.lrange(changesKey, 0, -1);
      } catch (err) {
        opts.onError?.(err, 'read the credential changes');
        return null;
      }
      let found = 0;
      for (const line of raw) {
        const space = line.indexOf(' ');
        const n = Number(line.slice(0, space));
        if (!(n > a.remote && n <= b.remote)) continue;
        try {
          changes.push(JSON.parse(line.slice(space + 1)) as CredentialChange);
          found++;
        } catch {
          return null;
        }
      }
      return found === b.remote - a.remote ? changes : null;
    },
  };
}

/** INCR the generation and append `<n> <change>` to the list, kept to its newest ARGV[2] entries. */
const PUBLISH_CHANGE = `
local n = redis.call('INCR', KEYS[1])
redis.call('RPUSH', KEYS[2], n .. ' ' .. ARGV[1])
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[2]), -1)
return n`;

function parseGeneration(g: string): { local: number; remote: number | null } | null {
  const [local, remote, ...rest] = g.split(':');
  const l = Number(local);
  const r = remote === undefined ? null : Number(remote);
  if (rest.length > 0 || !Number.isInteger(l) || (r !== null && !Number.isInteger(r))) return null;
  return { local: l, remote: r };
}
