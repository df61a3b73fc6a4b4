import type { CandleHistorySource, CandlePage, TradeHistoryPages, TradePage } from '@qt/market-data';
import { intervalMs } from '@qt/market-data';
import { isAppError, type Kline, type KlineInterval, type Trade } from '@qt/shared';
import type { Logger } from '../../observability/logger.ts';
import { rollUpKlines } from '../repair/roll-up-klines.ts';
import type { BackfillJob, BackfillStore } from './backfill-store.ts';

/** What a progress listener gets: after every committed page and at the end of a job. */
export interface BackfillProgress {
  jobId: string;
  venue: string;
  symbol: string;
  kind: BackfillJob['kind'];
  createdBy: string;
  status: BackfillJob['status'];
  progressBp: number;
  cursorMs: number;
  /** Rows stored by the job: candles or trades, as its kind. */
  candlesWritten: number;
  error: string | null;
}

export interface BackfillRunnerDeps {
  store: BackfillStore;
  /** One candle-history source per venue (on the background lane of the venue's shared REST budget). */
  sources: ReadonlyMap<string, CandleHistorySource>;
  /** One trade-history source per venue (same lane); a venue without one refuses trade jobs. */
  tradeSources?: ReadonlyMap<string, TradeHistoryPages>;
  /** The time-series writer's kline upsert (idempotent; the version with the most trades stays). */
  writeKlines(klines: readonly Kline[]): Promise<unknown>;
  /** The time-series writer's trade insert (COPY + ON CONFLICT DO NOTHING: a page stored twice is once). */
  writeTrades?(trades: readonly Trade[]): Promise<unknown>;
  /** Start times (ms) of the minutes in [fromMs, toMs) that already hold stored trades of the market. */
  minutesWithTrades?(
    venue: string,
    symbol: string,
    fromMs: number,
    toMs: number,
  ): Promise<ReadonlySet<number>>;
  /** Stored closed 1m candles of a series in [fromMs, toMs), for the roll-ups (at most ~2,500 rows). */
  stored1m(venue: string, symbol: string, fromMs: number, toMs: number): Promise<Kline[]>;
  logger: Logger;
}

/** Venues whose live trade rows are not one per trade (see #runTrades): backfill only fills empty minutes. */
const AGGREGATED_LIVE_ROWS: ReadonlySet<string> = new Set(['okx']);

export interface BackfillRunnerOptions {
  /** A running job untouched this long belongs to a runner that died: it is taken over. Default 30 s. */
  staleMs?: number;
  /** How often an idle venue loop looks for new jobs (besides being woken by `wake`). Default 5 s. */
  pollMs?: number;
  /** Failed fetches in a row (5xx, network, rate limit beyond the wait) before a job fails. Default 8. */
  maxAttempts?: number;
  /** First retry delay, doubled per attempt up to 30 s. Default 500 ms. */
  retryBaseMs?: number;
}

/** Coarser intervals rolled up from the fetched 1m candles. */
const rollUpIntervals: readonly KlineInterval[] = ['5m', '15m', '1h', '4h', '1d'];
const MINUTE = 60_000;
const DAY = 86_400_000;
/** Progress listeners at most (API subscriptions, the bootstrap's log line, CLI). */
export const MAX_PROGRESS_LISTENERS = 1_000;

class Stopped extends Error {}

/**
 * Runs backfill jobs: one loop per venue, one job at a time per venue (the venue's REST budget is per IP,
 * so two jobs would only share it), pages fetched within half the venue's published limit. Each page is
 * stored, its completed coarser windows rolled up from the stored 1m candles, then the job's cursor moves
 * past it: a crash between the two re-fetches one page, which the idempotent upsert stores once.
 */
export class BackfillRunner {
  readonly #deps: BackfillRunnerDeps;
  readonly #staleMs: number;
  readonly #pollMs: number;
  readonly #maxAttempts: number;
  readonly #retryBaseMs: number;
  readonly #listeners = new Set<(p: BackfillProgress) => void>();
  readonly #wakers = new Map<string, () => void>();
  readonly #loops: Promise<void>[] = [];
  readonly #abort = new AbortController();

  constructor(deps: BackfillRunnerDeps, opts: BackfillRunnerOptions = {}) {
    this.#deps = deps;
    this.#staleMs = opts.staleMs ?? 30_000;
    this.#pollMs = opts.pollMs ?? 5_000;
    this.#maxAttempts = Math.max(1, opts.maxAttempts ?? 8);
    this.#retryBaseMs = opts.retryBaseMs ?? 500;
  }

  /** Venues with a source of either kind (one loop each). */
  get venues(): string[] {
    return [...new Set([...this.candleVenues, ...this.tradeVenues])];
  }

  /** Venues with a candle history source. */
  get candleVenues(): string[] {
    return [...this.#deps.sources.keys()];
  }

  /** Venues with a trade history source. */
  get tradeVenues(): string[] {
    return [...(this.#deps.tradeSources?.keys() ?? [])];
  }

  /** Starts one loop per venue; jobs left running by a stopped or crashed engine are picked up. */
  start(): void {
    if (this.#loops.length > 0) return;
    for (const venue of this.venues) this.#loops.push(this.#loop(venue));
  }

  /** A new job was queued: its venue's loop looks now instead of at its next poll. */
  wake(venue: string): void {
    this.#wakers.get(venue)?.();
  }

  /** Listens to progress; returns the unsubscribe. Refuses beyond `MAX_PROGRESS_LISTENERS`. */
  onProgress(listener: (p: BackfillProgress) => void): () => void {
    if (this.#listeners.size >= MAX_PROGRESS_LISTENERS)
      throw new RangeError('too many backfill progress listeners');
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops every loop; a job in flight is released (queued again) after its current page. */
  async stop(): Promise<void> {
    this.#abort.abort(new Stopped('backfill runner stopped'));
    for (const wake of this.#wakers.values()) wake();
    await Promise.allSettled(this.#loops);
  }

  async #loop(venue: string): Promise<void> {
    const signal = this.#abort.signal;
    const log = this.#deps.logger;
    while (!signal.aborted) {
      let job: BackfillJob | null = null;
      try {
        job = await this.#deps.store.claimNext(venue, this.#staleMs);
      } catch (err) {
        log.error({ venue, err: message(err) }, 'backfill: could not read the job queue');
      }
      if (job) {
        await this.#run(job, signal);
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, this.#pollMs);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.#wakers.set(venue, done);
      });
    }
  }

  async #run(claimed: BackfillJob, signal: AbortSignal): Promise<void> {
    const { store, logger } = this.#deps;
    let job = claimed;
    const heartbeat = setInterval(
      () => void store.touch(job.id).catch(() => {}),
      Math.max(1_000, this.#staleMs / 3),
    );
    heartbeat.unref();
    logger.info(
      {
        job: job.id,
        venue: job.venue,
        symbol: job.symbol,
        from: iso(job.fromMs),
        to: iso(job.toMs),
        cursor: iso(job.cursorMs),
        kind: job.kind,
      },
      job.cursorMs > job.fromMs ? 'backfill resumed' : 'backfill started',
    );
    try {
      job = job.kind === 'trades' ? await this.#runTrades(job, signal) : await this.#runCandles(job, signal);
      job = await store.finish(job.id, 'done', null);
      this.#emit(job);
      logger.info(
        {
          job: job.id,
          venue: job.venue,
          symbol: job.symbol,
          kind: job.kind,
          rows: job.candlesWritten,
          ...(job.completeFromMs !== null ? { completeFrom: iso(job.completeFromMs) } : {}),
          requests: job.requests,
          throttled: job.throttled,
        },
        'backfill done',
      );
    } catch (err) {
      if (err instanceof Stopped || signal.aborted) {
        await store.release(job.id).catch(() => {});
        logger.info(
          { job: job.id, cursor: iso(job.cursorMs) },
          'backfill paused (engine stopping): resumes at next start',
        );
      } else {
        const text = message(err);
        job = await store.finish(job.id, 'failed', text).catch(() => job);
        this.#emit({ ...job, status: 'failed', error: text });
        logger.error({ job: job.id, venue: job.venue, symbol: job.symbol, err: text }, 'backfill failed');
      }
    } finally {
      clearInterval(heartbeat);
    }
  }

  /**
   * The page loop both kinds share. The next page is fetched while this one is stored (one page ahead at
   * most): the venue's budget paces the fetches, the database the writes, and neither waits for the
   * other. `store` returns the rows stored; the cursor moves only after it.
   */
  async #pages<P extends { nextFrom: number; requests: number; throttled: number; completeFrom?: number }>(
    start: BackfillJob,
    signal: AbortSignal,
    fetch: (from: number) => Promise<P>,
    store: (page: P, from: number) => Promise<number>,
  ): Promise<BackfillJob> {
    let job = start;
    const fetchWithRetry = (from: number) => this.#withRetry(job, signal, () => fetch(from));
    let next: Promise<P> | null = null;
    while (job.cursorMs < job.toMs) {
      if (signal.aborted) throw signal.reason;
      const from = job.cursorMs;
      const page = await (next ?? fetchWithRetry(from));
      next = null;
      if (page.nextFrom <= from) throw new Error(`the history source did not move past ${iso(from)}`);
      if (page.nextFrom < job.toMs) {
        next = fetchWithRetry(page.nextFrom);
        next.catch(() => {}); // awaited on the next turn; a stop in between must not leave it unhandled
      }
      const rows = await store(page, from);
      job = await this.#deps.store.advance(job.id, Math.min(job.toMs, page.nextFrom), {
        candles: rows,
        requests: page.requests,
        throttled: page.throttled,
        ...(page.completeFrom !== undefined ? { completeFromMs: page.completeFrom } : {}),
      });
      this.#emit(job);
    }
    return job;
  }

  /** A candle job: pages of closed 1m candles, each stored then rolled up into 5m-1d. */
  async #runCandles(job: BackfillJob, signal: AbortSignal): Promise<BackfillJob> {
    const source = this.#deps.sources.get(job.venue);
    if (!source) throw new Error(`no candle history for venue ${job.venue}`);
    return this.#pages(
      job,
      signal,
      (from) => this.fetchCandles(source, job.symbol, from, job.toMs, signal),
      async (page: CandlePage, from) => {
        if (page.candles.length > 0) await this.#deps.writeKlines(page.candles);
        await this.#rollUp(job, from, page.nextFrom);
        return page.candles.length;
      },
    );
  }

  /**
   * One page of closed 1m candles of [fromMs, toMs) from the venue (the window the source chooses). The
   * one place a candle job asks a venue for candles. A faster path (Binance's archive files) is not
   * plugged in here: it wraps the venue's source (`withBinanceArchive`, where the sources are built) and
   * returns the same `CandlePage` (nextFrom = the end of what it covered).
   */
  fetchCandles(
    source: CandleHistorySource,
    symbol: string,
    fromMs: number,
    toMs: number,
    signal: AbortSignal,
  ): Promise<CandlePage> {
    return source.fetchPage(symbol, fromMs, toMs, signal);
  }

  /** A trade job: windows of trades, stored idempotently (no candles are touched here). */
  async #runTrades(job: BackfillJob, signal: AbortSignal): Promise<BackfillJob> {
    const source = this.#deps.tradeSources?.get(job.venue);
    const write = this.#deps.writeTrades;
    if (!source || !write) throw new Error(`no trade history for venue ${job.venue}`);
    return this.#pages(
      job,
      signal,
      (from) => source.fetchPage(job.symbol, from, job.toMs, signal),
      async (page: TradePage) => {
        let trades = page.trades;
        // OKX's live `trades` channel stores one row per taker order and price (under the last trade id
        // it covers) while its REST history lists every trade: over a minute the live feed stored, the
        // backfill's rows would count that volume twice. Such minutes are left as the feed stored them;
        // the backfill fills only minutes with no trade stored (gaps).
        if (AGGREGATED_LIVE_ROWS.has(job.venue) && trades.length > 0 && this.#deps.minutesWithTrades) {
          const first = trades[0] as Trade;
          const last = trades[trades.length - 1] as Trade;
          const lo = Math.min(first.exchangeTime, last.exchangeTime);
          const hi = Math.max(first.exchangeTime, last.exchangeTime);
          const live = await this.#deps.minutesWithTrades(job.venue, job.symbol, lo - (lo % 60_000), hi + 1);
          if (live.size > 0)
            trades = trades.filter((t) => !live.has(t.exchangeTime - (t.exchangeTime % 60_000)));
        }
        if (trades.length > 0) await write(trades);
        if (page.completeFrom !== undefined)
          this.#deps.logger.warn(
            { job: job.id, venue: job.venue, symbol: job.symbol, completeFrom: iso(page.completeFrom) },
            'backfill: the venue serves only its newest trades; the range before completeFrom stays empty',
          );
        return trades.length;
      },
    );
  }

  async #withRetry<T>(job: BackfillJob, signal: AbortSignal, attempt: () => Promise<T>): Promise<T> {
    for (let n = 1; ; n++) {
      try {
        return await attempt();
      } catch (err) {
        if (signal.aborted) throw signal.reason;
        const retryable =
          !isAppError(err) || err.code === 'SERVICE_UNAVAILABLE' || err.code === 'RATE_LIMITED';
        if (!retryable || n >= this.#maxAttempts) throw err;
        const delay = Math.min(30_000, this.#retryBaseMs * 2 ** (n - 1));
        this.#deps.logger.warn(
          { job: job.id, attempt: n, delayMs: delay, err: message(err) },
          'backfill page failed: retrying',
        );
        await sleep(delay, signal);
      }
    }
  }

  /**
   * Rolls up the coarser windows this page completes, from the stored 1m candles (live ones where the
   * feed had them, fetched ones elsewhere): each window ending inside (pageFrom, pageEnd] that starts at
   * or after the job's start, or that is fully stored (its earlier part fetched by another job or the
   * feed); and after the last page, a window reaching past the job's end that is fully stored. A window
   * neither fetched nor complete would be a partial candle: left to whichever job completes it. The writer
   * keeps whichever version has more trades.
   */
  async #rollUp(job: BackfillJob, pageFrom: number, pageEnd: number): Promise<void> {
    const last = pageEnd >= job.toMs;
    const readFrom = Math.floor(pageFrom / DAY) * DAY;
    const readTo = last ? Math.ceil(pageEnd / DAY) * DAY : pageEnd;
    const out: Kline[] = [];
    let parts: Kline[] | null = null;
    for (const interval of rollUpIntervals) {
      const len = intervalMs[interval];
      const stop = last ? Math.ceil(pageEnd / len) * len : pageEnd;
      // From the window holding pageFrom (the first to end after it) to the last ending by `stop`.
      for (let start = Math.floor(pageFrom / len) * len; start + len <= stop; start += len) {
        parts ??= await this.#deps.stored1m(job.venue, job.symbol, readFrom, readTo);
        const inside = parts.filter((k) => k.openTime >= start && k.openTime < start + len);
        const complete = inside.length === len / MINUTE;
        const fetchedHere = start >= job.fromMs && start + len <= pageEnd;
        if (complete || fetchedHere) out.push(...rollUpCounted(inside, interval, start));
      }
    }
    if (out.length > 0) await this.#deps.writeKlines(out);
  }

  #emit(job: BackfillJob): void {
    const p: BackfillProgress = {
      jobId: job.id,
      venue: job.venue,
      symbol: job.symbol,
      kind: job.kind,
      createdBy: job.createdBy,
      status: job.status,
      progressBp: job.progressBp,
      cursorMs: job.cursorMs,
      candlesWritten: job.candlesWritten,
      error: job.error,
    };
    for (const l of this.#listeners) {
      try {
        l(p);
      } catch (err) {
        this.#deps.logger.warn({ err: message(err) }, 'backfill progress listener threw');
      }
    }
  }
}

/**
 * `rollUpKlines` skips candles without trades (a live quiet minute); venues that report no trade count
 * (OKX, Bybit: stored 0) still have volume, so those candles count, with their real count (0) summed.
 */
function rollUpCounted(parts: readonly Kline[], interval: KlineInterval, openTime: number): Kline[] {
  const end = openTime + intervalMs[interval];
  const inside = parts.filter((k) => k.openTime >= openTime && k.openTime < end);
  const [rolled] = rollUpKlines(
    inside.map((k) => (k.tradeCount > 0 || k.baseVolume === '0' ? k : { ...k, tradeCount: 1 })),
    interval,
    openTime,
  );
  if (!rolled) return [];
  return [{ ...rolled, tradeCount: inside.reduce((n, k) => n + k.tradeCount, 0) }];
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const iso = (ms: number) => new Date(ms).toISOString();

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
