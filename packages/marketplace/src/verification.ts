import { Prisma } from '@qt/db';
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
 * interval: it ends after the last stored candle and reaches back windowDays, but never before the first
 * stored candle nor before the module was uploaded (the first whole candle after it): out of sample, the
 * seller cannot have fitted the module to these candles. Null when the range is empty.
 */
export function chooseWindow(
  stored: { first: number; last: number } | null,
  interval: StrategyInterval,
  windowDays: number,
  uploadedAt: number | null,
): { from: number; to: number } | null {
  if (!stored) return null;
  const step = INTERVAL_MS[interval];
  const to = stored.last + step;
  const afterUpload = uploadedAt === null ? -Infinity : Math.ceil(uploadedAt / step) * step;
  const from = Math.max(to - windowDays * DAY_MS, stored.first, afterUpload);
  return from < to ? { from, to } : null;
}

/**
 * The advisory lock key of the verification pass (one engine at a time): the first 8 bytes of
 * sha256('qt:marketplace:verifications') as a signed int8.
 */
const VERIFY_LOCK_KEY = 8_083_505_191_666_760_306n;
/** The longest a pass may hold the lock (a hung pass must not block the others forever). */
const VERIFY_PASS_MAX_MS = 10 * 60_000;

/**
 * One pass over listings still `verifying`: settle those whose backtest ended, start the platform's
 * backtest for new ones, re-check those waiting for candles after the module's upload. Each group is
 * selected on its own (its own batch), so a crowd of waiting listings never starves new ones or results.
 * One engine at a time: the pass holds an advisory lock on a connection of its own (a transaction that
 * only holds the lock; the work uses other connections) and a pass that cannot take it does nothing.
 * Every write is still conditional on the state it read (status `verifying`, the same backtest id).
 * Answers how many listings moved.
 */
export async function finishVerifications(deps: MarketplaceDeps): Promise<number> {
  return deps.db.$transaction(
    async (tx) => {
      const [lock] = await tx.$queryRaw<
        { ok: boolean }[]
      >`SELECT pg_try_advisory_xact_lock(${VERIFY_LOCK_KEY}::int8) AS ok`;
      if (!lock?.ok) return 0;
      return verificationPass(deps);
    },
    { maxWait: 5_000, timeout: VERIFY_PASS_MAX_MS },
  );
}

async function verificationPass(deps: MarketplaceDeps): Promise<number> {
  const select = (where: Prisma.Sql) => deps.db.$queryRaw<ListingRow[]>`${SUMMARY_SELECT}
    WHERE l.status = 'verifying' AND ${where}
    ORDER BY l.updated_at, l.id
    LIMIT ${VERIFY_BATCH}`;
  const settling = await select(Prisma.sql`l.verification_backtest_id IS NOT NULL`);
  const fresh = await select(Prisma.sql`l.verification_backtest_id IS NULL AND l.status_reason IS NULL`);
  const waiting = await select(
    Prisma.sql`l.verification_backtest_id IS NULL AND l.status_reason IS NOT NULL`,
  );
  let moved = 0;
  for (const row of settling) moved += await step(deps, row, () => settle(deps, row));
  let queueFull = false;
  for (const row of [...fresh, ...waiting]) {
    if (queueFull) break;
    moved += await step(deps, row, async () => {
      const r = await start(deps, row);
      if (r === 'queue-full') {
        queueFull = true;
        return 0;
      }
      return r;
    });
  }
  return moved;
}

/** One listing's trouble must not stop the others; it is retried next pass. */
async function step(deps: MarketplaceDeps, row: ListingRow, fn: () => Promise<number>): Promise<number> {
  try {
    return await fn();
  } catch (err) {
    deps.logger.warn({ listingId: row.id, err: String(err) }, 'listing verification step failed; retrying');
    return 0;
  }
}

async function start(deps: MarketplaceDeps, row: ListingRow): Promise<number | 'queue-full'> {
  const instrument = rowInstruments(row)[0];
  const interval = rowIntervals(row)[0];
  if (!instrument || !interval)
    return fail(deps, row, null, 'VALIDATION_FAILED: the listing has no instrument');
  const uploadedAt = row.module_uploaded_at?.getTime() ?? null;
  const stored = await deps.strategies.storedCandles(instrument, interval);
  const window = chooseWindow(stored, interval, deps.windowDays, uploadedAt);
  // Only candles inside the window count (gaps and the part before the upload do not).
  const inside = window ? await deps.strategies.storedCandles(instrument, interval, window) : null;
  const have = inside?.count ?? 0;
  if (!window || have < deps.minCandles) {
    const now = deps.clock.now();
    const since = row.created_at.getTime();
    const what = `${interval} candles of ${instrument.venue} ${instrument.symbol}`;
    if (now - since >= deps.windowDays * DAY_MS)
      return fail(
        deps,
        row,
        null,
        `BACKTEST_NO_DATA: ${have} stored ${what} after the module's upload after ${deps.windowDays} days; ${deps.minCandles} needed`,
      );
    return wait(deps, row, `waiting for ${deps.minCandles - have} more ${what} after upload`);
  }
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
    // A full backtest queue is everyone's wait: no more starts this pass, this one is retried next pass.
    if (isAppError(err) && err.code === 'BACKTEST_QUEUE_FULL') {
      deps.logger.info({ listingId: row.id }, 'backtest queue full; verification waits for the next pass');
      return 'queue-full';
    }
    // A refusal about the data or the module is the listing's result.
    if (
      isAppError(err) &&
      ['BACKTEST_NO_DATA', 'BACKTEST_TOO_LARGE', 'NOT_FOUND', 'STRATEGY_INVALID_MODULE'].includes(err.code)
    )
      return fail(deps, row, null, `${err.code}: ${err.message}`);
    throw err;
  }
  const changed = await deps.db.marketplaceListing.updateMany({
    where: { id: row.id, status: 'verifying', verificationBacktestId: null },
    data: { verificationBacktestId: backtestId, statusReason: null, updatedAt: new Date(deps.clock.now()) },
  });
  deps.logger.info(
    { listingId: row.id, backtestId, ...window, candles: have },
    'listing verification started',
  );
  return changed.count;
}

/** Still verifying: the reason says what it waits for; updated_at moves it to the back of the queue. */
async function wait(deps: MarketplaceDeps, row: ListingRow, reason: string): Promise<number> {
  await deps.db.marketplaceListing.updateMany({
    where: { id: row.id, status: 'verifying', verificationBacktestId: null },
    data: { statusReason: reason, updatedAt: new Date(deps.clock.now()) },
  });
  return 0;
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
