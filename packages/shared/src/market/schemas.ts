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

/**
 * What crosses the bus on `market.trades.<venue>.<symbol>`: the trades of one symbol that arrived
 * together (one venue frame, or the frames read in one event-loop turn), oldest first. Batching pays:
 * a JetStream publish costs the same round trip for one trade or a hundred (BENCHMARKS.md).
 */
export const tradeBatchSchema = z
  .strictObject({
    venue: venueId,
    symbol: canonicalSymbol,
    trades: z.array(tradeSchema).min(1).max(5_000),
  })
  .refine((b) => b.trades.every((t) => t.venue === b.venue && t.symbol === b.symbol), {
    message: 'every trade in a batch has the batch venue and symbol',
  });
export type TradeBatch = z.infer<typeof tradeBatchSchema>;

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

/** The venues with a connector; more come later. */
export const knownVenues = ['binance', 'okx', 'bybit'] as const;
export type KnownVenue = (typeof knownVenues)[number];

/** Best bid and ask as a venue reports them. */
export const quoteSchema = z.strictObject({
  venue: venueId,
  symbol: canonicalSymbol,
  bidPrice: decimalString,
  bidSize: decimalString,
  askPrice: decimalString,
  askSize: decimalString,
  exchangeTime: z.number().int().nonnegative(),
  receiveTime: z.number().int().nonnegative(),
  /** The venue's book update id where it has one (Binance `u`, OKX `seqId`, Bybit `u`). */
  updateId: z.string().max(40).optional(),
});
export type Quote = z.infer<typeof quoteSchema>;

/** One price level of an L2 book: canonical decimals (no trailing zeros). */
export const depthLevelSchema = z.strictObject({ price: decimalString, quantity: decimalString });
export type DepthLevel = z.infer<typeof depthLevelSchema>;

/**
 * A book's state: `synced` (in sync with the venue, served), `syncing` (waiting for a snapshot, first
 * start or after a resync), `stale` (was live, nothing arrived for too long). Only `synced` has levels.
 */
export const bookStatusSchema = z.enum(['syncing', 'synced', 'stale']);
export type BookStatus = z.infer<typeof bookStatusSchema>;

/**
 * The top of a venue's L2 book for one symbol (`market.depth.<venue>.<symbol>`, `market.depth`,
 * `market.onDepth`): best level first on each side. A book that is not `synced` carries no levels: a book
 * known to be wrong is never shown as live.
 */
export const depthSchema = z.strictObject({
  venue: venueId,
  symbol: canonicalSymbol,
  status: bookStatusSchema,
  bids: z.array(depthLevelSchema).max(1000),
  asks: z.array(depthLevelSchema).max(1000),
  /** When this state was taken (engine clock, ms). */
  at: z.number().int().nonnegative(),
  /** Times this book had to be rebuilt since the engine started (sequence gap, checksum, stale, ...). */
  resyncs: z.number().int().nonnegative(),
});
export type Depth = z.infer<typeof depthSchema>;

/** A tradable pair on a venue, with the precision every price and quantity must respect. */
export const instrumentSchema = z.strictObject({
  venue: venueId,
  symbol: canonicalSymbol,
  venueSymbol: z.string().min(1).max(40),
  base: z.string().min(1).max(20),
  quote: z.string().min(1).max(20),
  tickSize: decimalString,
  lotSize: decimalString,
  minNotional: decimalString,
  status: z.enum(['trading', 'halted']),
});
export type Instrument = z.infer<typeof instrumentSchema>;

export const feedStateSchema = z.enum([
  'connecting',
  'subscribing',
  'live',
  'stale',
  'reconnecting',
  'stopped',
]);
export type FeedState = z.infer<typeof feedStateSchema>;

/** One feed connection's health, as metrics, the API and the dashboard show it. */
export const feedStatusSchema = z.strictObject({
  venue: venueId,
  connectionId: z.string(),
  state: feedStateSchema,
  endpoint: z.string(),
  /** When the current state began (engine clock, ms). */
  since: z.number().int(),
  symbols: z.array(canonicalSymbol),
  /** Receive time minus exchange time of the latest trade, ms. */
  lagMs: z.number().nullable(),
  /** Messages per second over the last few seconds. */
  messageRate: z.number().nonnegative(),
  reconnects: z.number().int().nonnegative(),
  gaps: z.number().int().nonnegative(),
  duplicates: z.number().int().nonnegative(),
  malformed: z.number().int().nonnegative(),
  lastError: z.string().nullable(),
  /**
   * Where the data comes from: the venue itself or the bundled exchange simulator (MARKET_SOURCE=simulator),
   * so a screen never shows simulated prices as live ones. Optional: a feed reports it without knowing it;
   * the engine adds it.
   */
  source: z.enum(['venue', 'simulator']).optional(),
});
export type FeedStatus = z.infer<typeof feedStatusSchema>;
