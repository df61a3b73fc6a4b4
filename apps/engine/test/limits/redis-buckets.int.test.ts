import { randomBytes } from 'node:crypto';
import { RedisBuckets } from '@qt/api';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { bucketCases } from '../../../../packages/api/test/limits/bucket-cases.ts';

/**
 * The Lua GCRA script against the real Redis, with the same cases (and the same injected clock) as the
 * memory store: both stores compute the same arithmetic. Keys live under this file's own prefix.
 */
const url = process.env.REDIS_URL;
const prefix = `qt-test-${randomBytes(4).toString('hex')}:rl-cases`;

describe.runIf(url)('GCRA buckets in Redis (one script call per request)', () => {
  const redis = new Redis(url ?? '', { maxRetriesPerRequest: 1 });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  const prefixed = (store: RedisBuckets): RedisBuckets =>
    ({
      take: (keys: readonly string[], specs) =>
        store.take(
          keys.map((k) => `${prefix}:${k}`),
          specs,
        ),
    }) as RedisBuckets;
  bucketCases((clock) => prefixed(new RedisBuckets(redis, { nowMs: () => clock.now() })));

  it("uses Redis's own clock by default, and the keys expire once the bucket is full again", async () => {
    const store = new RedisBuckets(redis);
    const key = `${prefix}:expiry`;
    const spec = { emissionUs: 100_000, toleranceUs: 1_000_000, cost: 3 };
    const r = await store.take([key], [spec]);
    expect(r.allowed).toBe(true);
    expect(r.buckets[0]?.remaining).toBe(7);
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(300);
    expect(store.calls).toBe(1);
  });
});
