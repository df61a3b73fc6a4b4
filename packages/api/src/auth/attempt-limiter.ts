import { AppError } from '@qt/shared';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { RedisBuckets, type StoredValue } from '../limits/redis-buckets.ts';

/**
 * Limits authentication attempts (passwords, API keys, session tokens) per key (an IP, or an IP and an
 * email) and refuses further attempts once a key has used its budget. Backed by Redis when REDIS_URL is
 * set, so the limit holds across engine instances instead of multiplying by their number; in memory
 * otherwise (single instance, embedded default). Fails closed: if Redis is unreachable, auth is refused
 * with SERVICE_UNAVAILABLE rather than left unlimited.
 *
 * Gate with `reserve` BEFORE the expensive check, never with `check` + `recordFailure`: a check followed
 * by a later record lets N concurrent attempts all pass the check before any failure is recorded (150
 * passwords in one batched request all got through a limit of 10). `reserve` takes a point in one atomic
 * step (a Lua script in Redis, a synchronous update in memory), so at most `points` attempts per window
 * are ever evaluated, however many arrive at once. An attempt that turns out not to be a failure gives its
 * point back with `release` (or `reset`).
 */
export interface AttemptLimiter {
  /**
   * Takes one attempt from `key`'s budget; throws AUTH_TOO_MANY_ATTEMPTS when none is left. The point
   * stays taken (a failure) unless released. By default a refused reservation also blocks the key for
   * `blockSeconds`; with `{ block: false }` it does not (the refusal lasts only while the budget is
   * spent), and the key is blocked only by `Reservation.failed()`: for checks where good attempts are
   * common and in flight together (credentials), so points merely held by attempts that will succeed
   * never lock an address out.
   */
  reserve(key: string, opts?: ReserveOptions): Promise<Reservation>;
  /**
   * Throws AUTH_TOO_MANY_ATTEMPTS while `key` is blocked. Consumes nothing: for already verified callers.
   * `stored`: a read of `storeKeyOf(key)` made in another command of this call (sent after the call
   * arrived, so it sees every failure counted before, as a read of its own would), judged instead of
   * reading again; its rejection means the store could not be read (SERVICE_UNAVAILABLE, fail closed).
   */
  check(key: string, stored?: Promise<StoredValue>): Promise<void>;
  /** Where `key`'s count is stored in Redis, for a caller that reads it within a command of its own; null in memory. */
  storeKeyOf(key: string): string | null;
  /**
   * `check(key)` and a read of another key (the credential cache's generation) in ONE command; null when
   * the counts are in memory. `also` rejects when Redis could not be read.
   */
  checkReading(key: string, alsoKey: string): { checked: Promise<void>; also: Promise<string | null> } | null;
  /**
   * Records a failure that was not reserved; throws AUTH_TOO_MANY_ATTEMPTS when it crosses the limit.
   * Not a gate: only for counting events after the fact.
   */
  recordFailure(key: string): Promise<void>;
  /** Forgets all failures of `key` (after a success). */
  reset(key: string): Promise<void>;
}

export interface ReserveOptions {
  /** Block the key when this reservation is refused. Default true. */
  block?: boolean;
}

/** One reserved attempt. */
export interface Reservation {
  /**
   * Gives the point back: the attempt was not a failure (it succeeded, or could not be judged because a
   * dependency failed). Idempotent, and never throws: a point that cannot be given back (store down)
   * merely counts as a failure until its window ends.
   */
  release(): Promise<void>;
  /**
   * The attempt was a failure: the point stays taken, and if it was the last of the budget the key is
   * blocked for `blockSeconds`. Never throws (a block that cannot be stored still leaves the point).
   */
  failed(): Promise<void>;
}

export interface AttemptLimitOptions {
  /** Attempts allowed per window (reserved and not released). */
  points: number;
  windowSeconds: number;
  /** How long a key stays blocked after an attempt beyond the limit. */
  blockSeconds: number;
  keyPrefix: string;
}

type Limiter = RateLimiterMemory | RateLimiterRedis;

/**
 * A point is given back only while the window it was taken in still has this much left: giving it back
 * to a window that has since expired would start the next window at -1, one free attempt.
 */
const RELEASE_MARGIN_MS = 1_000;

function tooMany(res: RateLimiterRes): AppError {
  const retryAfterSeconds = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
  return new AppError(
    'AUTH_TOO_MANY_ATTEMPTS',
    `Too many failed attempts. Try again in ${retryAfterSeconds} s.`,
    { retryAfterSeconds },
  );
}

function storeDown(cause: unknown): AppError {
  return new AppError(
    'SERVICE_UNAVAILABLE',
    'Sign-in is briefly unavailable (rate-limit store unreachable). Try again shortly.',
    undefined,
    { cause },
  );
}

/** KEYS[1] the limiter's key, ARGV[1] the blocked count, ARGV[2] the block in ms. */
const BLOCK_SCRIPT = `
local v = tonumber(redis.call('GET', KEYS[1]) or '0')
if v < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

export function createAttemptLimiter(opts: AttemptLimitOptions, redis?: Redis): AttemptLimiter {
  // The library never blocks by itself (blockDuration 0): whether a refusal blocks depends on the call
  // (see `reserve`), so blocks are set here with `block()`. No in-memory block either: a point given
  // back must be usable again at once, which a local copy of the refusal would not know.
  const base = {
    keyPrefix: opts.keyPrefix,
    points: opts.points,
    duration: opts.windowSeconds,
    blockDuration: 0,
  };
  // RateLimiterRedis.consume is one Lua script (INCRBY + expiry + compare), so concurrent reservations on
  // every engine instance see distinct counts.
  const limiter: Limiter = redis
    ? new RateLimiterRedis({ ...base, storeClient: redis })
    : new RateLimiterMemory(base);

  // Reads of the count along with another key, in one command (the buckets' script, charging nothing).
  const reader = redis ? new RedisBuckets(redis) : null;

  /** A stored count (as `check` reads it): over the limit means blocked. */
  function judge(read: StoredValue): void {
    if (read.value === null) return;
    const consumed = Number.parseInt(read.value, 10);
    if (consumed > opts.points) {
      const res = new RateLimiterRes(0, read.pttlMs, consumed, false);
      throw tooMany(res);
    }
  }

  async function block(key: string): Promise<void> {
    try {
      if (redis) {
        // Not the library's block(): it SETs the count to points + 1, which erases the points of refused
        // attempts still in flight, whose give-backs (DECR) then take the count below the limit and let
        // extra attempts through (seen as 31 evaluated of 30 under load). Raise it to at least points + 1,
        // never lower, and hold it for the block, in one script.
        await redis.eval(
          BLOCK_SCRIPT,
          1,
          limiter.getKey(key),
          String(opts.points + 1),
          String(opts.blockSeconds * 1000),
        );
      } else {
        await limiter.block(key, opts.blockSeconds);
      }
    } catch {
      // Store unreachable: the spent budget still refuses until its window ends (fail closed).
    }
  }

  async function consume(key: string, blockOnRefusal: boolean): Promise<RateLimiterRes> {
    let refused: RateLimiterRes;
    try {
      return await limiter.consume(key, 1);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw storeDown(err);
      refused = err;
    }
    if (!blockOnRefusal) {
      // The refused attempt is not judged, so it must not count either: the count stays "failures plus
      // attempts in flight", which the in-flight ones bring back down when they succeed.
      try {
        await limiter.reward(key, 1);
      } catch {
        // Store unreachable: the point counts until its window ends (fail closed).
      }
      throw tooMany(refused);
    }
    await block(key);
    throw tooMany(new RateLimiterRes(0, opts.blockSeconds * 1000));
  }

  return {
    async reserve(key, reserveOpts = {}) {
      const res = await consume(key, reserveOpts.block ?? true);
      const windowEndsAt = Date.now() + res.msBeforeNext;
      let settled = false;
      return {
        async release() {
          if (settled) return;
          settled = true;
          if (res.msBeforeNext >= 0 && Date.now() > windowEndsAt - RELEASE_MARGIN_MS) return;
          try {
            await limiter.reward(key, 1);
          } catch {
            // Store unreachable: the point stays counted until its window ends (fail closed).
          }
        },
        async failed() {
          if (settled) return;
          settled = true;
          // consumedPoints counted this attempt: it used the last point, so the next would be refused.
          if (res.consumedPoints >= opts.points) await block(key);
        },
      };
    },
    async check(key, stored) {
      if (stored) {
        let read: StoredValue;
        try {
          read = await stored;
        } catch (err) {
          throw storeDown(err);
        }
        judge(read);
        return;
      }
      let res: RateLimiterRes | null;
      try {
        res = await limiter.get(key);
      } catch (err) {
        throw storeDown(err);
      }
      if (res && res.consumedPoints > opts.points) throw tooMany(res);
    },
    storeKeyOf(key) {
      return redis ? limiter.getKey(key) : null;
    },
    checkReading(key, alsoKey) {
      if (!reader) return null;
      const both = reader.read([limiter.getKey(key), alsoKey]);
      const checked = both.then(
        (r) => {
          const read = r[0];
          // A reply of another shape (a script changed under us) cannot be judged: the store is treated
          // as down (503, the read fallback), never as "not blocked".
          if (!read || typeof read !== 'object' || !('value' in read))
            throw storeDown(new Error('bad reply'));
          judge(read as StoredValue);
        },
        (err: unknown) => {
          throw storeDown(err);
        },
      );
      // Either may be left unread by a caller that failed on the other first.
      checked.catch(() => undefined);
      const also = both.then((r) => (r[1] as StoredValue).value);
      also.catch(() => undefined);
      return { checked, also };
    },
    async recordFailure(key) {
      await consume(key, true);
    },
    async reset(key) {
      try {
        await limiter.delete(key);
      } catch (err) {
        throw storeDown(err);
      }
    },
  };
}
