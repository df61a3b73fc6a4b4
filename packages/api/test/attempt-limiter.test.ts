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
