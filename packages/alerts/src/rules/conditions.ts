import { compareDecimal, decimalString, klineInterval } from '@qt/shared';
import { z } from 'zod';

/** A non-negative decimal string (prices, bounds); the bus's own shape, so a trade price always parses. */
const price = decimalString.refine((s) => !s.startsWith('-'), 'a price is not negative');
/** A positive decimal with at most 8 decimals (percentages, volume factors). */
const positiveFactor = z
  .string()
  .regex(/^\d{1,12}(\.\d{1,8})?$/, 'a positive decimal number as a string, at most 8 decimals')
  .refine((s) => /[1-9]/.test(s), 'must be greater than zero');
const period = (min: number, fallback: number) => z.number().int().min(min).max(1_000).default(fallback);

const DAY_MS = 86_400_000;

/**
 * Price against a level, on every trade (or on each bar's close for a bar-close alert). With p0 the
 * previous price and p1 the current one: crossesUp is p0 < v <= p1, crossesDown is p0 > v >= p1 (touching
 * the level counts as reaching it, leaving it from exactly v does not count again), crosses is either;
 * above is p1 > v and below is p1 < v (levels: true for as long as they hold).
 */
export const priceConditionSchema = z.strictObject({
  kind: z.literal('price'),
  op: z.enum(['crosses', 'crossesUp', 'crossesDown', 'above', 'below']),
  value: price,
});

/** Enters: p0 outside [low, high] and p1 inside (bounds included); exits: the reverse. */
export const rangeConditionSchema = z
  .strictObject({
    kind: z.literal('range'),
    op: z.enum(['entersRange', 'exitsRange']),
    low: price,
    high: price,
  })
  .refine((c) => compareDecimal(c.low, c.high) < 0, { message: 'low must be below high', path: ['low'] });

/**
 * The price moved by at least `percent` within the trailing window (ts - windowMs, ts]: up is
 * (p - lowest) / lowest, down is (highest - p) / highest, both including the current trade. A level.
 */
export const percentMoveConditionSchema = z.strictObject({
  kind: z.literal('percentMove'),
  direction: z.enum(['up', 'down']),
  percent: positiveFactor,
  windowMs: z.number().int().min(1_000).max(DAY_MS),
});

/** At a bar's close: its base volume > factor x the mean volume of the `bars` bars before it. */
export const volumeSpikeConditionSchema = z.strictObject({
  kind: z.literal('volumeSpike'),
  interval: klineInterval,
  bars: z.number().int().min(1).max(500),
  factor: positiveFactor,
});

/** RSI against a level at bar close (crossing: previous and current bar on either side, as for prices). */
export const rsiConditionSchema = z.strictObject({
  kind: z.literal('rsi'),
  interval: klineInterval,
  period: period(2, 14),
  op: z.enum(['above', 'below', 'crossesUp', 'crossesDown']),
  value: z.number().min(0).max(100),
});

const crossOp = z.enum(['crosses', 'crossesUp', 'crossesDown']);

/** The MACD line crossing its signal line at bar close (up: MACD goes from below to at or above). */
export const macdCrossConditionSchema = z
  .strictObject({
    kind: z.literal('macdCross'),
    interval: klineInterval,
    fast: period(2, 12),
    slow: period(2, 26),
    signal: period(1, 9),
    op: crossOp,
  })
  .refine((c) => c.fast < c.slow, { message: 'fast must be smaller than slow', path: ['fast'] });

/** The bar's close crossing a Bollinger band (SMA, population deviation, TA-Lib's BBANDS). */
export const bbandsCrossConditionSchema = z.strictObject({
  kind: z.literal('bbandsCross'),
  interval: klineInterval,
  period: period(2, 20),
  stdDev: z.number().min(0.1).max(10).default(2),
  band: z.enum(['upper', 'middle', 'lower']),
  op: crossOp,
});

/** A fast EMA crossing a slow EMA at bar close. */
export const emaCrossConditionSchema = z
  .strictObject({
    kind: z.literal('emaCross'),
    interval: klineInterval,
    fast: period(2, 9),
    slow: period(2, 21),
    op: crossOp,
  })
  .refine((c) => c.fast < c.slow, { message: 'fast must be smaller than slow', path: ['fast'] });

export const marketLeafSchema = z.union([
  priceConditionSchema,
  rangeConditionSchema,
  percentMoveConditionSchema,
  volumeSpikeConditionSchema,
  rsiConditionSchema,
  macdCrossConditionSchema,
  bbandsCrossConditionSchema,
  emaCrossConditionSchema,
]);
export type MarketLeaf = z.infer<typeof marketLeafSchema>;

export type ConditionGroup = { kind: 'all' | 'any'; conditions: MarketCondition[] };
export type MarketCondition = MarketLeaf | ConditionGroup;

/** AND (`all`) / OR (`any`) of conditions on the alert's market, nested at most MAX_DEPTH deep. */
export const conditionGroupSchema: z.ZodType<ConditionGroup> = z.lazy(() =>
  z.strictObject({
    kind: z.enum(['all', 'any']),
    conditions: z.array(marketConditionSchema).min(1).max(MAX_LEAVES),
  }),
);
export const marketConditionSchema: z.ZodType<MarketCondition> = z.lazy(() =>
  z.union([marketLeafSchema, conditionGroupSchema]),
);

export const MAX_LEAVES = 16;
export const MAX_DEPTH = 4;

export const dataQualityEventKinds = [
  'feedStale',
  'gapDetected',
  'venueFailover',
  'deploymentFeedDegraded',
] as const;
export type DataQualityEventKind = (typeof dataQualityEventKinds)[number];

/**
 * Fires on data-quality events the engine reports (an event, not a level): any of `events`, narrowed to a
 * venue, a symbol or a deployment when given. `pauseDeployment` asks the engine to pause the deployment
 * while its feed is stale (the firing carries the request; the engine acts on it).
 */
export const dataQualityConditionSchema = z.strictObject({
  kind: z.literal('dataQuality'),
  events: z.array(z.enum(dataQualityEventKinds)).min(1).max(dataQualityEventKinds.length),
  venue: z
    .string()
    .regex(/^[a-z][a-z0-9_-]{1,31}$/)
    .optional(),
  symbol: z
    .string()
    .regex(/^[A-Z0-9]{1,20}-[A-Z0-9]{1,20}$/)
    .optional(),
  deploymentId: z.string().min(1).max(64).optional(),
  pauseDeployment: z.boolean().default(false),
});
export type DataQualityCondition = z.infer<typeof dataQualityConditionSchema>;

export const barLeafKinds = new Set(['volumeSpike', 'rsi', 'macdCross', 'bbandsCross', 'emaCross']);
