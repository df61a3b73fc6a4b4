import { describe, expect, it } from 'vitest';
import { createAttemptLimiter } from '../src/auth/attempt-limiter.ts';

describe('attempt limiter (memory)', () => {
  it('blocks a key after its failures pass the limit, and leaves other keys alone', async () => {
    const limiter = createAttemptLimiter({
      keyPrefix: `t${Math.random()}`,
      points: 3,
      windowSeconds: 60,
      blockSeconds: 60,
    });
    for (let i = 0; i < 3; i++) await limiter.recordFailure('a');
    await expect(limiter.check('a')).resolves.toBeUndefined();
    await expect(limiter.recordFailure('a')).rejects.toMatchObject({ code: 'AUTH_TOO_MANY_ATTEMPTS' });
    await expect(limiter.check('a')).rejects.toMatchObject({ code: 'AUTH_TOO_MANY_ATTEMPTS' });
    await expect(limiter.check('b')).resolves.toBeUndefined();
  });

  it('forgets failures on reset', async () => {
    const limiter = createAttemptLimiter({
      keyPrefix: `t${Math.random()}`,
      points: 1,
      windowSeconds: 60,
      blockSeconds: 60,
    });
    await limiter.recordFailure('a');
    await limiter.reset('a');
    await expect(limiter.recordFailure('a')).resolves.toBeUndefined();
  });
});

describe('attempt limiter reservations (memory)', () => {
  const make = (points: number) =>
    createAttemptLimiter({ keyPrefix: `t${Math.random()}`, points, windowSeconds: 60, blockSeconds: 60 });

  it('lets at most `points` of many concurrent reservations through', async () => {
    const limiter = make(10);
    const results = await Promise.allSettled(Array.from({ length: 150 }, () => limiter.reserve('a')));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused).toHaveLength(140);
    expect(refused.every((r) => (r.reason as { code: string }).code === 'AUTH_TOO_MANY_ATTEMPTS')).toBe(true);
    await expect(limiter.check('a')).rejects.toMatchObject({ code: 'AUTH_TOO_MANY_ATTEMPTS' });
  });

  it('gives a released attempt back, once', async () => {
    const limiter = make(2);
    const first = await limiter.reserve('a');
    await limiter.reserve('a');
    await first.release();
    await first.release();
    // One point back, not two: exactly one more reservation fits.
    await expect(limiter.reserve('a')).resolves.toBeDefined();
    await expect(limiter.reserve('a')).rejects.toMatchObject({ code: 'AUTH_TOO_MANY_ATTEMPTS' });
  });
});

describe('attempt limiter: blocking only on completed failures (memory)', () => {
  const make = (points: number) =>
    createAttemptLimiter({ keyPrefix: `t${Math.random()}`, points, windowSeconds: 60, blockSeconds: 60 });

  it('a refused non-blocking reservation does not block the key: points given back can be used again', async () => {
    const limiter = make(3);
    const held = await Promise.all([
      limiter.reserve('a', { block: false }),
      limiter.reserve('a', { block: false }),
    ]);
    const third = await limiter.reserve('a', { block: false });
    await expect(limiter.reserve('a', { block: false })).rejects.toMatchObject({
      code: 'AUTH_TOO_MANY_ATTEMPTS',
    });
    // Not blocked: the attempts in flight were good, and once they give their points back the key is usable.
    await limiter.check('a');
    await Promise.all([...held, third].map((r) => r.release()));
    await limiter.check('a');
    await expect(limiter.reserve('a', { block: false })).resolves.toBeDefined();
  });

  it('blocks the key when a failure used the last point', async () => {
    const limiter = make(2);
    const first = await limiter.reserve('a', { block: false });
    await first.failed();
    await limiter.check('a');
    const second = await limiter.reserve('a', { block: false });
    await second.failed();
    await expect(limiter.check('a')).rejects.toMatchObject({ code: 'AUTH_TOO_MANY_ATTEMPTS' });
    // Settled once: a release after failed() gives nothing back.
    await second.release();
    await expect(limiter.check('a')).rejects.toMatchObject({ code: 'AUTH_TOO_MANY_ATTEMPTS' });
  });
});
