import { z } from 'zod';

/**
 * Prices and quantities cross the bus and the API as decimal strings, exactly as the venue printed
 * them, so no binary floating point touches them on the way (see README, "Money").
 */
export const decimalString = z.string().regex(/^-?\d{1,30}(\.\d{1,18})?$/, 'a decimal number as a string');

export const venueId = z.string().regex(/^[a-z][a-z0-9_-]{1,31}$/);
/** Canonical symbol `BASE-QUOTE`, upper case. */
export const canonicalSymbol = z.string().regex(/^[A-Z0-9]{1,20}-[A-Z0-9]{1,20}$/);
export const klineInterval = z.enum(['100ms', '1s', '1m', '5m', '15m', '1h', '4h', '1d']);
export type KlineInterval = z.infer<typeof klineInterval>;

/** A trade as every venue's connector normalises it. */
export const tradeSchema = z.strictObject({
  venue: venueId,
  symbol: canonicalSymbol,
  venueSymbol: z.string().min(1).max(40),
  tradeId: z.string().min(1).max(64),
  price: decimalString,
  quantity: decimalString,
  takerSide: z.enum(['buy', 'sell']),
  /** Exchange time, ms since epoch. */
  exchangeTime: z.number().int().nonnegative(),
  /** When our connector received it (engine clock), ms since epoch. */
  receiveTime: z.number().int().nonnegative(),
});
export type Trade = z.infer<typeof tradeSchema>;

export const klineSchema = z.strictObject({
  venue: venueId,
  symbol: canonicalSymbol,
  interval: klineInterval,
  openTime: z.number().int().nonnegative(),
  closeTime: z.number().int().nonnegative(),
  open: decimalString,
  high: decimalString,
  low: decimalString,
  close: decimalString,
  baseVolume: decimalString,
  quoteVolume: decimalString,
  takerBuyBaseVolume: decimalString,
  tradeCount: z.number().int().nonnegative(),
  /** False while the interval is still open (an update), true once it is cut. */
  closed: z.boolean(),
});
export type Kline = z.infer<typeof klineSchema>;
