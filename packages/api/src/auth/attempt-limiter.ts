import { AppError } from '@qt/shared';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

/**
 * Counts failed authentication attempts (wrong password, unknown or revoked API key) per key (an IP, or
 * an IP and an email) and refuses further attempts once a key has failed too often. Backed by Redis when
 * REDIS_URL is set, so the limit holds across engine instances instead of multiplying by their number;
 * in memory otherwise (single instance, embedded default). Fails closed: if Redis is unreachable, auth is
 * refused with SERVICE_UNAVAILABLE rather than left unlimited.
 */
export interface AttemptLimiter {
  /** Throws AUTH_TOO_MANY_ATTEMPTS while `key` is blocked. */
  check(key: string): Promise<void>;
  /** Records a failure; throws AUTH_TOO_MANY_ATTEMPTS when this failure crosses the limit. */
  recordFailure(key: string): Promise<void>;
  /** Forgets failures after a success. */
  reset(key: string): Promise<void>;
}

export interface AttemptLimitOptions {
  /** Failures allowed per window. */
  points: number;
  windowSeconds: number;
  /** How long a key stays blocked after the limit. */
  blockSeconds: number;
  keyPrefix: string;
}

type Limiter = RateLimiterMemory | RateLimiterRedis;

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
  const limiter: Limiter = redis
    ? new RateLimiterRedis({ ...base, storeClient: redis, inMemoryBlockOnConsumed: opts.points + 1 })
    : new RateLimiterMemory(base);

  return {
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
      try {
        await limiter.consume(key, 1);
      } catch (err) {
        if (err instanceof RateLimiterRes) throw tooMany(err);
        throw storeDown(err);
      }
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
