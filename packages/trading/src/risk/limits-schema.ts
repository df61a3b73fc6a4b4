import { AMOUNT_SCALE, AppError, formatScaled, parseScaled, positiveDecimal, type Tier } from '@qt/shared';
import { z } from 'zod';
import { type RiskLimitOverrides, type RiskLimits, tierRiskDefaults } from './limits.ts';

const bps = z.number().int().min(1).max(10_000);
const count = z.number().int().min(1).max(1_000_000);

/**
 * The risk `update` API's input: the account's overrides, replacing the previous ones (an absent field
 * goes back to the tier default). Amounts are decimal strings in the quote currency, counts and basis
 * points are integers. `null` ("no limit") is accepted only for the limits that protect the trader alone:
 * order notional, position notional and daily loss. The price band, open orders and order rate are always
 * on; a band of 10 000 bps (±100%) is as wide as it goes.
 */
export const riskLimitsSchema = z.strictObject({
  maxOrderNotional: positiveDecimal.nullable().optional(),
  maxPositionNotional: positiveDecimal.nullable().optional(),
  maxOpenOrders: count.optional(),
  priceBandBps: bps.optional(),
  maxDailyLossBps: bps.nullable().optional(),
  maxOrdersPerSecond: count.optional(),
  maxOrdersPerMinute: count.optional(),
});
export type RiskLimitsInput = z.infer<typeof riskLimitsSchema>;

const amount = (s: string | null | undefined): bigint | null | undefined =>
  s === undefined || s === null ? s : parseScaled(s, AMOUNT_SCALE);

/** The validated input as domain overrides (amounts to bigint units). */
export function toRiskLimitOverrides(input: RiskLimitsInput): RiskLimitOverrides {
  const out: { -readonly [K in keyof RiskLimits]?: RiskLimits[K] } = {};
  const orderNotional = amount(input.maxOrderNotional);
  const positionNotional = amount(input.maxPositionNotional);
  if (orderNotional !== undefined) out.maxOrderNotional = orderNotional;
  if (positionNotional !== undefined) out.maxPositionNotional = positionNotional;
  if (input.maxOpenOrders !== undefined) out.maxOpenOrders = input.maxOpenOrders;
  if (input.priceBandBps !== undefined) out.priceBandBps = input.priceBandBps;
  if (input.maxDailyLossBps !== undefined) out.maxDailyLossBps = input.maxDailyLossBps;
  if (input.maxOrdersPerSecond !== undefined) out.maxOrdersPerSecond = input.maxOrdersPerSecond;
  if (input.maxOrdersPerMinute !== undefined) out.maxOrdersPerMinute = input.maxOrdersPerMinute;
  return out;
}

/** The overrides back as API input (for storing them as JSON and showing them in the form). */
export function toRiskLimitsInput(overrides: RiskLimitOverrides): RiskLimitsInput {
  const str = (v: bigint | null | undefined) =>
    v === undefined || v === null ? v : formatScaled(v, AMOUNT_SCALE);
  return riskLimitsSchema.parse({
    maxOrderNotional: str(overrides.maxOrderNotional),
    maxPositionNotional: str(overrides.maxPositionNotional),
    maxOpenOrders: overrides.maxOpenOrders,
    priceBandBps: overrides.priceBandBps,
    maxDailyLossBps: overrides.maxDailyLossBps,
    maxOrdersPerSecond: overrides.maxOrdersPerSecond,
    maxOrdersPerMinute: overrides.maxOrdersPerMinute,
  });
}

/** Limits that protect the platform: an override may lower them, never raise them above the tier's. */
const platformLimits = ['maxOpenOrders', 'maxOrdersPerSecond', 'maxOrdersPerMinute'] as const;

/**
 * Why these overrides are not allowed on this tier, or null when they are. Trader-protection limits may
 * be raised freely; platform-protection limits only up to the tier default.
 */
export function checkOverridesForTier(tier: Tier, overrides: RiskLimitOverrides): AppError | null {
  const ceiling = tierRiskDefaults[tier];
  const issues = platformLimits.flatMap((key) => {
    const value = overrides[key];
    return value !== undefined && value > ceiling[key]
      ? [{ path: key, message: `The ${tier} plan allows at most ${ceiling[key]}.` }]
      : [];
  });
  if (issues.length === 0) return null;
  const list = issues.map((i) => `${i.path}: ${i.message}`).join(' ');
  return new AppError(
    'VALIDATION_FAILED',
    `${list} Lower the value, or upgrade the plan to raise the ceiling.`,
    { issues },
  );
}
