import { z } from 'zod';
import { NUL_MESSAGE, withoutNul } from '../accounts/schemas.ts';
import { canonicalSymbol, klineInterval, venueId } from '../market/schemas.ts';
import { positiveDecimal } from '../trading/schemas.ts';

/**
 * The `strategies` and `backtests` API: what the dashboard and users' scripts send and receive. The
 * WebAssembly bytes cross as base64 (tRPC speaks JSON); the engine validates the module itself.
 */

const name = z.string().trim().min(1).max(60).refine(withoutNul, NUL_MESSAGE);
const asset = z.string().regex(/^[A-Z0-9]{1,20}$/, 'an asset code like USDT');

/** Strategy parameters: named numbers, as the ABI's init record carries them. */
export const strategyParams = z
  .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,31}$/, 'a parameter name like fast_period'), z.number())
  .refine((p) => Object.keys(p).length <= 32, 'at most 32 parameters')
  .refine((p) => Object.values(p).every(Number.isFinite), 'parameters must be finite numbers');
export type StrategyParams = z.infer<typeof strategyParams>;

export const instrumentRef = z.strictObject({ venue: venueId, symbol: canonicalSymbol });
export type InstrumentRef = z.infer<typeof instrumentRef>;

/** Candle intervals a strategy can run on (100ms is an opt-in feed detail, not a strategy interval). */
export const strategyInterval = klineInterval.exclude(['100ms']);
export type StrategyInterval = z.infer<typeof strategyInterval>;

/** ~16 MiB of wasm (the largest tier cap) as base64. */
const MAX_WASM_BASE64 = 22_400_000;

export const uploadStrategyInput = z.strictObject({
  /** A new strategy, or a new version of the tenant's strategy with this name. */
  name,
  description: z.string().max(500).refine(withoutNul, NUL_MESSAGE).optional(),
  wasmBase64: z
    .string()
    .min(8)
    .max(MAX_WASM_BASE64)
    .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64'),
});

export const createFromExampleInput = z.strictObject({
  name,
  example: z.string().regex(/^[a-z0-9-]{1,40}$/),
});

export const strategyIdInput = z.strictObject({ strategyId: z.uuid() });

export const exampleParamSchema = z.strictObject({
  name: z.string(),
  default: z.number(),
  min: z.number().nullable(),
  max: z.number().nullable(),
  description: z.string(),
});

export const strategyExampleSchema = z.strictObject({
  name: z.string(),
  title: z.string(),
  description: z.string(),
  params: z.array(exampleParamSchema),
});
export type StrategyExampleView = z.infer<typeof strategyExampleSchema>;

export const strategyVersionSchema = z.strictObject({
  id: z.uuid(),
  version: z.number().int().positive(),
  sizeBytes: z.number().int().nonnegative(),
  sha256: z.string(),
  /** `upload`, `editor` (compiled here from the browser editor), or `example:<name>`. */
  source: z.string(),
  /** The AssemblyScript it was compiled from is stored (editor saves and examples): it opens in the editor. */
  hasSource: z.boolean(),
  /** Which optional callbacks the module has (qt_on_trade, qt_on_fill, ...). */
  callbacks: z.array(z.string()),
  /** Declared maximum linear memory, in 64 KiB pages. */
  memoryPages: z.number().int().nonnegative(),
  createdAt: z.string(),
});
export type StrategyVersionView = z.infer<typeof strategyVersionSchema>;

export const strategySchema = z.strictObject({
  id: z.uuid(),
  name: z.string(),
  description: z.string(),
  /** Default parameters (from the example it was made from; empty for uploads). */
  defaultParams: z.record(z.string(), z.number()),
  versions: z.array(strategyVersionSchema),
  createdAt: z.string(),
});
export type StrategyView = z.infer<typeof strategySchema>;

export const deploymentState = z.enum(['starting', 'running', 'paused', 'stopped', 'failed']);
export type DeploymentState = z.infer<typeof deploymentState>;

export const deployInput = z.strictObject({
  strategyId: z.uuid(),
  /** Defaults to the latest version. */
  version: z.number().int().positive().optional(),
  accountId: z.uuid(),
  instruments: z.array(instrumentRef).min(1).max(10),
  interval: strategyInterval,
  params: strategyParams.default({}),
});
export type DeployInput = z.infer<typeof deployInput>;

export const deploymentIdInput = z.strictObject({ deploymentId: z.uuid() });

export const redeployInput = z.strictObject({
  deploymentId: z.uuid(),
  /** Defaults to the strategy's latest version. */
  version: z.number().int().positive().optional(),
  params: strategyParams.optional(),
});

export const deploymentMetricsSchema = z.strictObject({
  calls: z.number().int().nonnegative(),
  avgCallMicros: z.number().nonnegative(),
  maxCallMicros: z.number().nonnegative(),
  orders: z.number().int().nonnegative(),
  rejected: z.number().int().nonnegative(),
  fills: z.number().int().nonnegative(),
  traps: z.number().int().nonnegative(),
  droppedLogLines: z.number().int().nonnegative(),
});

export const deploymentSchema = z.strictObject({
  id: z.uuid(),
  strategyId: z.uuid(),
  strategyName: z.string(),
  version: z.number().int().positive(),
  accountId: z.uuid(),
  instruments: z.array(instrumentRef),
  interval: strategyInterval,
  params: z.record(z.string(), z.number()),
  state: deploymentState,
  /** Why it failed or stopped (a trap, the watchdog, a refused init, the user). */
  reason: z.string().nullable(),
  metrics: deploymentMetricsSchema,
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type DeploymentView = z.infer<typeof deploymentSchema>;

export const strategyLogLineSchema = z.strictObject({
  time: z.number(),
  level: z.enum(['debug', 'info', 'warn', 'error']),
  message: z.string(),
});
export type StrategyLogLineView = z.infer<typeof strategyLogLineSchema>;

export const backtestStatus = z.enum(['queued', 'running', 'completed', 'failed', 'cancelled']);
export type BacktestStatus = z.infer<typeof backtestStatus>;

export const runBacktestInput = z
  .strictObject({
    strategyId: z.uuid(),
    version: z.number().int().positive().optional(),
    instruments: z.array(instrumentRef).min(1).max(5),
    interval: strategyInterval,
    /**
     * `candles`: stored closed candles, each replayed as a synthetic intra-candle path; `trades`: the
     * stored trades themselves (exact fills; the strategy's candles are cut from them as live).
     */
    mode: z.enum(['candles', 'trades']).default('candles'),
    /** ms since epoch, [from, to). */
    from: z.number().int().nonnegative(),
    to: z.number().int().positive(),
    params: strategyParams.default({}),
    /** Starting balances; defaults to 10,000 of the quote currency. */
    initialBalances: z.record(asset, positiveDecimal).optional(),
    quoteCurrency: asset.default('USDT'),
  })
  .refine((b) => b.to > b.from, { path: ['to'], message: '`to` must be after `from`' });
export type RunBacktestInput = z.infer<typeof runBacktestInput>;

export const backtestIdInput = z.strictObject({ backtestId: z.uuid() });

/**
 * A remark on a backtest's figures: `RUN_TOO_SHORT` (annualised figures withheld), `RANGE_NOT_COVERED`,
 * `DATA_GAPS`, `NO_DATA`, `NO_ORDERS`, `LATE_FIRST_ORDER` (warm-up). `details` are plain numbers.
 */
export const backtestNoteSchema = z.strictObject({
  code: z.string(),
  message: z.string(),
  details: z.record(z.string(), z.number()),
});
export type BacktestNoteView = z.infer<typeof backtestNoteSchema>;

export const backtestMetricsSchema = z.strictObject({
  totalReturn: z.number().nullable(),
  cagr: z.number().nullable(),
  sharpe: z.number().nullable(),
  sortino: z.number().nullable(),
  maxDrawdown: z.number().nullable(),
  winRate: z.number().nullable(),
  profitFactor: z.number().nullable(),
  exposure: z.number().nullable(),
  /** Decimal strings in the quote currency. */
  startEquity: z.string(),
  endEquity: z.string(),
  fees: z.string(),
  orders: z.number().int().nonnegative(),
  fills: z.number().int().nonnegative(),
  rejections: z.number().int().nonnegative(),
  roundTrips: z.number().int().nonnegative(),
  candles: z.number().int().nonnegative(),
  /** Trades replayed (trades mode). */
  trades: z.number().int().nonnegative(),
  /** Why a figure is null (CAGR, Sharpe and Sortino need 30 days and 30 returns); absent on older runs. */
  notes: z.array(backtestNoteSchema).optional(),
});
export type BacktestMetricsView = z.infer<typeof backtestMetricsSchema>;

export const backtestSchema = z.strictObject({
  id: z.uuid(),
  strategyId: z.uuid(),
  strategyName: z.string(),
  version: z.number().int().positive(),
  instruments: z.array(instrumentRef),
  interval: strategyInterval,
  from: z.number(),
  to: z.number(),
  params: z.record(z.string(), z.number()),
  /** Equity and money metrics are in this asset. */
  quoteCurrency: z.string(),
  status: backtestStatus,
  /** 0..1 */
  progress: z.number().min(0).max(1),
  /**
   * While queued: 1 = starts next, 2 = after that, ... (tenants are served round robin, one running
   * backtest per tenant); null once it started or ended.
   */
  queuePosition: z.number().int().positive().nullable(),
  reason: z.string().nullable(),
  metrics: backtestMetricsSchema.nullable(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
});
export type BacktestView = z.infer<typeof backtestSchema>;

export const backtestFillSchema = z.strictObject({
  time: z.number(),
  venue: z.string(),
  symbol: z.string(),
  side: z.enum(['buy', 'sell']),
  price: z.string(),
  quantity: z.string(),
  fee: z.string(),
});

export const backtestOrderSchema = z.strictObject({
  time: z.number(),
  venue: z.string(),
  symbol: z.string(),
  side: z.enum(['buy', 'sell']),
  type: z.string(),
  quantity: z.string(),
  price: z.string().nullable(),
  status: z.string(),
  /** The risk or matcher code of a rejection, else null. */
  reason: z.string().nullable(),
});

/** One round trip (flat to flat); decimal strings in the quote currency, exact from the ledger. */
export const backtestTripSchema = z.strictObject({
  venue: z.string(),
  symbol: z.string(),
  side: z.enum(['long', 'short']),
  entryTime: z.number(),
  exitTime: z.number(),
  quantity: z.string(),
  entryPrice: z.string(),
  exitPrice: z.string(),
  /** Net of the trip's fees. */
  pnl: z.string(),
  /** pnl / quote paid to open, in percent (2 decimals); null without an opening amount. */
  pnlPercent: z.string().nullable(),
  fees: z.string(),
});
export type BacktestTripView = z.infer<typeof backtestTripSchema>;

/** The candles an instrument really gave the run (open times), against the requested range. */
export const backtestCoverageSchema = z.strictObject({
  venue: z.string(),
  symbol: z.string(),
  firstCandle: z.number().nullable(),
  lastCandle: z.number().nullable(),
  candles: z.number().int().nonnegative(),
  missing: z.number().int().nonnegative(),
  gaps: z.number().int().nonnegative(),
  largestGaps: z.array(
    z.strictObject({ from: z.number(), to: z.number(), missing: z.number().int().nonnegative() }),
  ),
});

/** What the report needs beside the curves: notes, coverage, warm-up, buy and hold, the trade table. */
export const backtestReportSchema = z.strictObject({
  notes: z.array(backtestNoteSchema),
  coverage: z.array(backtestCoverageSchema),
  /** Candles the strategy had seen when its first order went out; null without orders. */
  firstOrderAfterCandles: z.number().int().nonnegative().nullable(),
  /** The whole start equity held in the first instrument from the first open; no fees. */
  buyAndHold: z
    .strictObject({
      venue: z.string(),
      symbol: z.string(),
      startPrice: z.string(),
      endPrice: z.string(),
      startEquity: z.string(),
      endEquity: z.string(),
      /** [time, value]: numbers for drawing only. */
      curve: z.array(z.tuple([z.number(), z.number()])),
    })
    .nullable(),
  /** The first round trips (at most 5,000); `totals` cover all of them. */
  trips: z.array(backtestTripSchema),
  totals: z.strictObject({
    trips: z.number().int().nonnegative(),
    wins: z.number().int().nonnegative(),
    losses: z.number().int().nonnegative(),
    pnl: z.string(),
    fees: z.string(),
  }),
  /** Each instrument's price and quantity steps, to show prices and quantities at their precision. */
  instruments: z.array(
    z.strictObject({ venue: z.string(), symbol: z.string(), tickSize: z.string(), lotSize: z.string() }),
  ),
});
export type BacktestReportView = z.infer<typeof backtestReportSchema>;

/** The charts' data: equity and drawdown per bar (numbers: for drawing only), the orders and fills. */
export const backtestResultSchema = z.strictObject({
  backtest: backtestSchema,
  equity: z.array(z.tuple([z.number(), z.number()])),
  drawdown: z.array(z.tuple([z.number(), z.number()])),
  orders: z.array(backtestOrderSchema),
  fills: z.array(backtestFillSchema),
  /** Absent on runs stored before the report existed. */
  report: backtestReportSchema.optional(),
});
export type BacktestResultView = z.infer<typeof backtestResultSchema>;

export const backtestProgressSchema = z.strictObject({
  backtestId: z.uuid(),
  status: backtestStatus,
  progress: z.number().min(0).max(1),
  /** As in `backtestSchema`: the place in line while queued, else null. */
  queuePosition: z.number().int().positive().nullable(),
  reason: z.string().nullable(),
});
export type BacktestProgressView = z.infer<typeof backtestProgressSchema>;
