import { Worker } from 'node:worker_threads';
import type { StrategyScope } from '@qt/api';
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
import type { StoredVersion, StrategyStore } from './strategy-store.ts';

const WORKER_SOURCE = new URL('./backtest-worker.ts', import.meta.url);
/** Where the worker boots when it cannot be bundled: through tsx's loader, seconds slower. */
const TSX_BOOT = new URL('./backtest-worker-boot.mjs', import.meta.url);
/** Queued or running backtests per tenant, by tier. */
const MAX_ACTIVE: Record<Tier, number> = { FREE: 2, PRO: 5, ENTERPRISE: 20 };
/** Backtests at once on this engine: each takes a core while it runs, and this machine class has two. */
const CONCURRENCY = 1;
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
}

interface Job {
  id: string;
  tenantId: string;
  tier: Tier;
  version: StoredVersion;
  input: RunBacktestInput;
  worker?: Worker;
  cancelled?: boolean;
}

/**
 * Backtests as jobs off the request path: `submit` stores the job and answers at once; a worker thread
 * per job replays the stored candles (backtest-worker.ts) while this side relays progress, applies the
 * per-call time budget (the same watchdog rule as live sandboxes) and stores the result.
 */
export class BacktestJobs {
  readonly #o: BacktestJobsOptions;
  readonly #queue: Job[] = [];
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
    const active = await this.#o.store.countActiveBacktests(scope.tenantId);
    if (active >= MAX_ACTIVE[scope.tier]) {
      throw new AppError(
        'STRATEGY_LIMIT_REACHED',
        `The ${scope.tier} plan queues at most ${MAX_ACTIVE[scope.tier]} backtests at once. Wait for one to finish.`,
        { limit: MAX_ACTIVE[scope.tier] },
      );
    }
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
    const row = await this.#o.store.createBacktest(scope.tenantId, version, input);
    this.#queue.push({ id: row.view.id, tenantId: scope.tenantId, tier: scope.tier, version, input });
    this.#pump();
    return row.view;
  }

  async result(scope: StrategyScope, backtestId: string): Promise<BacktestResultView> {
    const row = await this.#o.store.backtest(scope.tenantId, backtestId);
    const stored = (row.result ?? {}) as Partial<Omit<BacktestResultView, 'backtest'>>;
    return {
      backtest: row.view,
      equity: stored.equity ?? [],
      drawdown: stored.drawdown ?? [],
      orders: stored.orders ?? [],
      fills: stored.fills ?? [],
    };
  }

  async cancel(scope: StrategyScope, backtestId: string): Promise<BacktestView> {
    const row = await this.#o.store.backtest(scope.tenantId, backtestId);
    const queued = this.#queue.findIndex((j) => j.id === row.view.id);
    if (queued >= 0) {
      this.#queue.splice(queued, 1);
      return (await this.#finish(row.view.id, 'cancelled', 'cancelled before it started')).view;
    }
    const job = this.#running.get(row.view.id);
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
    const first = progressOf(row.view);
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
    this.#queue.length = 0;
    await Promise.all([...this.#running.values()].map((j) => j.worker?.terminate()));
  }

  // ---- running -------------------------------------------------------------------------------------

  #pump(): void {
    while (!this.#closed && this.#running.size < CONCURRENCY && this.#queue.length > 0) {
      const job = this.#queue.shift() as Job;
      this.#running.set(job.id, job);
      void this.#run(job)
        .catch(async (err) => {
          this.#o.logger.error({ err, backtest: job.id }, 'backtest job failed');
          const reason = `INTERNAL: ${err instanceof Error ? err.message : String(err)}`;
          await this.#finish(job.id, 'failed', reason).catch(() => undefined);
        })
        .finally(() => {
          this.#running.delete(job.id);
          this.#pump();
        });
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
    const budgetMs = TIER_LIMITS[job.tier].callBudgetMs;
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
        resolve(v);
      };
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
      result: storedResult(r) as unknown as Prisma.InputJsonValue,
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
    this.#hub.publish(id, { backtestId: id, status, progress, reason });
  }
}

function isTerminal(s: BacktestProgressView['status']): boolean {
  return s === 'completed' || s === 'failed' || s === 'cancelled';
}

function progressOf(v: BacktestView): BacktestProgressView {
  return { backtestId: v.id, status: v.status, progress: v.progress, reason: v.reason };
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

function storedResult(r: BacktestResult): Omit<BacktestResultView, 'backtest'> {
  return {
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
