import type { AlertCandle, AlertEvaluator, WarmupRequest } from '@qt/alerts';
import type { KlineInterval } from '@qt/shared';
import type { Logger } from '../observability/logger.ts';

/** Stored reads of warm-ups in flight at once (they share the time-series pool with the persisters). */
export const WARMUP_CONCURRENCY = 2;
/**
 * Instances waiting for a read. Past it an instance is given up at once (it warms up on live closes):
 * a burst of new alerts must not queue reads without bound.
 */
export const WARMUP_QUEUE = 10_000;
/**
 * A read slower than this gives its instance up and frees its slot. The read is given the same bound as
 * its own query timeout (storedCandleReader), so the pool connection is released too: a slow store never
 * holds more than WARMUP_CONCURRENCY connections, nor stalls the queue behind a hung read.
 */
export const WARMUP_READ_TIMEOUT_MS = 15_000;

/**
 * The newest `limit` closed candles of a series opening before `before` (none: the newest stored), in
 * any order (what the time-series store serves), failing after `timeoutMs`.
 */
export type StoredCandleReader = (q: {
  venue: string;
  symbol: string;
  interval: KlineInterval;
  limit: number;
  before: number | null;
  timeoutMs: number;
}) => Promise<AlertCandle[]>;

/**
 * Seeds the evaluator's new indicator instances (a new alert, or ones a restore left waiting for a seed)
 * from stored closed candles, so an RSI alert can fire on the first live close instead of after `period`
 * of them. One read per instance, WARMUP_CONCURRENCY at a time, WARMUP_QUEUE waiting. A queued instance
 * goes on taking live closes (its alerts are evaluated as without warm-up); only when its read starts is
 * it reset and held back from live closes (AlertEvaluator.beginWarmup), so a long queue never silences
 * alerts. Never in the way of evaluation: the read runs outside the evaluator's lock, and only the merge
 * (pushing at most WARMUP_MAX_CANDLES bars into one instance) runs inside it, between two batches. While
 * an instance is seeded the evaluator logs the live closes it skips and merges them by open time (see
 * AlertEvaluator.completeWarmup), so nothing is lost or applied twice, and no alert fires on the seed.
 * A failed or timed-out read gives the instance up: it takes the live closes logged meanwhile and warms
 * up on live closes, as before warm-up existed (logged; the alert view says `cold`).
 */
export class IndicatorWarmup {
  readonly #o: IndicatorWarmupOptions;
  #queue: WarmupRequest[] = [];
  #running = 0;
  #active = false;
  #stopped = false;
  readonly stats = {
    requested: 0,
    ready: 0,
    cold: 0,
    deferred: 0,
    failed: 0,
    timedOut: 0,
    dropped: 0,
    stale: 0,
  };

  constructor(o: IndicatorWarmupOptions) {
    this.#o = o;
  }

  /** From now on new instances are seeded (call after the snapshot is restored), starting with those waiting. */
  start(): void {
    this.#active = true;
    this.schedule();
  }

  /** Takes the instances the evaluator made since the last call (call right after adding alerts). */
  schedule(): void {
    if (!this.#active || this.#stopped) return;
    const max = this.#o.maxQueued ?? WARMUP_QUEUE;
    const ev = this.#o.evaluator();
    for (const req of ev.takeWarmups()) {
      this.stats.requested++;
      if (this.#queue.length >= max) {
        this.stats.dropped++;
        // Never started: the instance kept its live closes and goes on warming up on them.
        ev.completeWarmup(req, []);
        this.#o.logger.warn({ ...describe(req), queued: max }, 'indicator warm-up queue full: warms up live');
        continue;
      }
      this.#queue.push(req);
    }
    this.#pump();
  }

  /**
   * Stops taking and starting reads (those in flight end on their own; their results are dropped). The
   * evaluator's queued and seeding instances are left as they are: a snapshot stores them as waiting for
   * a seed, and the next start seeds them.
   */
  stop(): void {
    this.#stopped = true;
    this.#queue = [];
  }

  /** Reads queued or in flight. */
  get pending(): number {
    return this.#queue.length + this.#running;
  }

  #pump(): void {
    const max = this.#o.concurrency ?? WARMUP_CONCURRENCY;
    while (!this.#stopped && this.#running < max && this.#queue.length > 0) {
      const queued = this.#queue.shift() as WarmupRequest;
      // Starts now: the evaluator resets the instance, holds live closes back from it, and bounds the read.
      const req = this.#o.evaluator().beginWarmup(queued);
      if (!req) {
        this.stats.stale++;
        continue;
      }
      this.#running++;
      void this.#run(req)
        .catch((err: unknown) =>
          this.#o.logger.warn(
            { ...describe(req), err: err instanceof Error ? err.message : String(err) },
            'indicator warm-up not applied',
          ),
        )
        .finally(() => {
          this.#running--;
          this.#pump();
        });
    }
  }

  async #run(req: WarmupRequest): Promise<void> {
    const timeoutMs = this.#o.readTimeoutMs ?? WARMUP_READ_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
      timer.unref();
    });
    let candles: AlertCandle[] = [];
    try {
      const read = this.#o.read({
        venue: req.venue,
        symbol: req.symbol,
        interval: req.interval,
        limit: req.limit,
        before: req.before,
        timeoutMs,
      });
      // A read that ends after the timeout is dropped (its query has the same timeout: it ends too).
      read.catch(() => undefined);
      const got = await Promise.race([read, timeout]);
      if (got === 'timeout') {
        this.stats.timedOut++;
        throw new Error(`stored candle read took over ${timeoutMs} ms`);
      }
      candles = got;
    } catch (err) {
      this.stats.failed++;
      this.#o.logger.warn(
        { ...describe(req), err: err instanceof Error ? err.message : String(err) },
        'indicator warm-up read failed: warms up live',
      );
    } finally {
      clearTimeout(timer);
    }
    if (this.#stopped) return;
    await this.#o.serial(async () => {
      // The evaluator of now: a rebuilt one does not know this request (its token), and ignores it.
      const out = this.#o.evaluator().completeWarmup(req, candles);
      if (!out.applied) {
        this.stats.stale++;
        return;
      }
      if (out.deferred) this.stats.deferred++;
      else if (out.ready) this.stats.ready++;
      else {
        this.stats.cold++;
        this.#o.logger.info(
          { ...describe(req), stored: out.stored, pushed: out.pushed },
          'indicator seeded with fewer stored candles than it needs: warms up on live closes',
        );
      }
    });
  }
}

export interface IndicatorWarmupOptions {
  /** The evaluator now (the service may rebuild it). */
  evaluator: () => AlertEvaluator;
  /** The service's evaluation lock: the merge runs between two batches. */
  serial: <T>(fn: () => Promise<T>) => Promise<T>;
  read: StoredCandleReader;
  logger: Logger;
  concurrency?: number;
  maxQueued?: number;
  readTimeoutMs?: number;
}

function describe(req: WarmupRequest) {
  return { venue: req.venue, symbol: req.symbol, interval: req.interval, indicator: req.key };
}
