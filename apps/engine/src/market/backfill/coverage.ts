import { intervalMs } from '@qt/market-data';
import { AppError, type KlineInterval } from '@qt/shared';
import type pg from 'pg';

export interface TimeRange {
  /** Inclusive open time of the first candle. */
  fromMs: number;
  /** Exclusive: the open time after the last candle. */
  toMs: number;
}

export interface Coverage {
  venue: string;
  symbol: string;
  interval: KlineInterval;
  fromMs: number;
  toMs: number;
  /** Runs of consecutive stored candles, oldest first, with their candle count. */
  stored: Array<TimeRange & { candles: number }>;
  /** The parts of [fromMs, toMs) with no stored candle, oldest first. */
  missing: TimeRange[];
  /** Candles stored in the range, and candles the range holds. */
  storedCandles: number;
  expectedCandles: number;
  /** True when there were more runs than `maxRanges`: `stored` and `missing` stop at the last run returned. */
  truncated: boolean;
}

/** Runs returned at most: a range full of holes is summarised, not listed candle by candle. */
export const MAX_COVERAGE_RANGES = 1_000;
/** Candles one coverage query may scan (10 years of 1m is 5.3 M): a wider range is refused. */
export const MAX_COVERAGE_CANDLES = 6_000_000;

// The same plan-time-constant bound as the time-series queries (partition and chunk pruning).
const toTs = (param: string) =>
  `((timestamp 'epoch' + ${param}::bigint * interval '1 millisecond') AT TIME ZONE 'UTC')`;

/**
 * Stored and missing ranges of one series: gaps-and-islands over `market_klines` (open time minus
 * row number x interval is constant along a run of consecutive candles), read off the primary key's
 * index in one pass, at most `MAX_COVERAGE_RANGES` runs.
 */
export async function klineCoverage(
  pool: pg.Pool,
  q: { venue: string; symbol: string; interval: KlineInterval; fromMs: number; toMs: number },
): Promise<Coverage> {
  const len = intervalMs[q.interval];
  const fromMs = Math.ceil(q.fromMs / len) * len;
  const toMs = Math.ceil(q.toMs / len) * len;
  if (!(fromMs < toMs))
    throw new AppError('VALIDATION_FAILED', 'The coverage range is empty (from must be before to).');
  const expected = (toMs - fromMs) / len;
  if (expected > MAX_COVERAGE_CANDLES)
    throw new AppError(
      'VALUE_OUT_OF_RANGE',
      `A coverage query spans at most ${MAX_COVERAGE_CANDLES} candles; use a coarser interval or a shorter range.`,
      {
        candles: expected,
      },
    );
  const { rows } = await pool.query<{ first_ms: string; last_ms: string; n: string }>(
    `WITH k AS (
       SELECT t.open_time,
              t.open_time - (row_number() OVER (ORDER BY t.open_time))::bigint * ($4::bigint * interval '1 millisecond') AS run
         FROM market_klines t
        WHERE t.venue = $1 AND t.symbol = $2 AND t."interval" = $3
          AND t.open_time >= ${toTs('$5')} AND t.open_time < ${toTs('$6')})
     SELECT (extract(epoch FROM min(open_time)) * 1000)::bigint AS first_ms,
            (extract(epoch FROM max(open_time)) * 1000)::bigint AS last_ms, count(*) AS n
       FROM k GROUP BY run ORDER BY min(open_time) LIMIT $7`,
    [q.venue, q.symbol, q.interval, len, fromMs, toMs, MAX_COVERAGE_RANGES + 1],
  );
  const truncated = rows.length > MAX_COVERAGE_RANGES;
  const stored = rows.slice(0, MAX_COVERAGE_RANGES).map((r) => ({
    fromMs: Number(r.first_ms),
    toMs: Number(r.last_ms) + len,
    candles: Number(r.n),
  }));
  const missing: TimeRange[] = [];
  let next = fromMs;
  for (const s of stored) {
    if (s.fromMs > next) missing.push({ fromMs: next, toMs: s.fromMs });
    next = s.toMs;
  }
  if (!truncated && next < toMs) missing.push({ fromMs: next, toMs });
  return {
    venue: q.venue,
    symbol: q.symbol,
    interval: q.interval,
    fromMs,
    toMs,
    stored,
    missing,
    storedCandles: stored.reduce((n, s) => n + s.candles, 0),
    expectedCandles: expected,
    truncated,
  };
}
