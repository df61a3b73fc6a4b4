import { MAX_PROCEDURE_WEIGHT, PROCEDURE_WEIGHTS, TIER_RATES, tierLimitOverridesSchema } from '@qt/shared';
import { describe, expect, it } from 'vitest';
import { bucketSpec, burstOf } from '../../src/limits/gcra.ts';

/**
 * A call heavier than its bucket's burst could never pass: a contract may not set such a burst, and the
 * Redis-down fallback (a fraction of the tier) never scales a burst below the heaviest call.
 */
describe('bursts hold the heaviest call', () => {
  it('refuses a contract request budget whose burst is below the heaviest weight', () => {
    const budget = { limit: 600, windowSeconds: 60 };
    const low = tierLimitOverridesSchema.safeParse({
      perKey: { ...budget, burst: MAX_PROCEDURE_WEIGHT - 1 },
    });
    expect(low.success).toBe(false);
    expect(low.error?.issues[0]?.path).toEqual(['perKey', 'burst']);
    expect(
      tierLimitOverridesSchema.safeParse({ perTenant: { ...budget, burst: MAX_PROCEDURE_WEIGHT } }).success,
    ).toBe(true);
    // The order budget is charged 1 per order: a burst of 1 is a valid (strict) contract there.
    expect(tierLimitOverridesSchema.safeParse({ orders: { ...budget, burst: 1 } }).success).toBe(true);
  });

  it('the heaviest weight is the largest in the weights table, and every tier holds it', () => {
    expect(MAX_PROCEDURE_WEIGHT).toBe(Math.max(...Object.values(PROCEDURE_WEIGHTS)));
    for (const rates of Object.values(TIER_RATES)) {
      expect(rates.perKey.burst).toBeGreaterThanOrEqual(MAX_PROCEDURE_WEIGHT);
      expect(rates.perTenant.burst).toBeGreaterThanOrEqual(MAX_PROCEDURE_WEIGHT);
    }
  });

  it('the fallback fraction never floors a burst below the heaviest call', () => {
    const free = TIER_RATES.FREE.perKey;
    // 120 x 1/8 = 15 would refuse backtests.run (20) for as long as Redis is down.
    expect(burstOf(bucketSpec(free, 1, 1 / 8))).toBe(MAX_PROCEDURE_WEIGHT);
    expect(burstOf(bucketSpec(free, 1, 0.25))).toBe(30);
    expect(burstOf(bucketSpec(free, 1))).toBe(free.burst);
    // Never above the budget's own burst.
    expect(burstOf(bucketSpec({ limit: 10, windowSeconds: 60, burst: 5 }, 1, 0.1))).toBe(5);
  });

  it('usage.today is weighted as the heavy read it is', () => {
    expect(PROCEDURE_WEIGHTS['usage.today']).toBeGreaterThanOrEqual(20);
  });
});
