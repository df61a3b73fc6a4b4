import {
  type IdRange,
  intervalMs,
  type RangeFetchResult,
  recomputeKlines,
  type TradeGap,
  type TradeHistorySource,
} from '@qt/market-data';
import type { Kline, KlineInterval, Trade } from '@qt/shared';
import { AppError } from '@qt/shared';
import type { Logger } from '../../observability/logger.ts';
import { rollUpKlines } from './roll-up-klines.ts';

/** How a gap ended: every id stored, some, or none (with the reason). */
export type GapOutcome = 'repaired' | 'partial' | 'unrepairable';

/** Why ids stayed missing. */
export type UnrepairableReason =
  /** The venue returned no trade for these ids (older than its history, or ids that never existed). */
  | 'not-in-history'
  /** The venue offers no trade history by id (Bybit). */
  | 'no-history-by-id'
  /**
   * The live feed keys trades by aggregate id (Binance `aggTrade`) while the history is by trade id:
   * repaired rows would land in another id space and double the stored volume, so nothing is fetched.
   */
  | 'aggregate-ids'
  /** The fetched trades could not be written (the database refused for every attempt). */
  | 'store-failed'
  /** The repair queue was full when the gap came. */
  | 'queue-full'
  /** The venue kept refusing for its rate limit longer than the repair may wait. */
  | 'rate-limited'
  /** The venue's REST answered with an error, or no endpoint answered. */
  | 'venue-error'
  /** The repairer stopped (shutdown) before the gap's turn. */
  | 'stopped';

export interface GapReport {
  venue: string;
  symbol: string;
  fromId: number;
  toId: number;
  outcome: GapOutcome;
  /** Trades fetched and handed to storage (ids of the range the venue returned). */
  repaired: number;
  /** Ids of the range still missing. */
  unrepaired: number;
  missing: IdRange[];
  reason?: UnrepairableReason;
  /**
   * Candle windows (over every interval) the repaired trades fall in, each scheduled to be recomputed
   * from storage once the aggregator has closed it (see `GapRepairer`).
   */
  candleWindowsScheduled: number;
}

export interface GapRepairStats {
  queuedRanges: number;
  /** Gaps (coalesced ranges) finished, by outcome. */
  outcomes: Record<GapOutcome, number>;
  tradesRepaired: number;
  idsUnrepairable: number;
  restRequests: number;
  restThrottled: number;
  /** Candles recomputed from storage and written (since start). */
  candlesRecomputed: number;
  /** Candle windows waiting for their recompute (bounded by `maxScheduledRecomputes`). */
  recomputesScheduled: number;
  /** Windows not scheduled because the schedule was full (their candles keep the aggregator's version). */
  recomputesDropped: number;
  /** Windows given up after every recompute attempt failed (database errors). */
  recomputesFailed: number;
}

export interface GapRepairerOptions {
  /** Queued ranges at most (over all symbols); a gap past this is reported unrepairable. Default 1,000. */
  maxQueued?: number;
  /** Ids in one queued range at most; a longer gap is repaired up to this many ids. Default 100,000. */
  maxRangeIds?: number;
  /** A gap waits this long before its fetch so adjacent gaps (a burst) coalesce. Default 1,000 ms. */
  settleMs?: number;
  /**
   * The kline aggregator's allowed lateness, which is also its close delay: it closes a candle once its
   * exchange-time watermark (or clock) is this far past the candle's end.
   */
  latenessMs: number;
  /**
   * Waited after a window's close (end + lateness) before its recompute: the aggregator's clock grace
   * (1 s) plus time for the trade and kline persisters to store the window's live trades and candles.
   * Default 5,000 ms.
   */
  recomputeGraceMs?: number;
  /** Candle windows scheduled for recompute at most (a 1d window waits up to a day). Default 10,000. */
  maxScheduledRecomputes?: number;
  /** Attempts to store a gap's fetched trades before it is reported `store-failed`. Default 5. */
  storeAttempts?: number;
  intervals: readonly KlineInterval[];
}

export interface GapRepairerDeps {
  sources: ReadonlyMap<string, TradeHistorySource>;
  /** Idempotent storage (COPY + ON CONFLICT DO NOTHING): the only path repaired trades take. */
  store(trades: readonly Trade[]): Promise<unknown>;
  /** Stored trades of one series with fromMs <= exchange time < toMs (all pages). */
  storedTrades(venue: string, symbol: string, fromMs: number, toMs: number): Promise<Trade[]>;
  /** Stored closed candles of one series and interval with fromMs <= open time < toMs (all pages). */
  storedKlines(
    venue: string,
    symbol: string,
    interval: KlineInterval,
    fromMs: number,
    toMs: number,
  ): Promise<Kline[]>;
  /** Upsert; the stored version is replaced by one with at least as many trades (a recompute). */
  storeKlines(klines: readonly Kline[]): Promise<unknown>;
  now(): number;
  logger: Logger;
  onReport?(report: GapReport): void;
}

interface Pending {
  venue: string;
  symbol: string;
  fromId: number;
  toId: number;
  dueAt: number;
}

/** One candle window to rebuild from storage once the aggregator has closed it. */
interface Recompute {
  venue: string;
  symbol: string;
  interval: KlineInterval;
  openTime: number;
  dueAt: number;
  attempts: number;
}

/** Intervals rebuilt from stored trades; coarser ones are rolled up from stored 1m candles. */
const fromTrades = new Set<KlineInterval>(['100ms', '1s', '1m']);
const recomputeAttempts = 5;
const recomputeRetryMs = 10_000;

/**
 * Fills feed gaps from the venues' REST trade history, so no trade the venue sent stays missing. The
 * feed's sequencer reports each gap with its exact id range; gaps wait in one bounded queue, adjacent or
 * overlapping ranges of a symbol merged into one; one worker per venue fetches them within the venue's REST budget
 * (the sources wait on 429/418 as told). Each gap ends with one report and log line: repaired,
 * partially repaired or unrepairable (with the reason).
 *
 * Fetched trades are written straight to storage (idempotent) and NOT published on the bus: they come
 * at least the settle time late, so the aggregator would drop most of them as too late and, for ids it
 * had already seen (frames that arrived late after the gap was reported), count the rest twice; bus
 * consumers (strategies, alerts) would see trades out of order. Instead every candle window the trades
 * fall in, of every interval, is scheduled for a recompute from storage once the aggregator has closed
 * it (end + lateness + `recomputeGraceMs`): 100ms/1s/1m from the window's stored trades, coarser
 * intervals rolled up from the window's stored 1m candles (recomputed first: same or earlier due time,
 * shorter intervals first), so a 1d window never loads a day of trades. The recomputed candle has every
 * stored trade of its window, so the kline upsert (which keeps the version with more trades) takes it
 * over the aggregator's and refuses any older version that comes later. The schedule is bounded.
 */
export class GapRepairer {
  readonly #opts: Required<GapRepairerOptions>;
  readonly #deps: GapRepairerDeps;
  readonly #queue: Pending[] = [];
  readonly #busy = new Set<string>();
  readonly #running = new Set<Promise<void>>();
  readonly #abort = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  /** Keyed by venue, symbol, interval and open time, so a window is scheduled once. */
  readonly #recomputes = new Map<string, Recompute>();
  #recomputeTimer: NodeJS.Timeout | undefined;
  #recomputing: Promise<number> | undefined;
  /** The last reports, newest last (bounded: status pages and tests read them). */
  readonly #recent: GapReport[] = [];
  readonly stats: GapRepairStats = {
    queuedRanges: 0,
    outcomes: { repaired: 0, partial: 0, unrepairable: 0 },
    tradesRepaired: 0,
    idsUnrepairable: 0,
    restRequests: 0,
    restThrottled: 0,
    candlesRecomputed: 0,
    recomputesScheduled: 0,
    recomputesDropped: 0,
    recomputesFailed: 0,
  };

  constructor(options: GapRepairerOptions, deps: GapRepairerDeps) {
    this.#opts = {
      maxQueued: options.maxQueued ?? 1_000,
      maxRangeIds: options.maxRangeIds ?? 100_000,
      settleMs: options.settleMs ?? 1_000,
      latenessMs: options.latenessMs,
      recomputeGraceMs: options.recomputeGraceMs ?? 5_000,
      maxScheduledRecomputes: options.maxScheduledRecomputes ?? 10_000,
      storeAttempts: Math.max(1, options.storeAttempts ?? 5),
      intervals: options.intervals,
    };
    this.#deps = deps;
  }

  /** Takes one gap report from a feed (synchronous; never throws). */
  onGap(gap: TradeGap): void {
    if (this.#stopped) return;
    const source = this.#deps.sources.get(gap.venue);
    if (source === undefined || !source.byId) {
      this.#finish(
        { venue: gap.venue, symbol: gap.symbol, fromId: gap.fromId, toId: gap.toId, dueAt: 0 },
        [],
        [{ fromId: gap.fromId, toId: gap.toId }],
        source?.notById ?? 'no-history-by-id',
        0,
      );
      return;
    }
    const dueAt = this.#deps.now() + this.#opts.settleMs;
    // Coalesce with a queued range of the symbol it touches or overlaps (not yet taken by a worker).
    for (const p of this.#queue) {
      if (p.venue !== gap.venue || p.symbol !== gap.symbol) continue;
      if (gap.fromId > p.toId + 1 || gap.toId < p.fromId - 1) continue;
      p.fromId = Math.min(p.fromId, gap.fromId);
      p.toId = Math.max(p.toId, gap.toId);
      p.dueAt = Math.max(p.dueAt, dueAt);
      this.#schedule();
      return;
    }
    if (this.#queue.length >= this.#opts.maxQueued) {
      this.#finish(
        { venue: gap.venue, symbol: gap.symbol, fromId: gap.fromId, toId: gap.toId, dueAt },
        [],
        [{ fromId: gap.fromId, toId: gap.toId }],
        'queue-full',
        0,
      );
      return;
    }
    this.#queue.push({ venue: gap.venue, symbol: gap.symbol, fromId: gap.fromId, toId: gap.toId, dueAt });
    this.stats.queuedRanges = this.#queue.length;
    this.#schedule();
  }

  /** The last 100 gap reports, oldest first. */
  recent(): GapReport[] {
    return [...this.#recent];
  }

  /**
   * Resolves when nothing is queued or being fetched (tests; shutdown). Scheduled candle recomputes are
   * not waited for: a 1d window's is due up to a day later.
   */
  async idle(timeoutMs = 30_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.#queue.length > 0 || this.#running.size > 0) {
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
    return true;
  }

  /** The scheduled candle windows, soonest first (status pages and tests). */
  scheduledRecomputes(): Array<{
    venue: string;
    symbol: string;
    interval: KlineInterval;
    openTime: number;
    dueAt: number;
  }> {
    return [...this.#recomputes.values()]
      .sort((a, b) => a.dueAt - b.dueAt)
      .map(({ venue, symbol, interval, openTime, dueAt }) => ({ venue, symbol, interval, openTime, dueAt }));
  }

  /**
   * Recomputes every scheduled window due at `now()` (the timer calls this; tests with their own clock
   * too), shorter intervals first so a roll-up reads 1m candles already corrected. Resolves with the
   * candles written. Calls while one runs join it.
   */
  recomputeDue(): Promise<number> {
    this.#recomputing ??= this.#runDueRecomputes().finally(() => {
      this.#recomputing = undefined;
      this.#scheduleRecomputes();
    });
    return this.#recomputing;
  }

  /**
   * Aborts fetches in flight; queued gaps are reported unrepairable ('stopped'). Scheduled recomputes
   * are dropped (logged with their count): their candles keep the aggregator's version.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#recomputeTimer);
    this.#abort.abort(new AppError('SERVICE_UNAVAILABLE', 'Gap repair stopped.'));
    await Promise.allSettled([...this.#running]);
    await this.#recomputing?.catch(() => 0);
    if (this.#recomputes.size > 0) {
      this.#deps.logger.warn(
        { windows: this.#recomputes.size },
        'gap repair stopped with candle recomputes pending; those candles keep the aggregator version',
      );
      this.#recomputes.clear();
      this.stats.recomputesScheduled = 0;
    }
    for (const p of this.#queue.splice(0))
      this.#finish(p, [], [{ fromId: p.fromId, toId: p.toId }], 'stopped', 0);
    this.stats.queuedRanges = 0;
  }

  #schedule(): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    const now = this.#deps.now();
    let next = Number.POSITIVE_INFINITY;
    for (const p of this.#queue) if (!this.#busy.has(p.venue)) next = Math.min(next, p.dueAt);
    if (next === Number.POSITIVE_INFINITY) return;
    this.#timer = setTimeout(() => this.#dispatch(), Math.max(0, next - now));
    this.#timer.unref();
  }

  /** Starts the oldest due range of every idle venue. */
  #dispatch(): void {
    const now = this.#deps.now();
    for (let i = 0; i < this.#queue.length; i++) {
      const p = this.#queue[i] as Pending;
      if (p.dueAt > now || this.#busy.has(p.venue)) continue;
      this.#queue.splice(i--, 1);
      this.stats.queuedRanges = this.#queue.length;
      this.#busy.add(p.venue);
      const run = this.#repair(p).finally(() => {
        this.#busy.delete(p.venue);
        this.#running.delete(run);
        this.#schedule();
      });
      this.#running.add(run);
    }
    this.#schedule();
  }

  async #repair(p: Pending): Promise<void> {
    const source = this.#deps.sources.get(p.venue) as TradeHistorySource;
    // A gap wider than the bound: the newest part is fetched (nearest the live data), the rest reported.
    const skipped: IdRange[] = [];
    let fromId = p.fromId;
    if (p.toId - p.fromId + 1 > this.#opts.maxRangeIds) {
      fromId = p.toId - this.#opts.maxRangeIds + 1;
      skipped.push({ fromId: p.fromId, toId: fromId - 1 });
    }
    let result: RangeFetchResult;
    try {
      result = await source.fetchRange(p.symbol, { fromId, toId: p.toId }, this.#abort.signal);
    } catch (err) {
      const code = err instanceof AppError ? err.code : '';
      const reason: UnrepairableReason = this.#stopped
        ? 'stopped'
        : code === 'RATE_LIMITED'
          ? 'rate-limited'
          : 'venue-error';
      this.#deps.logger.warn(
        { venue: p.venue, symbol: p.symbol, err: err instanceof Error ? err.message : String(err) },
        'gap repair fetch failed',
      );
      this.#finish(p, [], [{ fromId: p.fromId, toId: p.toId }], reason, 0);
      return;
    }
    this.stats.restRequests += result.requests;
    this.stats.restThrottled += result.throttled;
    let scheduled = 0;
    if (result.trades.length > 0) {
      const stored = await this.#storeWithRetry(p, result.trades);
      if (!stored) {
        this.#finish(p, [], [{ fromId: p.fromId, toId: p.toId }], 'store-failed', 0);
        return;
      }
      scheduled = this.#scheduleWindows(p.venue, p.symbol, result.trades);
      void this.recomputeDue();
    }
    const missing = [...skipped, ...result.missing];
    this.#finish(p, result.trades, missing, missing.length > 0 ? 'not-in-history' : undefined, scheduled);
  }

  /** The only path repaired trades take to storage, so it retries (bounded backoff) before giving up. */
  async #storeWithRetry(p: Pending, trades: readonly Trade[]): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#deps.store(trades);
        return true;
      } catch (err) {
        this.#deps.logger.warn(
          {
            venue: p.venue,
            symbol: p.symbol,
            attempt,
            err: err instanceof Error ? err.message : String(err),
          },
          'gap repair: storing fetched trades failed',
        );
        if (attempt >= this.#opts.storeAttempts || this.#stopped) return false;
        const delay = Math.min(30_000, 1_000 * 2 ** (attempt - 1));
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          this.#abort.signal.addEventListener(
            'abort',
            () => {
              clearTimeout(timer);
              resolve();
            },
            { once: true },
          );
        });
      }
    }
  }

  /** Schedules every window (of every interval) the trades fall in; returns how many were added. */
  #scheduleWindows(venue: string, symbol: string, trades: readonly Trade[]): number {
    let added = 0;
    let dropped = 0;
    for (const interval of this.#opts.intervals) {
      const ms = intervalMs[interval];
      for (const t of trades) {
        const openTime = t.exchangeTime - (t.exchangeTime % ms);
        const key = `${venue}\u0000${symbol}\u0000${interval}\u0000${openTime}`;
        if (this.#recomputes.has(key)) continue;
        if (this.#recomputes.size >= this.#opts.maxScheduledRecomputes) {
          dropped++;
          continue;
        }
        // The aggregator closes the window once its watermark is `latenessMs` past the end; the grace
        // covers its clock grace and the persisters storing the window's live trades and candles.
        const dueAt = openTime + ms + this.#opts.latenessMs + this.#opts.recomputeGraceMs;
        this.#recomputes.set(key, { venue, symbol, interval, openTime, dueAt, attempts: 0 });
        added++;
      }
    }
    if (dropped > 0) {
      this.stats.recomputesDropped += dropped;
      this.#deps.logger.warn(
        { venue, symbol, dropped, bound: this.#opts.maxScheduledRecomputes },
        'gap repair: candle recompute schedule full; those windows keep the aggregator version',
      );
    }
    this.stats.recomputesScheduled = this.#recomputes.size;
    return added;
  }

  #scheduleRecomputes(): void {
    clearTimeout(this.#recomputeTimer);
    if (this.#stopped || this.#recomputes.size === 0) return;
    let next = Number.POSITIVE_INFINITY;
    for (const r of this.#recomputes.values()) next = Math.min(next, r.dueAt);
    // Capped so a jump of the injected clock is noticed within a minute.
    const wait = Math.min(60_000, Math.max(0, next - this.#deps.now()));
    this.#recomputeTimer = setTimeout(() => void this.recomputeDue(), wait);
    this.#recomputeTimer.unref();
  }

  async #runDueRecomputes(): Promise<number> {
    const now = this.#deps.now();
    const due = [...this.#recomputes.entries()]
      .filter(([, r]) => r.dueAt <= now)
      .sort(([, a], [, b]) => intervalMs[a.interval] - intervalMs[b.interval] || a.openTime - b.openTime);
    let written = 0;
    for (const [key, r] of due) {
      if (this.#stopped) break;
      try {
        const klines = await this.#recompute(r);
        if (klines.length > 0) await this.#deps.storeKlines(klines);
        written += klines.length;
        this.#recomputes.delete(key);
      } catch (err) {
        r.attempts++;
        this.#deps.logger.warn(
          {
            venue: r.venue,
            symbol: r.symbol,
            interval: r.interval,
            openTime: r.openTime,
            attempt: r.attempts,
            err: err instanceof Error ? err.message : String(err),
          },
          'gap repair: candle recompute failed',
        );
        if (r.attempts >= recomputeAttempts) {
          this.#recomputes.delete(key);
          this.stats.recomputesFailed++;
        } else {
          r.dueAt = now + recomputeRetryMs;
        }
      }
    }
    this.stats.candlesRecomputed += written;
    this.stats.recomputesScheduled = this.#recomputes.size;
    return written;
  }

  /** One window's candle from storage (empty when the window has nothing stored). */
  async #recompute(r: Recompute): Promise<Kline[]> {
    const ms = intervalMs[r.interval];
    const end = r.openTime + ms;
    if (fromTrades.has(r.interval) || !this.#opts.intervals.includes('1m')) {
      const trades = await this.#deps.storedTrades(r.venue, r.symbol, r.openTime, end);
      return recomputeKlines(trades, r.interval);
    }
    const minutes = await this.#deps.storedKlines(r.venue, r.symbol, '1m', r.openTime, end);
    return rollUpKlines(minutes, r.interval, r.openTime);
  }

  #finish(
    p: Pending,
    trades: readonly Trade[],
    missing: IdRange[],
    reason: UnrepairableReason | undefined,
    candleWindowsScheduled: number,
  ): void {
    const unrepaired = missing.reduce((n, r) => n + (r.toId - r.fromId + 1), 0);
    const outcome: GapOutcome =
      unrepaired === 0 ? 'repaired' : trades.length > 0 ? 'partial' : 'unrepairable';
    const report: GapReport = {
      venue: p.venue,
      symbol: p.symbol,
      fromId: p.fromId,
      toId: p.toId,
      outcome,
      repaired: trades.length,
      unrepaired,
      missing,
      candleWindowsScheduled,
      ...(reason && unrepaired > 0 ? { reason } : {}),
    };
    this.stats.outcomes[outcome]++;
    this.stats.tradesRepaired += trades.length;
    this.stats.idsUnrepairable += unrepaired;
    const fields = {
      venue: report.venue,
      symbol: report.symbol,
      fromId: report.fromId,
      toId: report.toId,
      repaired: report.repaired,
      unrepaired: report.unrepaired,
      reason: report.reason,
      candleWindowsScheduled,
    };
    if (outcome === 'repaired') this.#deps.logger.info(fields, 'trade gap repaired over REST');
    else if (outcome === 'partial') this.#deps.logger.warn(fields, 'trade gap partially repaired over REST');
    else this.#deps.logger.warn(fields, 'trade gap unrepairable');
    this.#recent.push(report);
    if (this.#recent.length > 100) this.#recent.shift();
    this.#deps.onReport?.(report);
  }
}
