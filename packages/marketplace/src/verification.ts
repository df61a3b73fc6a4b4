import { isAppError, type StrategyInterval } from '@qt/shared';
import type { MarketplaceDeps } from './deps.ts';
import {
  type ListingRow,
  rowDefaults,
  rowInstruments,
  rowIntervals,
  rowTunable,
  SUMMARY_SELECT,
} from './listing-row.ts';
import { listingDefaultParams } from './params.ts';

/** Listings handled per pass (the rest wait for the next one, oldest first). */
export const VERIFY_BATCH = 50;
const DAY_MS = 86_400_000;

export const INTERVAL_MS: Readonly<Record<StrategyInterval, number>> = {
  '1s': 1_000,
  '1m': 60_000,
  '5m': 300_000,
  '15m': 900_000,
  '1h': 3_600_000,
  '4h': 14_400_000,
  '1d': 86_400_000,
};

/**
 * The verification window from the stored candles of the listing's first instrument at its first
 * interval: it ends after the last stored candle and reaches back windowDays (or to the first stored
 * candle). Null when fewer than minCandles fall inside it.
 */
export function chooseWindow(
  stored: { first: number; last: number; count: number } | null,
  interval: StrategyInterval,
  windowDays: number,
  minCandles: number,
): { from: number; to: number } | null {
  if (!stored || stored.count <= 0) return null;
  const step = INTERVAL_MS[interval];
  const to = stored.last + step;
  const from = Math.max(to - windowDays * DAY_MS, stored.first);
  // Stored candles may have gaps: at most `count` of them, at most one per step, are in the window.
  const inWindow = Math.min(stored.count, Math.floor((to - from) / step));
  return inWindow >= minCandles ? { from, to } : null;
}

/**
 * One pass over listings still `verifying`: start the platform's backtest for those without one, settle
 * those whose backtest ended. Every write is conditional on the state it read (status `verifying`, the
 * same backtest id), so passes may overlap or repeat (two engines, a restart) and nothing is applied
 * twice. Answers how many listings moved.
 */
export async function finishVerifications(deps: MarketplaceDeps): Promise<number> {
  const rows = await deps.db.$queryRaw<ListingRow[]>`${SUMMARY_SELECT}
    WHERE l.status = 'verifying'
    ORDER BY l.updated_at, l.id
    LIMIT ${VERIFY_BATCH}`;
  let moved = 0;
  for (const row of rows) {
    try {
      moved += row.verification_backtest_id === null ? await start(deps, row) : await settle(deps, row);
    } catch (err) {
      // One listing's trouble (Stripe-free, but the backtest service may be busy or down) must not stop
      // the others; it is retried next pass.
      deps.logger.warn({ listingId: row.id, err: String(err) }, 'listing verification step failed; retrying');
    }
  }
  return moved;
}

async function start(deps: MarketplaceDeps, row: ListingRow): Promise<number> {
  const instrument = rowInstruments(row)[0];
  const interval = rowIntervals(row)[0];
  if (!instrument || !interval)
    return fail(deps, row, null, 'VALIDATION_FAILED: the listing has no instrument');
  const stored = await deps.strategies.storedCandles(instrument, interval);
  const window = chooseWindow(stored, interval, deps.windowDays, deps.minCandles);
  if (!window)
    return fail(
      deps,
      row,
      null,
      `BACKTEST_NO_DATA: fewer than ${deps.minCandles} stored ${interval} candles of ${instrument.venue} ${instrument.symbol} to verify on`,
    );
  let backtestId: string;
  try {
    backtestId = await deps.strategies.startVerification({
      sellerTenantId: row.seller_tenant_id,
      strategyId: row.strategy_id,
      versionId: row.version_id,
      instrument,
      interval,
      from: window.from,
      to: window.to,
      params: listingDefaultParams(rowTunable(row), rowDefaults(row)),
    });
  } catch (err) {
    // A busy queue is retried next pass; a refusal about the data or the module is the listing's result.
    if (
      isAppError(err) &&
      ['BACKTEST_NO_DATA', 'BACKTEST_TOO_LARGE', 'NOT_FOUND', 'STRATEGY_INVALID_MODULE'].includes(err.code)
    )
      return fail(deps, row, null, `${err.code}: ${err.message}`);
    throw err;
  }
  const changed = await deps.db.marketplaceListing.updateMany({
    where: { id: row.id, status: 'verifying', verificationBacktestId: null },
    data: { verificationBacktestId: backtestId, updatedAt: new Date(deps.clock.now()) },
  });
  deps.logger.info({ listingId: row.id, backtestId, ...window }, 'listing verification started');
  return changed.count;
}

async function settle(deps: MarketplaceDeps, row: ListingRow): Promise<number> {
  const backtestId = row.verification_backtest_id as string;
  const result = await deps.strategies.verificationResult(backtestId);
  if (result.status === 'queued' || result.status === 'running') return 0;
  if (result.status !== 'completed')
    return fail(
      deps,
      row,
      backtestId,
      result.reason ?? `BACKTEST_${result.status.toUpperCase()}: the verification did not complete`,
    );
  const m = result.metrics;
  const now = new Date(deps.clock.now());
  const changed = await deps.db.marketplaceListing.updateMany({
    where: { id: row.id, status: 'verifying', verificationBacktestId: backtestId },
    data: {
      status: 'published',
      statusReason: null,
      verifiedAt: now,
      statReturn: finiteOrNull(m?.totalReturn),
      statMaxDrawdown: finiteOrNull(m?.maxDrawdown),
      statSharpe: finiteOrNull(m?.sharpe),
      updatedAt: now,
    },
  });
  if (changed.count > 0)
    deps.logger.info({ listingId: row.id, backtestId }, 'listing verified and published');
  return changed.count;
}

async function fail(
  deps: MarketplaceDeps,
  row: ListingRow,
  backtestId: string | null,
  reason: string,
): Promise<number> {
  const changed = await deps.db.marketplaceListing.updateMany({
    where: { id: row.id, status: 'verifying', verificationBacktestId: backtestId },
    data: {
      status: 'verification_failed',
      statusReason: reason.slice(0, 500),
      updatedAt: new Date(deps.clock.now()),
    },
  });
  if (changed.count > 0) deps.logger.info({ listingId: row.id, reason }, 'listing verification failed');
  return changed.count;
}

function finiteOrNull(x: number | null | undefined): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}
