import { AMOUNT_SCALE, formatScaled, type OrderSide, parseScaled, pow10n } from '@qt/shared';

/**
 * The ticket's sizing helpers, exact on the decimal strings (bigint units of 10^-18): a size is always
 * rounded DOWN to the lot, so what the buttons propose can be afforded and is on the venue's grid.
 */

const ONE = pow10n(AMOUNT_SCALE);

/**
 * The taker fee the engine reserves on top of a buy's notional (10 bp on every venue by default), so a
 * "100%" buy asks for what the free balance can lock, fee reserve included, and is not refused for funds.
 */
export const BUY_FEE_RESERVE_BPS = 10n;

export const sizePercents = [25, 50, 75, 100] as const;

const units = (s: string) => parseScaled(s, AMOUNT_SCALE, 'floor');

function downToLot(quantity: bigint, lotSize: string): bigint {
  const lot = units(lotSize);
  if (lot <= 0n) return quantity;
  return quantity - (quantity % lot);
}

const positive = (q: bigint) => (q > 0n ? formatScaled(q, AMOUNT_SCALE) : null);

export interface PercentSizeInput {
  side: OrderSide;
  percent: number;
  /** Free balance of the quote asset (a buy spends it) and of the base asset (a sell spends it). */
  freeQuote: string;
  freeBase: string;
  /** The price a buy is sized at (its limit, or the best ask for a market buy); unused for a sell. */
  price: string | null;
  lotSize: string;
}

/**
 * `percent` of the free balance as a base quantity: a buy spends free quote / (price x (1 + fee
 * reserve)), a sell sells free base. Null when nothing (or nothing on the lot grid) can be sized.
 */
export function sizeForPercent(input: PercentSizeInput): string | null {
  if (!(input.percent > 0 && input.percent <= 100) || !Number.isInteger(input.percent)) return null;
  const pct = BigInt(input.percent);
  if (input.side === 'sell') return positive(downToLot((units(input.freeBase) * pct) / 100n, input.lotSize));
  if (!input.price) return null;
  const price = units(input.price);
  if (price <= 0n) return null;
  // quantity = freeQuote x pct / 100 / (price x (10 000 + bps) / 10 000), in units of 10^-18, floored.
  const numerator = units(input.freeQuote) * pct * 10_000n * ONE;
  const denominator = 100n * price * (10_000n + BUY_FEE_RESERVE_BPS);
  return positive(downToLot(numerator / denominator, input.lotSize));
}

/** A size typed in the quote currency (e.g. 500 USDT) as a base quantity at `price`, down to the lot. */
export function sizeFromQuote(quoteAmount: string, price: string | null, lotSize: string): string | null {
  if (!price) return null;
  const p = units(price);
  if (p <= 0n) return null;
  let amount: bigint;
  try {
    amount = units(quoteAmount);
  } catch {
    return null;
  }
  if (amount <= 0n) return null;
  return positive(downToLot((amount * ONE) / p, lotSize));
}
