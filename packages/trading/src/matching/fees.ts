import { AMOUNT_SCALE, parseScaled } from '@qt/shared';

/**
 * Maker/taker fee rates per venue and tier, in basis points (1 bp = 0.01%). Decimal strings or numbers
 * with at most 14 decimals ("7.5", 0.2); a negative maker rate is a rebate. The defaults are the
 * venues' published base spot tiers (Binance 10/10, OKX 8/10, Bybit 10/10); an unknown venue or tier
 * falls back to the venue's `default` tier, then to `DEFAULT_FEE_RATES`.
 */
export interface FeeRates {
  makerBps: string | number;
  takerBps: string | number;
}

export type FeeSchedule = Readonly<Record<string, Readonly<Record<string, FeeRates>>>>;

export const DEFAULT_FEE_RATES: FeeRates = { makerBps: 10, takerBps: 10 };

export const DEFAULT_FEE_SCHEDULE: FeeSchedule = {
  binance: { default: { makerBps: 10, takerBps: 10 } },
  okx: { default: { makerBps: 8, takerBps: 10 } },
  bybit: { default: { makerBps: 10, takerBps: 10 } },
};

/** A rate in units of 10^-18 of 1 (10 bps = 0.001 = 10^15 units): the ledger's `feeRate`. */
export interface ResolvedFeeRates {
  maker: bigint;
  taker: bigint;
}

export class FeeTable {
  readonly #schedule: FeeSchedule;
  readonly #cache = new Map<string, ResolvedFeeRates>();

  constructor(schedule: FeeSchedule = DEFAULT_FEE_SCHEDULE) {
    this.#schedule = schedule;
    // Parse everything once, so a typo fails at start-up rather than on the first fill.
    for (const tiers of Object.values(schedule)) for (const r of Object.values(tiers)) resolve(r);
  }

  rates(venue: string, tier: string): ResolvedFeeRates {
    const key = `${venue}\u0000${tier}`;
    let r = this.#cache.get(key);
    if (!r) {
      const tiers = this.#schedule[venue];
      r = resolve(tiers?.[tier] ?? tiers?.default ?? DEFAULT_FEE_RATES);
      this.#cache.set(key, r);
    }
    return r;
  }
}

/** bps -> fraction at 18 decimals: 1 bp = 10^-4, so bps parse at 18 - 4 decimals (exact up to 14). */
function resolve(r: FeeRates): ResolvedFeeRates {
  return {
    maker: parseScaled(String(r.makerBps), AMOUNT_SCALE - 4),
    taker: parseScaled(String(r.takerBps), AMOUNT_SCALE - 4),
  };
}
