import { AMOUNT_SCALE, pow10n, type Tier } from '@qt/shared';

/**
 * The limits in effect for one account, inside the domain. Amounts are bigint units of 10^-AMOUNT_SCALE
 * of the instrument's quote currency; `null` means "no limit" and is allowed only where turning a check
 * off protects nobody else (see `riskLimitsSchema`).
 */
export interface RiskLimits {
  /** Largest notional of one order: quantity x (limit price, stop price or last price). */
  readonly maxOrderNotional: bigint | null;
  /**
   * Largest position per instrument, as notional (|base quantity| x the order's price), so one number
   * means the same on BTC and on DOGE. The quantity is the worst case: the position plus every open
   * order on the same side plus this order.
   */
  readonly maxPositionNotional: bigint | null;
  /** Open orders on the account, all instruments together. Never off: it bounds the matcher's memory. */
  readonly maxOpenOrders: number;
  /** Half-width of the fat-finger band around the reference price, in basis points (500 = ±5%). */
  readonly priceBandBps: number;
  /** Equity drop since 00:00 UTC, in bps of the day's starting capital, that makes it reduce-only. */
  readonly maxDailyLossBps: number | null;
  /** Orders per account in any 1 s window and in any 60 s window. Never off: it protects the platform. */
  readonly maxOrdersPerSecond: number;
  readonly maxOrdersPerMinute: number;
}

const units = (whole: bigint): bigint => whole * pow10n(AMOUNT_SCALE);

/**
 * Tier defaults. Notional amounts are in the instrument's quote currency and sized for USD-stable quotes
 * (USDT, USDC); the engine does not convert between quote currencies. Rate and open-order limits are also
 * the ceiling an override may not exceed (`checkOverridesForTier`): they protect the platform, not the
 * trader.
 *
 * | limit               | FREE   | PRO       | ENTERPRISE |
 * | ------------------- | ------ | --------- | ---------- |
 * | maxOrderNotional    | 10 000 | 250 000   | 2 500 000  |
 * | maxPositionNotional | 50 000 | 1 000 000 | 10 000 000 |
 * | maxOpenOrders       | 20     | 200       | 1 000      |
 * | priceBandBps        | 500    | 1 000     | 1 000      |
 * | maxDailyLossBps     | 1 000  | 2 000     | 3 000      |
 * | maxOrdersPerSecond  | 2      | 10        | 50         |
 * | maxOrdersPerMinute  | 30     | 300       | 1 500      |
 */
export const tierRiskDefaults: Readonly<Record<Tier, RiskLimits>> = {
  FREE: {
    maxOrderNotional: units(10_000n),
    maxPositionNotional: units(50_000n),
    maxOpenOrders: 20,
    priceBandBps: 500,
    maxDailyLossBps: 1_000,
    maxOrdersPerSecond: 2,
    maxOrdersPerMinute: 30,
  },
  PRO: {
    maxOrderNotional: units(250_000n),
    maxPositionNotional: units(1_000_000n),
    maxOpenOrders: 200,
    priceBandBps: 1_000,
    maxDailyLossBps: 2_000,
    maxOrdersPerSecond: 10,
    maxOrdersPerMinute: 300,
  },
  ENTERPRISE: {
    maxOrderNotional: units(2_500_000n),
    maxPositionNotional: units(10_000_000n),
    maxOpenOrders: 1_000,
    priceBandBps: 1_000,
    maxDailyLossBps: 3_000,
    maxOrdersPerSecond: 50,
    maxOrdersPerMinute: 1_500,
  },
};

/** An account's overrides: an absent key takes the tier default, `null` turns a nullable limit off. */
export type RiskLimitOverrides = { readonly [K in keyof RiskLimits]?: RiskLimits[K] };

/** The limits in effect: the tier default for every limit the account does not override. */
export function resolveRiskLimits(tier: Tier, overrides: RiskLimitOverrides = {}): RiskLimits {
  const base = tierRiskDefaults[tier];
  const pick = <K extends keyof RiskLimits>(key: K): RiskLimits[K] => {
    const value = overrides[key];
    return value === undefined ? base[key] : (value as RiskLimits[K]);
  };
  return {
    maxOrderNotional: pick('maxOrderNotional'),
    maxPositionNotional: pick('maxPositionNotional'),
    maxOpenOrders: pick('maxOpenOrders'),
    priceBandBps: pick('priceBandBps'),
    maxDailyLossBps: pick('maxDailyLossBps'),
    maxOrdersPerSecond: pick('maxOrdersPerSecond'),
    maxOrdersPerMinute: pick('maxOrdersPerMinute'),
  };
}
