import { describe, expect, it } from 'vitest';
import { DEPLOYMENT_LIMITS, MAX_ACTIONS_PER_CALL, TokenBucket, WindowCounter } from '../src/index.ts';

describe('deployment limits', () => {
  it('lets one full call of orders through on every tier, and is stricter on FREE', () => {
    for (const l of Object.values(DEPLOYMENT_LIMITS)) {
      expect(l.orderBurst).toBeGreaterThanOrEqual(MAX_ACTIONS_PER_CALL);
      expect(l.maxQueuedCandles).toBeLessThan(l.maxQueuedEvents);
      expect(l.timerBurst).toBeLessThanOrEqual(l.maxOutstandingTimers);
    }
    const { FREE, PRO, ENTERPRISE } = DEPLOYMENT_LIMITS;
    expect(FREE.maxOutstandingTimers).toBeLessThan(PRO.maxOutstandingTimers);
    expect(PRO.ordersPerSecond).toBeLessThan(ENTERPRISE.ordersPerSecond);
  });

  it('token bucket: a burst at once, then the sustained rate, all or nothing per take', () => {
    const bucket = new TokenBucket(20, 100, 0);
    expect(bucket.take(100, 0)).toBe(true);
    expect(bucket.take(1, 0)).toBe(false);
    // 50 ms at 20/s is one token.
    expect(bucket.take(2, 50)).toBe(false);
    expect(bucket.take(1, 50)).toBe(true);
    // A long quiet spell refills to the burst, never beyond it.
    expect(bucket.take(101, 60_000)).toBe(false);
    expect(bucket.take(100, 60_000)).toBe(true);
    // A clock that goes back adds nothing.
    expect(bucket.take(1, 30_000)).toBe(false);
  });

  it('window counter: exceeded only when more than the limit fall within the window', () => {
    const refused = new WindowCounter(3, 10_000);
    expect(refused.addAndExceeded(0)).toBe(false);
    expect(refused.addAndExceeded(1_000)).toBe(false);
    expect(refused.addAndExceeded(2_000)).toBe(false);
    expect(refused.addAndExceeded(9_999)).toBe(true); // four within 10 s
    // The first two have left the window: three in it.
    expect(refused.addAndExceeded(11_500)).toBe(false);
    expect(refused.addAndExceeded(11_600)).toBe(true);
  });

  it('window counter: a steady trickle under the limit is never exceeded, whatever its length', () => {
    const refused = new WindowCounter(100, 10_000);
    for (let t = 0; t < 1_000_000; t += 101) expect(refused.addAndExceeded(t)).toBe(false);
  });
});
