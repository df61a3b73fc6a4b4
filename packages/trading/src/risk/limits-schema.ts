import {
  AMOUNT_SCALE,
  AppError,
  formatScaled,
  parseScaled,
  type RiskLimitsInput,
  riskLimitsSchema,
  type Tier,
} from '@qt/shared';
import { type RiskLimitOverrides, type RiskLimits, tierRiskDefaults } from './limits.ts';

// The input schema is a contract of the API (it lives in `@qt/shared`); re-exported for the callers
// that name it from `@qt/trading`. The conversions to and from domain limits below are this package's.
export { type RiskLimitsInput, riskLimitsSchema };

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
