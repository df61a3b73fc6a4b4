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
 * - across engine instances through Redis: the shared generation is read on every call (in parallel
 *   with the attempt limiter's own Redis read, so it adds no round trip to the latency) and `INCR`ed by
 *   `invalidate()`. A lookup that raced the change was stamped with the older generation and is never
 *   served after it. If Redis cannot be read, the cache is bypassed (the database decides), never trusted.
 * Entries also end with the credential (token or key expiry) and after `ttlMs`, which bounds what an
 * out-of-band database edit (not through a domain function) can leave cached.
 * Keys are SHA-256 of the credential, so the map holds no secrets.
 */
export interface CredentialCache {
  /** The generation to stamp a lookup with, or null when the cache must not be used now. */
  generation(): Promise<string | null>;
  get(credential: string, generation: string, now: number): Principal | null;
  /** `validUntil`: when the credential itself expires (null: it does not). */
  put(
    credential: string,
    principal: Principal,
    generation: string,
    validUntil: number | null,
    now: number,
  ): void;
  /** Call after committing a change that can take access away. */
  invalidate(): Promise<void>;
  readonly size: number;
}

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
  const entries = new Map<string, Entry>();
  let epoch = 0;

  return {
    get size() {
      return entries.size;
    },
    async generation() {
      if (!redis) return String(epoch);
      const local = epoch;
      try {
        return `${local}:${(await redis.get(redisKey)) ?? '0'}`;
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
    async invalidate() {
      epoch++;
      entries.clear();
      if (!redis) return;
      try {
        await redis.incr(redisKey);
      } catch (err) {
        // Other instances keep their entries until `ttlMs` ends: say so loudly, the change itself stands.
        opts.onError?.(err, 'publish a credential invalidation');
      }
    },
  };
}
