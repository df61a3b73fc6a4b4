import {
  AppError,
  type BackfillInput,
  type BackfillJobView,
  type BackfillProgressView,
  type Clock,
  type CoverageInput,
  type CoverageView,
  type HistoryPort,
  type HistoryScope,
  type KlineInterval,
} from '@qt/shared';
import type pg from 'pg';
import type { BackfillProgress, BackfillRunner } from './backfill-runner.ts';
import type { BackfillJob, BackfillStore } from './backfill-store.ts';
import { klineCoverage } from './coverage.ts';

const MINUTE = 60_000;
const DAY = 86_400_000;
/** Unfinished backfills one tenant may have queued at once. */
export const MAX_OPEN_JOBS_PER_TENANT = 5;
/** Progress events buffered per subscriber (newest per job wins beyond it). */
const PROGRESS_BUFFER = 100;

export interface HistoryServiceDeps {
  pool: pg.Pool;
  store: BackfillStore;
  runner: BackfillRunner;
  clock: Clock;
  /** The symbols the engine follows (a backfill of anything else is refused). */
  symbols: readonly string[];
}

export function jobView(j: BackfillJob): BackfillJobView {
  return {
    id: j.id,
    venue: j.venue,
    symbol: j.symbol,
    kind: j.kind,
    interval: j.interval,
    fromMs: j.fromMs,
    toMs: j.toMs,
    cursorMs: j.cursorMs,
    status: j.status,
    progressBp: j.progressBp,
    candlesWritten: j.candlesWritten,
    requests: j.requests,
    throttled: j.throttled,
    error: j.error,
    createdAt: j.createdAt,
    finishedAt: j.finishedAt,
    completeFromMs: j.completeFromMs,
  };
}

/** `from` must lie within the tier's history depth (TIER_LIMIT_REACHED otherwise, as `market.candles`). */
export function checkDepth(scope: Pick<HistoryScope, 'historyDays'>, fromMs: number, now: number): void {
  const earliest = now - scope.historyDays * DAY;
  if (fromMs >= earliest) return;
  throw new AppError(
    'TIER_LIMIT_REACHED',
    `Your plan reaches history up to ${scope.historyDays} days back.`,
    {
      scope: 'historyDays',
      kind: 'historyDays',
      limit: scope.historyDays,
      earliest,
    },
  );
}

/** The engine's `HistoryPort`: coverage from storage, backfills through the runner. */
export function createHistoryService(deps: HistoryServiceDeps): HistoryPort {
  const { store, runner, clock } = deps;
  const checkSeries = (venue: string, symbol: string) => {
    if (!runner.venues.includes(venue))
      throw new AppError('MARKET_UNKNOWN_VENUE', `This engine does not follow ${venue}.`, { venue });
    if (!deps.symbols.includes(symbol))
      throw new AppError('MARKET_UNKNOWN_INSTRUMENT', `This engine does not follow ${symbol}.`, {
        venue,
        symbol,
      });
  };
  return {
    async coverage(scope: HistoryScope, input: CoverageInput): Promise<CoverageView> {
      const now = clock.now();
      checkDepth(scope, input.from, now);
      const to = Math.min(input.to ?? now, now);
      if (!(input.from < to))
        throw new AppError('VALIDATION_FAILED', 'The range is empty: from must be before to.');
      return klineCoverage(deps.pool, {
        venue: input.venue,
        symbol: input.symbol,
        interval: input.interval as KlineInterval,
        fromMs: input.from,
        toMs: to,
      });
    },

    async backfill(scope: HistoryScope, input: BackfillInput): Promise<BackfillJobView> {
      checkSeries(input.venue, input.symbol);
      if (!(input.kind === 'trades' ? runner.tradeVenues : runner.candleVenues).includes(input.venue))
        throw new AppError('VALIDATION_FAILED', `No ${input.kind} history backfill for ${input.venue}.`, {
          venue: input.venue,
        });
      const now = clock.now();
      checkDepth(scope, input.from, now);
      // Whole minutes, and only closed ones: the live feed owns the minute in progress.
      const fromMs = Math.floor(input.from / MINUTE) * MINUTE;
      const toMs = Math.floor(Math.min(input.to ?? now, now) / MINUTE) * MINUTE;
      if (!(fromMs < toMs))
        throw new AppError('VALIDATION_FAILED', 'The range holds no closed minute: from must be before to.');
      const open = await store.findOpen(input.venue, input.symbol, fromMs, toMs, input.kind);
      if (open) return jobView(open);
      if ((await store.countUnfinished(scope.tenantId)) >= MAX_OPEN_JOBS_PER_TENANT)
        throw new AppError(
          'TIER_LIMIT_REACHED',
          `At most ${MAX_OPEN_JOBS_PER_TENANT} backfills may wait or run at once.`,
          {
            scope: 'backfills',
            kind: 'backfills',
            limit: MAX_OPEN_JOBS_PER_TENANT,
          },
        );
      const job = await store.create({
        venue: input.venue,
        symbol: input.symbol,
        kind: input.kind,
        interval: input.interval,
        fromMs,
        toMs,
        createdBy: scope.tenantId,
      });
      runner.wake(job.venue);
      return jobView(job);
    },

    async jobs(scope: HistoryScope, limit: number): Promise<BackfillJobView[]> {
      return (await store.list(scope.tenantId, limit)).map(jobView);
    },

    progress(scope: HistoryScope, signal: AbortSignal): AsyncIterable<BackfillProgressView> {
      return progressStream(runner, scope.tenantId, signal);
    },
  };
}

/** The runner's progress events of one creator, buffered per job (the newest wins) until `signal` aborts. */
export async function* progressStream(
  runner: BackfillRunner,
  createdBy: string,
  signal: AbortSignal,
): AsyncGenerator<BackfillProgressView> {
  const pending = new Map<string, BackfillProgress>();
  let wake: (() => void) | null = null;
  const off = runner.onProgress((p) => {
    if (p.createdBy !== createdBy) return;
    // Re-inserted so the map's order is arrival order; a full buffer drops the oldest job's entry.
    pending.delete(p.jobId);
    if (pending.size >= PROGRESS_BUFFER) pending.delete(pending.keys().next().value as string);
    pending.set(p.jobId, p);
    wake?.();
  });
  const onAbort = () => wake?.();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    while (!signal.aborted) {
      if (pending.size === 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = null;
        continue;
      }
      const [id, p] = pending.entries().next().value as [string, BackfillProgress];
      pending.delete(id);
      yield {
        jobId: p.jobId,
        venue: p.venue,
        symbol: p.symbol,
        kind: p.kind,
        status: p.status,
        progressBp: p.progressBp,
        cursorMs: p.cursorMs,
        candlesWritten: p.candlesWritten,
        error: p.error,
      };
    }
  } finally {
    off();
    signal.removeEventListener('abort', onAbort);
  }
}
