import { z } from 'zod';
import { canonicalSymbol, klineInterval, venueId } from '../market/schemas.ts';
import type { HistoryScope } from './scopes.ts';

/** Milliseconds since the epoch (what every time in the API is). */
const epochMs = z.number().int().nonnegative().max(8_640_000_000_000_000);

export const coverageInput = z.strictObject({
  venue: venueId,
  symbol: canonicalSymbol,
  interval: klineInterval.exclude(['100ms', '1s']),
  from: epochMs,
  to: epochMs.optional(),
});
export type CoverageInput = z.infer<typeof coverageInput>;

const timeRange = z.object({ fromMs: z.number().int(), toMs: z.number().int() });
export const coverageSchema = z.object({
  venue: z.string(),
  symbol: z.string(),
  interval: z.string(),
  fromMs: z.number().int(),
  toMs: z.number().int(),
  stored: z.array(timeRange.extend({ candles: z.number().int() })),
  missing: z.array(timeRange),
  storedCandles: z.number().int(),
  expectedCandles: z.number().int(),
  truncated: z.boolean(),
});
export type CoverageView = z.infer<typeof coverageSchema>;

/** What a backfill fetches: 1m candles (coarser ones rolled up), or trades. */
export const backfillKind = z.enum(['candles', 'trades']);

export const backfillInput = z.strictObject({
  venue: venueId,
  symbol: canonicalSymbol,
  /**
   * Default candles. Trades: Binance aggTrades, OKX history-trades; Bybit serves only its newest trades
   * (the job's `completeFromMs` says from when on the range is complete).
   */
  kind: backfillKind.default('candles'),
  /** The interval wanted; 1m is fetched and the coarser ones (5m-1d) are rolled up from it. */
  interval: klineInterval.exclude(['100ms', '1s']).default('1m'),
  from: epochMs,
  /** Default now (the last closed minute). */
  to: epochMs.optional(),
});
export type BackfillInput = z.infer<typeof backfillInput>;

export const backfillJobSchema = z.object({
  id: z.string(),
  venue: z.string(),
  symbol: z.string(),
  kind: backfillKind,
  interval: z.string(),
  fromMs: z.number().int(),
  toMs: z.number().int(),
  cursorMs: z.number().int(),
  status: z.enum(['queued', 'running', 'done', 'failed', 'cancelled']),
  /** 0..10000 basis points. */
  progressBp: z.number().int(),
  /** Rows stored: candles, or trades for a trade job. */
  candlesWritten: z.number().int(),
  requests: z.number().int(),
  throttled: z.number().int(),
  error: z.string().nullable(),
  createdAt: z.number().int(),
  finishedAt: z.number().int().nullable(),
  /** Set when the venue could not serve the whole range (Bybit trades): complete from this time on. */
  completeFromMs: z.number().int().nullable(),
});
export type BackfillJobView = z.infer<typeof backfillJobSchema>;

export const jobsInput = z.strictObject({ limit: z.number().int().min(1).max(200).default(50) });

export const backfillProgressSchema = z.object({
  jobId: z.string(),
  venue: z.string(),
  symbol: z.string(),
  kind: backfillKind,
  status: backfillJobSchema.shape.status,
  progressBp: z.number().int(),
  cursorMs: z.number().int(),
  candlesWritten: z.number().int(),
  error: z.string().nullable(),
});
export type BackfillProgressView = z.infer<typeof backfillProgressSchema>;

/**
 * What the API needs from the engine's history backfill: coverage of stored candles, queuing a backfill
 * (the engine checks the venue and symbol it follows, the depth and the tenant's open-job cap), the
 * tenant's jobs, and their progress as it happens.
 */
export interface HistoryPort {
  coverage(scope: HistoryScope, input: CoverageInput): Promise<CoverageView>;
  backfill(scope: HistoryScope, input: BackfillInput): Promise<BackfillJobView>;
  jobs(scope: HistoryScope, limit: number): Promise<BackfillJobView[]>;
  /** The tenant's jobs' progress until `signal` aborts (bounded buffer: the newest per job wins). */
  progress(scope: HistoryScope, signal: AbortSignal): AsyncIterable<BackfillProgressView>;
}
