import { AppError } from '@qt/shared';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

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
   * Takes one attempt from `key`'s budget; throws AUTH_TOO_MANY_ATTEMPTS (and blocks the key for
   * `blockSeconds`) when none is left. The point stays taken (a failure) unless released.
   */
  reserve(key: string): Promise<Reservation>;
  /** Throws AUTH_TOO_MANY_ATTEMPTS while `key` is blocked. Consumes nothing: for already verified callers. */
  check(key: string): Promise<void>;
  /**
   * Records a failure that was not reserved; throws AUTH_TOO_MANY_ATTEMPTS when it crosses the limit.
   * Not a gate: only for counting events after the fact.
   */
  recordFailure(key: string): Promise<void>;
  /** Forgets all failures of `key` (after a success). */
  reset(key: string): Promise<void>;
}

/** One reserved attempt. */
export interface Reservation {
  /**
   * Gives the point back: the attempt was not a failure (it succeeded, or could not be judged because a
   * dependency failed). Idempotent, and never throws: a point that cannot be given back (store down)
   * merely counts as a failure until its window ends.
   */
  release(): Promise<void>;
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

export function createAttemptLimiter(opts: AttemptLimitOptions, redis?: Redis): AttemptLimiter {
  const base = {
    keyPrefix: opts.keyPrefix,
    points: opts.points,
    duration: opts.windowSeconds,
    blockDuration: opts.blockSeconds,
  };
  // RateLimiterRedis.consume is one Lua script (INCRBY + expiry + compare), so concurrent reservations on
  // every engine instance see distinct counts; the in-memory block spares Redis while a key is blocked.
  const limiter: Limiter = redis
    ? new RateLimiterRedis({ ...base, storeClient: redis, inMemoryBlockOnConsumed: opts.points + 1 })
    : new RateLimiterMemory(base);

  async function consume(key: string): Promise<RateLimiterRes> {
    try {
      return await limiter.consume(key, 1);
    } catch (err) {
      if (err instanceof RateLimiterRes) throw tooMany(err);
      throw storeDown(err);
    }
  }

  return {
    async reserve(key) {
      const res = await consume(key);
      const windowEndsAt = Date.now() + res.msBeforeNext;
      let released = false;
      return {
        async release() {
          if (released) return;
          released = true;
          if (res.msBeforeNext >= 0 && Date.now() > windowEndsAt - RELEASE_MARGIN_MS) return;
          try {
            await limiter.reward(key, 1);
          } catch {
            // Store unreachable: the point stays counted until its window ends (fail closed).
          }
        },
      };
    },
    async check(key) {
      let res: RateLimiterRes | null;
      try {
        res = await limiter.get(key);
      } catch (err) {
        throw storeDown(err);
      }
      if (res && res.consumedPoints > opts.points) throw tooMany(res);
    },
    async recordFailure(key) {
      await consume(key);
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
