import { AppError } from '@qt/shared';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

/**
 * Caps how often an action may be requested per key (an IP, an email address, or one global key),
 * successful or not: sign-ups, verification resends, password-reset requests. Unlike the failed-attempt
 * limiter, every request spends a point, and it spends it before any work is done (`consume` is one
 * atomic step in Redis and in memory), so concurrent requests cannot all pass a check before any is
 * counted. Redis when configured (the cap holds across engine instances), memory otherwise. Fails closed.
 */
export interface RequestThrottle {
  /** Spends one point of `key`; throws RATE_LIMITED when none is left. */
  take(key: string): Promise<void>;
  /** Spends one point of `key` if one is left; false (nothing thrown) when none is. */
  tryTake(key: string): Promise<boolean>;
}

export interface RequestThrottleOptions {
  /** Requests allowed per window. */
  points: number;
  windowSeconds: number;
  keyPrefix: string;
  /** What is being limited, for the message ("sign-ups from this address"). */
  what: string;
}

export function createRequestThrottle(opts: RequestThrottleOptions, redis?: Redis): RequestThrottle {
  const base = { keyPrefix: opts.keyPrefix, points: opts.points, duration: opts.windowSeconds };
  const limiter = redis
    ? new RateLimiterRedis({ ...base, storeClient: redis, inMemoryBlockOnConsumed: opts.points + 1 })
    : new RateLimiterMemory(base);

  async function consume(key: string): Promise<RateLimiterRes | null> {
    try {
      await limiter.consume(key, 1);
      return null;
    } catch (err) {
      if (err instanceof RateLimiterRes) return err;
      throw new AppError(
        'SERVICE_UNAVAILABLE',
        'This is briefly unavailable (rate-limit store unreachable). Try again shortly.',
        undefined,
        { cause: err },
      );
    }
  }

  return {
    async take(key) {
      const refused = await consume(key);
      if (!refused) return;
      const retryAfterSeconds = Math.max(1, Math.ceil(refused.msBeforeNext / 1000));
      throw new AppError('RATE_LIMITED', `Too many ${opts.what}. Try again in ${retryAfterSeconds} s.`, {
        retryAfterSeconds,
      });
    },
    async tryTake(key) {
      return (await consume(key)) === null;
    },
  };
}
