import { describe, expect, it } from 'vitest';
import { resolveRiskLimits, tierRiskDefaults } from '../../src/risk/limits.ts';
import {
  checkOverridesForTier,
  riskLimitsSchema,
  toRiskLimitOverrides,
  toRiskLimitsInput,
} from '../../src/risk/limits-schema.ts';
import { u } from './fixtures.ts';

describe('tier defaults', () => {
  it('match the documented table', () => {
    expect(tierRiskDefaults).toEqual({
      FREE: {
        maxOrderNotional: u('10000'),
        maxPositionNotional: u('50000'),
        maxOpenOrders: 20,
        priceBandBps: 500,
        maxDailyLossBps: 1_000,
        maxOrdersPerSecond: 2,
        maxOrdersPerMinute: 30,
      },
      PRO: {
        maxOrderNotional: u('250000'),
        maxPositionNotional: u('1000000'),
        maxOpenOrders: 200,
        priceBandBps: 1_000,
        maxDailyLossBps: 2_000,
        maxOrdersPerSecond: 10,
        maxOrdersPerMinute: 300,
      },
      ENTERPRISE: {
        maxOrderNotional: u('2500000'),
        maxPositionNotional: u('10000000'),
        maxOpenOrders: 1_000,
        priceBandBps: 1_000,
        maxDailyLossBps: 3_000,
        maxOrdersPerSecond: 50,
        maxOrdersPerMinute: 1_500,
      },
    });
  });

  it('apply where the account overrides nothing', () => {
    expect(resolveRiskLimits('PRO')).toEqual(tierRiskDefaults.PRO);
    expect(resolveRiskLimits('FREE', {})).toEqual(tierRiskDefaults.FREE);
  });

  it('give way to overrides, and null turns a limit off', () => {
    const limits = resolveRiskLimits('FREE', {
      maxOrderNotional: u('500'),
      maxDailyLossBps: null,
      priceBandBps: 50,
    });
    expect(limits).toEqual({
      ...tierRiskDefaults.FREE,
      maxOrderNotional: u('500'),
      maxDailyLossBps: null,
      priceBandBps: 50,
    });
  });
});

describe('riskLimitsSchema (the update API)', () => {
  const rejects = (input: unknown) => expect(riskLimitsSchema.safeParse(input).success).toBe(false);

  it('accepts an empty update (back to the tier defaults) and any subset of overrides', () => {
    expect(riskLimitsSchema.parse({})).toEqual({});
    const input = {
      maxOrderNotional: '1500.25',
      maxPositionNotional: null,
      maxDailyLossBps: 250,
      maxOpenOrders: 5,
    };
    expect(riskLimitsSchema.parse(input)).toEqual(input);
  });

  it('rejects unknown fields', () => {
    rejects({ maxOrderNotional: '100', maxLeverage: 10 });
    rejects({ tier: 'ENTERPRISE' });
  });

  it('rejects bad decimals', () => {
    for (const bad of [
      '1e5',
      'abc',
      '',
      ' 100',
      '100 ',
      '-100',
      '0',
      '0.000',
      '.5',
      '5.',
      '+5',
      '1,000',
      '0.0000000000000000001',
    ])
      rejects({ maxOrderNotional: bad });
    rejects({ maxPositionNotional: 1000 }); // a number, not a decimal string
  });

  it('rejects bad counts and basis points', () => {
    for (const bad of [0, -1, 1.5, 10_001, '500']) rejects({ priceBandBps: bad });
    for (const bad of [0, 2.5, '10']) rejects({ maxOrdersPerSecond: bad });
  });

  it('accepts null only for the limits that protect the trader alone', () => {
    for (const key of ['maxOrderNotional', 'maxPositionNotional', 'maxDailyLossBps'])
      expect(riskLimitsSchema.safeParse({ [key]: null }).success).toBe(true);
    for (const key of ['maxOpenOrders', 'priceBandBps', 'maxOrdersPerSecond', 'maxOrdersPerMinute'])
      rejects({ [key]: null });
  });

  it('converts to domain overrides exactly and back', () => {
    const input = riskLimitsSchema.parse({
      maxOrderNotional: '0.000000000000000001',
      maxPositionNotional: null,
      maxOrdersPerMinute: 12,
    });
    const overrides = toRiskLimitOverrides(input);
    expect(overrides).toEqual({ maxOrderNotional: 1n, maxPositionNotional: null, maxOrdersPerMinute: 12 });
    expect(toRiskLimitsInput(overrides)).toEqual(input);
  });
});

describe('checkOverridesForTier', () => {
  it('lets any limit be lowered and trader-protection limits be raised', () => {
    expect(
      checkOverridesForTier('FREE', {
        maxOrdersPerSecond: 1,
        maxOrderNotional: u('1000000'),
        maxDailyLossBps: null,
      }),
    ).toBeNull();
  });

  it('refuses raising platform limits above the tier, saying how to get more', () => {
    const error = checkOverridesForTier('FREE', { maxOrdersPerSecond: 3, maxOpenOrders: 20 });
    expect(error?.code).toBe('VALIDATION_FAILED');
    expect(error?.message).toBe(
      'maxOrdersPerSecond: The FREE plan allows at most 2. Lower the value, or upgrade the plan to raise the ceiling.',
    );
    expect(checkOverridesForTier('ENTERPRISE', { maxOrdersPerSecond: 3 })).toBeNull();
  });
});
