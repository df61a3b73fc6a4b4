import type pg from 'pg';
import type { Logger } from '../../observability/logger.ts';
import type { BackfillRunner } from './backfill-runner.ts';
import type { BackfillStore } from './backfill-store.ts';
import { klineCoverage } from './coverage.ts';

const MINUTE = 60_000;
const DAY = 86_400_000;
/** Jobs queued per series at most (its largest holes first): a store full of small holes is not re-fetched piecemeal. */
const MAX_JOBS_PER_SERIES = 10;
/** Fetched first for every series before the older part of any. */
const RECENT_FIRST_MS = 2 * DAY;

/**
 * First start (and every start after): for each followed venue and symbol, the 1m candles of the last
 * `days` days that are not stored yet are queued as `system` backfills, so charts and backtests have depth
 * within a minute of the first start on the simulator; a later start fills only what is missing (the
 * downtime). Progress goes to the log every 10 %.
 */
export async function bootstrapHistory(p: {
  pool: pg.Pool;
  store: BackfillStore;
  runner: BackfillRunner;
  venues: readonly string[];
  symbols: readonly string[];
  days: number;
  now: number;
  logger: Logger;
}): Promise<void> {
  const to = Math.floor(p.now / MINUTE) * MINUTE;
  const from = to - p.days * DAY;
  let queued = 0;
  const ours = new Set<string>();
  // Per series, the recent days first (queued before any long job of any series, and jobs run oldest
  // first per venue), so every chart has its last days quickly; the rest follows.
  const recent: Array<[string, string, number, number]> = [];
  const older: Array<[string, string, number, number]> = [];
  for (const venue of p.venues) {
    for (const symbol of p.symbols) {
      const coverage = await klineCoverage(p.pool, { venue, symbol, interval: '1m', fromMs: from, toMs: to });
      const holes = [...coverage.missing]
        .sort((a, b) => b.toMs - b.fromMs - (a.toMs - a.fromMs))
        .slice(0, MAX_JOBS_PER_SERIES);
      for (const h of holes) {
        const split = Math.max(h.fromMs, h.toMs - RECENT_FIRST_MS);
        if (split > h.fromMs) older.push([venue, symbol, h.fromMs, split]);
        recent.push([venue, symbol, split, h.toMs]);
      }
    }
  }
  for (const [venue, symbol, fromMs, toMs] of [...recent, ...older]) {
    if (await p.store.findOpen(venue, symbol, fromMs, toMs)) continue;
    const job = await p.store.create({ venue, symbol, interval: '1m', fromMs, toMs, createdBy: 'system' });
    ours.add(job.id);
    queued++;
  }
  for (const venue of p.venues) p.runner.wake(venue);
  if (queued === 0) return;
  p.logger.info(
    { days: p.days, jobs: queued, venues: p.venues, symbols: p.symbols },
    'history bootstrap: backfilling in the background',
  );
  const started = Date.now();
  const lastDecile = new Map<string, number>();
  const off = p.runner.onProgress((e) => {
    if (!ours.has(e.jobId)) return;
    const decile = Math.floor(e.progressBp / 1_000);
    if ((lastDecile.get(e.jobId) ?? -1) >= decile && e.status === 'running') return;
    lastDecile.set(e.jobId, decile);
    p.logger.info(
      {
        venue: e.venue,
        symbol: e.symbol,
        progress: `${(e.progressBp / 100).toFixed(0)} %`,
        candles: e.candlesWritten,
        status: e.status,
      },
      'history bootstrap progress',
    );
    if (e.status !== 'running') ours.delete(e.jobId);
    if (ours.size === 0) {
      off();
      p.logger.info({ seconds: Math.round((Date.now() - started) / 100) / 10 }, 'history bootstrap finished');
    }
  });
}
