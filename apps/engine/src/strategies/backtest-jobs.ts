import { Worker } from 'node:worker_threads';
import type { BacktestResult } from '@qt/backtest';
import type { MarketDataQueries, Prisma } from '@qt/db';
import {
  AppError,
  type BacktestMetricsView,
  type BacktestProgressView,
  type BacktestResultView,
  type BacktestView,
  type Clock,
  type Instrument,
  notFound,
  type RunBacktestInput,
  type StrategyInterval,
  type StrategyScope,
  TIER_CAPS,
  type Tier,
} from '@qt/shared';
import {
  CALL_WATCH_BYTES,
  createCallWatch,
  currentCall,
  TIER_LIMITS,
  workerEntry,
} from '@qt/strategy-runtime';
import type { Logger } from '../observability/logger.ts';
import { UpdateHub } from '../trading/update-hub.ts';
import type { BacktestWorkerInput, FromBacktestWorker } from './backtest-protocol.ts';
import type { BacktestPurpose, BacktestRow, StoredVersion, StrategyStore } from './strategy-store.ts';

const WORKER_SOURCE = new URL('./backtest-worker.ts', import.meta.url);
/** Where the worker boots when it cannot be bundled: through tsx's loader, seconds slower. */
const TSX_BOOT = new URL('./backtest-worker-boot.mjs', import.meta.url);
/** Backtests at once on this engine: each takes a core while it runs, and this machine class has two. */
const CONCURRENCY = 1;
/**
 * Jobs waiting on this engine, all tenants together. Each tenant's share is its tier's `backtests` cap
 * (queued + running, counted under the cap lock); this bound holds the sum when many tenants queue.
 */
const MAX_QUEUED = 256;
/**
 * Marketplace verification backtests queued or running on this engine, counted apart from users' jobs:
 * a burst of publications must never take the places users' backtests queue in. Beyond it the
 * marketplace hears BACKTEST_QUEUE_FULL (retryable) and tries again on its next pass.
 */
export const MAX_VERIFICATIONS = 8;
const INTERVAL_MS: Record<StrategyInterval, number> = {
  '1s': 1_000,
  '1m': 60_000,
  '5m': 300_000,
  '15m': 900_000,
  '1h': 3_600_000,
  '4h': 14_400_000,
  '1d': 86_400_000,
};
/** A cancel the worker does not act on within this long ends with terminate(). */
const CANCEL_GRACE_MS = 2_000;
const WATCH_PERIOD_MS = 10;
const PROGRESS_DB_EVERY_MS = 1_000;
/** Orders and fills kept in the stored result for the chart (the metrics count all of them). */
const MAX_STORED_FILLS = 5_000;
/** Equity samples kept for the chart: evenly thinned beyond this. */
const MAX_CURVE_POINTS = 5_000;

export interface BacktestJobsOptions {
  store: StrategyStore;
  queries: MarketDataQueries;
  databaseUrl: string;
  clock: Clock;
  logger: Logger;
  instrument(venue: string, symbol: string): Instrument | undefined;
  /** Tests: shorter run-time caps than the tier table's, and a smaller engine-wide queue. */
  limits?: { runMs?: Partial<Record<Tier, number>>; maxQueued?: number; maxVerifications?: number };
}

interface Job {
  id: string;
  tenantId: string;
  tier: Tier;
  version: StoredVersion;
  input: RunBacktestInput;
  purpose: BacktestPurpose;
  worker?: Worker;
  cancelled?: boolean;
}

/**
 * Backtests as jobs off the request path: `submit` stores the job and answers at once; a worker thread
 * per job replays the stored candles (backtest-worker.ts) while this side relays progress, applies the
 * per-call time budget (the same watchdog rule as live sandboxes) and the tier's run-time cap, and
 * stores the result.
 *
 * Fair across tenants: each tenant has its own FIFO, at most one of its jobs runs at a time, and tenants
 * take turns (round robin): a tenant waits in `#ring` while it has queued jobs and none running; when
 * its job starts it leaves the ring and rejoins at the end when that job ends. So one tenant's long
 * queue delays another tenant's job by at most one of its jobs, not all of them.
 */
export class BacktestJobs {
  readonly #o: BacktestJobsOptions;
  /** Queued jobs per tenant, in submission order. */
  readonly #queues = new Map<string, Job[]>();
  /** Tenants with queued jobs and none running, in the order they are served. */
  readonly #ring: string[] = [];
  /** Users' jobs queued (verifications are counted in `#verifications` instead). */
  #queued = 0;
  /** Submissions between the engine-wide bound check and their enqueue (they hold a place). */
  #reserved = 0;
  /** Verification jobs submitted, queued or running (from the bound check until the job ends). */
  #verifications = 0;
  readonly #running = new Map<string, Job>();
  readonly #hub = new UpdateHub<BacktestProgressView>();
  #closed = false;

  constructor(options: BacktestJobsOptions) {
    this.#o = options;
  }

  /** Jobs left queued or running by a previous engine did not finish: say so. */
  async recover(): Promise<number> {
    return this.#o.store.abandonBacktests(
      'The engine stopped while this backtest was queued or running. Run it again.',
      new Date(this.#o.clock.now()),
    );
  }

  async submit(scope: StrategyScope, version: StoredVersion, input: RunBacktestInput): Promise<BacktestView> {
    return this.#submit(scope, version, input, 'user');
  }

  /**
   * The platform's standard backtest of a marketplace listing's pinned version, owned by the seller's
   * tenant but not theirs to count: outside the tier's `backtests` cap (no cap lock) and off their list,
   * sized by the ENTERPRISE caps (the window is the platform's choice, not the seller's). It takes its
   * turn in the seller's queue like any job, and the engine-wide bound still holds.
   */
  async submitVerification(
    sellerTenantId: string,
    version: StoredVersion,
    input: RunBacktestInput,
  ): Promise<BacktestView> {
    return this.#submit(
      { tenantId: sellerTenantId, actor: 'system:marketplace', tier: 'ENTERPRISE' },
      version,
      input,
      'verification',
    );
  }

  async #submit(
    scope: StrategyScope,
    version: StoredVersion,
    input: RunBacktestInput,
    purpose: BacktestPurpose,
  ): Promise<BacktestView> {
    const candles = estimateCandles(input);
    const candleCap = TIER_CAPS[scope.tier].backtestCandles;
    if (candles > candleCap) {
      throw new AppError(
        'BACKTEST_TOO_LARGE',
        `This backtest would replay about ${candles.toLocaleString('en')} candles; the ${scope.tier} plan allows ${candleCap.toLocaleString('en')} per backtest. Shorten the range, use a longer interval or fewer instruments.`,
        { tier: scope.tier, limit: candleCap, estimated: candles },
      );
    }
    if (purpose === 'verification') return this.#submitVerification(scope, version, input);
    const maxQueued = this.#o.limits?.maxQueued ?? MAX_QUEUED;
    if (this.#queued + this.#reserved >= maxQueued) {
      throw new AppError(
        'BACKTEST_QUEUE_FULL',
        `The engine has ${maxQueued} backtests waiting. Try again when some have finished.`,
        { limit: maxQueued },
      );
    }
    this.#reserved++;
    try {
      await this.#requireData(input);
      const { row, tier } = await this.#o.store.withinTierCap({
        tenantId: scope.tenantId,
        kind: 'backtests',
        count: (tx) => this.#o.store.countActiveBacktests(scope.tenantId, tx),
        create: async (tx, cap) => ({
          row: await this.#o.store.createBacktest(scope.tenantId, version, input, tx),
          tier: cap.tier,
        }),
      });
      this.#enqueue({ id: row.view.id, tenantId: scope.tenantId, tier, version, input, purpose });
      this.#pump();
      // Null when it started at once (its row still says queued until the worker is up).
      return this.view(row.view);
    } finally {
      this.#reserved--;
    }
  }

  /** A verification: its own engine-wide bound, no tier cap (see submitVerification). */
  async #submitVerification(
    scope: StrategyScope,
    version: StoredVersion,
    input: RunBacktestInput,
  ): Promise<BacktestView> {
    const max = this.#o.limits?.maxVerifications ?? MAX_VERIFICATIONS;
    if (this.#verifications >= max) {
      throw new AppError(
        'BACKTEST_QUEUE_FULL',
        `The engine is already verifying ${max} listings. The verification starts on a later pass.`,
        { limit: max, purpose: 'verification', retryable: true },
      );
    }
    // Held from here until the job ends (released by #verificationEnded), or now if it never queues.
    this.#verifications++;
    let queued = false;
    try {
      await this.#requireData(input);
      const row = await this.#o.store.createBacktest(
        scope.tenantId,
        version,
        input,
        undefined,
        'verification',
      );
      this.#enqueue({
        id: row.view.id,
        tenantId: scope.tenantId,
        tier: scope.tier,
        version,
        input,
        purpose: 'verification',
      });
      queued = true;
      this.#pump();
      return this.view(row.view);
    } finally {
      if (!queued) this.#verifications--;
    }
  }

  /** Verifications queued or running here (diagnostics, tests). */
  get verifications(): number {
    return this.#verifications;
  }

  #jobEnded(job: Job): void {
    if (job.purpose === 'verification') this.#verifications--;
  }

  async #requireData(input: RunBacktestInput): Promise<void> {
    for (const ref of input.instruments) {
      const range = { venue: ref.venue, symbol: ref.symbol, fromMs: input.from, toMs: input.to, limit: 1 };
      const first =
        input.mode === 'trades'
          ? await this.#o.queries.tradesAscending(range)
          : await this.#o.queries.closedCandlesAscending({ ...range, interval: input.interval });
      if (first.length === 0) {
        const what = input.mode === 'trades' ? 'trades' : `${input.interval} candles`;
        throw new AppError(
          'BACKTEST_NO_DATA',
          `No stored ${what} of ${ref.venue} ${ref.symbol} in that range. Pick a range the engine has recorded.`,
          { venue: ref.venue, symbol: ref.symbol },
        );
      }
    }
  }

  /** The tenant's backtests (newest first), with their places in line. */
  async list(scope: StrategyScope, strategyId?: string): Promise<BacktestView[]> {
    const rows = await this.#o.store.backtests(scope.tenantId, strategyId);
    const positions = this.#positions();
    return rows.map((r) => this.view(r.view, positions));
  }

  /** A stored view with its live place in line (null unless it is queued here). */
  view(v: BacktestView, positions = this.#positions()): BacktestView {
    return { ...v, queuePosition: v.status === 'queued' ? (positions.get(v.id) ?? null) : null };
  }

  async result(scope: StrategyScope, backtestId: string): Promise<BacktestResultView> {
    return this.#resultOf(await this.#o.store.backtest(scope.tenantId, backtestId));
  }

  /** A verification backtest's result, for the marketplace (no tenant scope: the platform's own run). */
  async verificationResult(backtestId: string): Promise<BacktestResultView> {
    return this.#resultOf(await this.#o.store.verificationBacktest(backtestId));
  }

  #resultOf(row: BacktestRow): BacktestResultView {
    const stored = (row.result ?? {}) as Partial<Omit<BacktestResultView, 'backtest'>>;
    return {
      backtest: this.view(row.view),
      equity: stored.equity ?? [],
      drawdown: stored.drawdown ?? [],
      orders: stored.orders ?? [],
      fills: stored.fills ?? [],
      ...(stored.report ? { report: stored.report } : {}),
    };
  }

  async cancel(scope: StrategyScope, backtestId: string): Promise<BacktestView> {
    const row = await this.#o.store.backtest(scope.tenantId, backtestId);
    if (this.#dequeue(row.tenantId, row.view.id)) {
      this.#publishPositions();
      return (await this.#finish(row.view.id, 'cancelled', 'cancelled before it started')).view;
    }
    const job = this.#running.get(row.view.id);
    if (job && !job.worker) {
      // Taken from the queue, its worker still booting (reading the module, starting the thread): the
      // cancel is honoured the moment the worker exists (see where `job.worker` is set), not refused.
      job.cancelled = true;
      return row.view;
    }
    if (!job?.worker) {
      throw new AppError(
        'BACKTEST_NOT_CANCELLABLE',
        `The backtest is ${row.view.status}: nothing to cancel.`,
        {
          status: row.view.status,
        },
      );
    }
    job.cancelled = true;
    job.worker.postMessage({ t: 'cancel' });
    const worker = job.worker;
    setTimeout(() => void worker.terminate(), CANCEL_GRACE_MS).unref();
    return row.view;
  }

  async *progress(
    scope: StrategyScope,
    backtestId: string,
    signal: AbortSignal,
  ): AsyncIterable<BacktestProgressView> {
    const row = await this.#o.store.backtest(scope.tenantId, backtestId);
    const first = progressOf(this.view(row.view));
    // Subscribe before yielding the current state, so nothing falls between the two.
    const updates = this.#hub.subscribe(row.view.id, signal)[Symbol.asyncIterator]();
    yield first;
    if (isTerminal(first.status)) return;
    for (;;) {
      const next = await updates.next();
      if (next.done) return;
      yield next.value;
      if (isTerminal(next.value.status)) {
        await updates.return?.();
        return;
      }
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#queues.clear();
    this.#ring.length = 0;
    this.#queued = 0;
    this.#verifications = 0;
    await Promise.all([...this.#running.values()].map((j) => j.worker?.terminate()));
  }

  // ---- running -------------------------------------------------------------------------------------

  #enqueue(job: Job): void {
    let queue = this.#queues.get(job.tenantId);
    if (!queue) {
      queue = [];
      this.#queues.set(job.tenantId, queue);
    }
    queue.push(job);
    if (job.purpose === 'user') this.#queued++;
    if (!this.#ring.includes(job.tenantId) && !this.#runsFor(job.tenantId)) this.#ring.push(job.tenantId);
    this.#publishPositions();
  }

  /** Takes a queued job out of line; false when it is not queued here. */
  #dequeue(tenantId: string, id: string): boolean {
    const queue = this.#queues.get(tenantId);
    const at = queue?.findIndex((j) => j.id === id) ?? -1;
    if (!queue || at < 0) return false;
    const [job] = queue.splice(at, 1);
    if (job?.purpose === 'user') this.#queued--;
    else if (job) this.#jobEnded(job);
    if (queue.length === 0) {
      this.#queues.delete(tenantId);
      const inRing = this.#ring.indexOf(tenantId);
      if (inRing >= 0) this.#ring.splice(inRing, 1);
    }
    return true;
  }

  #runsFor(tenantId: string): boolean {
    for (const j of this.#running.values()) if (j.tenantId === tenantId) return true;
    return false;
  }

  #pump(): void {
    let started = false;
    while (!this.#closed && this.#running.size < CONCURRENCY) {
      const at = this.#ring.findIndex((t) => !this.#runsFor(t));
      if (at < 0) break;
      const tenantId = this.#ring.splice(at, 1)[0] as string;
      const queue = this.#queues.get(tenantId) ?? [];
      const job = queue.shift();
      if (!job) continue;
      if (queue.length === 0) this.#queues.delete(tenantId);
      if (job.purpose === 'user') this.#queued--;
      started = true;
      this.#running.set(job.id, job);
      void this.#run(job)
        .catch(async (err) => {
          this.#o.logger.error({ err, backtest: job.id }, 'backtest job failed');
          const reason = `INTERNAL: ${err instanceof Error ? err.message : String(err)}`;
          await this.#finish(job.id, 'failed', reason).catch(() => undefined);
        })
        .finally(() => {
          this.#running.delete(job.id);
          this.#jobEnded(job);
          // Its turn is over: the tenant waits behind everyone already in line.
          if (this.#queues.has(job.tenantId) && !this.#ring.includes(job.tenantId)) {
            this.#ring.push(job.tenantId);
          }
          this.#pump();
        });
    }
    if (started) this.#publishPositions();
  }

  /**
   * Where each queued job stands: 1 starts next. Replays the round robin: the tenants waiting in the
   * ring, then those with a job running (they rejoin at the end when it ends), one job per turn.
   */
  #positions(): Map<string, number> {
    const order = [...this.#ring];
    for (const j of this.#running.values()) {
      if (this.#queues.has(j.tenantId) && !order.includes(j.tenantId)) order.push(j.tenantId);
    }
    const next = new Map(order.map((t) => [t, 0]));
    const positions = new Map<string, number>();
    let place = 0;
    while (order.length > 0) {
      const tenantId = order.shift() as string;
      const queue = this.#queues.get(tenantId) ?? [];
      const i = next.get(tenantId) ?? 0;
      const job = queue[i];
      if (!job) continue;
      positions.set(job.id, ++place);
      next.set(tenantId, i + 1);
      if (i + 1 < queue.length) order.push(tenantId);
    }
    return positions;
  }

  /** Queued jobs' watchers see their new place in line. */
  #publishPositions(): void {
    const positions = this.#positions();
    for (const [id, queuePosition] of positions) {
      if (this.#hub.subscriberCount(id) === 0) continue;
      this.#hub.publish(id, { backtestId: id, status: 'queued', progress: 0, queuePosition, reason: null });
    }
  }

  async #run(job: Job): Promise<void> {
    const { input } = job;
    const instruments = input.instruments.map((ref) => {
      const found = this.#o.instrument(ref.venue, ref.symbol);
      if (!found) throw notFound(`Instrument ${ref.venue} ${ref.symbol}`);
      return found;
    });
    await this.#o.store.updateBacktest(job.id, {
      status: 'running',
      startedAt: new Date(this.#o.clock.now()),
    });
    this.#publish(job.id, 'running', 0, null);

    const watchBuffer = new SharedArrayBuffer(CALL_WATCH_BYTES);
    const workerData: BacktestWorkerInput = {
      databaseUrl: this.#o.databaseUrl,
      wasm: job.version.wasm,
      tier: job.tier,
      spec: {
        instruments,
        quoteAsset: input.quoteCurrency,
        initialBalances: input.initialBalances ?? { [input.quoteCurrency]: '10000' },
        tier: job.tier,
        params: input.params,
        interval: input.interval,
        start: input.from,
        end: input.to,
        mode: input.mode,
      },
      watch: watchBuffer,
    };
    const entry = await workerEntry(WORKER_SOURCE, {
      fallback: TSX_BOOT,
      onFallback: (reason) => this.#o.logger.warn({ reason }, 'backtest workers boot through tsx'),
    });
    const worker = new Worker(entry, {
      workerData,
      env: {},
      resourceLimits: { maxOldGenerationSizeMb: 512, stackSizeMb: 4 },
    });
    job.worker = worker;
    if (job.cancelled) {
      worker.postMessage({ t: 'cancel' });
      setTimeout(() => void worker.terminate(), CANCEL_GRACE_MS).unref();
    }
    const budgetMs = TIER_LIMITS[job.tier].callBudgetMs;
    const runMs = this.#o.limits?.runMs?.[job.tier] ?? TIER_CAPS[job.tier].backtestRunMs;
    const outcome = await new Promise<
      { kind: 'done'; result: BacktestResult } | { kind: 'failed'; reason: string }
    >((resolve) => {
      const watch = createCallWatch(watchBuffer);
      let seen = -1;
      let since = 0;
      let lastDb = 0;
      let settled = false;
      const settle = (v: Parameters<typeof resolve>[0]) => {
        if (settled) return;
        settled = true;
        clearInterval(watchdog);
        clearTimeout(deadline);
        resolve(v);
      };
      // The tier's run-time cap: a job cannot hold the engine's backtest slot for longer.
      const deadline = setTimeout(() => {
        settle({
          kind: 'failed',
          reason: `RUN_TIME_LIMIT: the ${job.tier} plan runs a backtest for at most ${formatDuration(runMs)}; shorten the range or use a longer interval`,
        });
        void worker.terminate();
      }, runMs);
      deadline.unref();
      // The same rule as live sandboxes: one call into the module over the tier's budget stops the run.
      const watchdog = setInterval(() => {
        const call = currentCall(watch);
        const now = performance.now();
        if (call < 0 || call !== seen) {
          seen = call;
          since = now;
          return;
        }
        if (now - since > budgetMs) {
          settle({
            kind: 'failed',
            reason: `TIME_BUDGET_EXCEEDED: a strategy call ran past the ${job.tier} budget of ${budgetMs} ms`,
          });
          void worker.terminate();
        }
      }, WATCH_PERIOD_MS);
      watchdog.unref();
      worker.on('message', (m: FromBacktestWorker) => {
        if (m.t === 'progress') {
          const progress = fraction(m.time, input.from, input.to);
          this.#publish(job.id, 'running', progress, null);
          const now = Date.now();
          if (now - lastDb >= PROGRESS_DB_EVERY_MS) {
            lastDb = now;
            void this.#o.store.updateBacktest(job.id, { progress }).catch(() => undefined);
          }
        } else if (m.t === 'done') settle({ kind: 'done', result: m.result });
        else settle({ kind: 'failed', reason: `${m.code}: ${m.message}` });
      });
      worker.on('error', (err) => settle({ kind: 'failed', reason: `INTERNAL: ${err.message}` }));
      worker.on('exit', () =>
        settle(
          job.cancelled
            ? { kind: 'failed', reason: 'cancelled' }
            : { kind: 'failed', reason: 'INTERNAL: the backtest worker stopped unexpectedly' },
        ),
      );
    });
    await worker.terminate().catch(() => undefined);

    if (outcome.kind === 'failed') {
      if (job.cancelled) await this.#finish(job.id, 'cancelled', 'cancelled by the user');
      else await this.#finish(job.id, 'failed', outcome.reason);
      return;
    }
    const r = outcome.result;
    const status = r.status === 'completed' ? 'completed' : r.status === 'cancelled' ? 'cancelled' : 'failed';
    await this.#finish(job.id, status, r.reason, {
      metrics: metricsView(r, input.quoteCurrency) as unknown as Prisma.InputJsonValue,
      result: storedResult(r, instruments) as unknown as Prisma.InputJsonValue,
    });
  }

  async #finish(
    id: string,
    status: 'completed' | 'failed' | 'cancelled',
    reason: string | null,
    extra: { metrics?: Prisma.InputJsonValue; result?: Prisma.InputJsonValue } = {},
  ) {
    const row = await this.#o.store.updateBacktest(id, {
      status,
      reason,
      progress: status === 'completed' ? 1 : undefined,
      finishedAt: new Date(this.#o.clock.now()),
      ...extra,
    });
    this.#publish(id, status, row.view.progress, reason);
    return row;
  }

  #publish(
    id: string,
    status: BacktestProgressView['status'],
    progress: number,
    reason: string | null,
  ): void {
    this.#hub.publish(id, { backtestId: id, status, progress, queuePosition: null, reason });
  }
}

function isTerminal(s: BacktestProgressView['status']): boolean {
  return s === 'completed' || s === 'failed' || s === 'cancelled';
}

function progressOf(v: BacktestView): BacktestProgressView {
  return {
    backtestId: v.id,
    status: v.status,
    progress: v.progress,
    queuePosition: v.queuePosition,
    reason: v.reason,
  };
}

/** Candles the job would replay: per instrument, the range in intervals (trades mode: the bars cut). */
export function estimateCandles(
  input: Pick<RunBacktestInput, 'from' | 'to' | 'interval' | 'instruments'>,
): number {
  return Math.ceil((input.to - input.from) / INTERVAL_MS[input.interval]) * input.instruments.length;
}

function formatDuration(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 100) / 10} s`;
}

function fraction(time: number, from: number, to: number): number {
  return Math.min(1, Math.max(0, (time - from) / (to - from)));
}

function metricsView(r: BacktestResult, quote: string): BacktestMetricsView {
  const m = r.metrics;
  return {
    totalReturn: m.totalReturn,
    cagr: m.cagr,
    sharpe: m.sharpe,
    sortino: m.sortino,
    maxDrawdown: m.maxDrawdown,
    winRate: m.winRate,
    profitFactor: m.profitFactor,
    exposure: m.exposure,
    startEquity: m.initialEquity ?? '0',
    endEquity: m.finalEquity ?? '0',
    fees: m.feesPaid[quote] ?? '0',
    orders: m.orders,
    fills: m.fills,
    rejections: m.rejections,
    roundTrips: m.roundTrips,
    // Trades mode replays no stored candles: the strategy's candles are the bars cut from the trades.
    candles: r.mode === 'trades' ? m.bars : m.candlesProcessed,
    trades: m.tradesProcessed,
    notes: r.report.notes,
  };
}

function thin<T>(points: readonly T[]): T[] {
  if (points.length <= MAX_CURVE_POINTS) return [...points];
  const step = points.length / MAX_CURVE_POINTS;
  const out: T[] = [];
  for (let i = 0; i < MAX_CURVE_POINTS; i++) out.push(points[Math.floor(i * step)] as T);
  out.push(points[points.length - 1] as T);
  return out;
}

function storedResult(
  r: BacktestResult,
  instruments: readonly Instrument[],
): Omit<BacktestResultView, 'backtest'> {
  const { buyAndHold, tradeTotals, ...report } = r.report;
  return {
    report: {
      ...report,
      buyAndHold: buyAndHold && { ...buyAndHold, curve: thin(buyAndHold.curve) },
      trips: r.roundTrips.slice(0, MAX_STORED_FILLS),
      totals: tradeTotals,
      instruments: instruments.map((i) => ({
        venue: i.venue,
        symbol: i.symbol,
        tickSize: i.tickSize,
        lotSize: i.lotSize,
      })),
    },
    equity: thin(r.equityCurve).map((p) => [p.time, p.value]),
    drawdown: thin(r.drawdownCurve).map((p) => [p.time, p.drawdown]),
    orders: r.orders.slice(0, MAX_STORED_FILLS).map((o) => ({
      time: o.createdAt,
      venue: o.venue,
      symbol: o.symbol,
      side: o.side === 'sell' ? 'sell' : 'buy',
      type: o.type,
      quantity: o.quantity,
      price: o.price,
      status: o.status,
      reason: o.reason,
    })),
    fills: r.fills.slice(0, MAX_STORED_FILLS).map((f) => ({
      time: f.time,
      venue: f.venue,
      symbol: f.symbol,
      side: f.side === 'sell' ? 'sell' : 'buy',
      price: f.price,
      quantity: f.quantity,
      fee: f.fee,
    })),
  };
}
