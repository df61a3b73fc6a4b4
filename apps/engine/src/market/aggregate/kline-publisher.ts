import { type Kline, type MessageBus, subjects, topics } from '@qt/shared';
import type { Logger } from '../../observability/logger.ts';

const keyOf = (k: Kline) => `${k.venue}:${k.symbol}:${k.interval}:${k.openTime}`;

/**
 * Candle events to the bus without letting a slow bus pile up promises: open-candle updates coalesce
 * (only the newest version of a candle waits), closes and corrections queue in order and go first.
 * msgIds are deterministic (`venue:symbol:interval:openTime:` + `u<trades>` or `c<revision>`), so two
 * engine instances aggregating the same trades publish each candle version once.
 */
export class KlinePublisher {
  readonly #updates = new Map<string, Kline>();
  readonly #closes: Array<{ kline: Kline; revision: number }> = [];
  #inFlight = 0;
  #closed = false;
  #retryTimer: NodeJS.Timeout | undefined;
  failures = 0;
  dropped = 0;

  constructor(
    private readonly bus: MessageBus,
    private readonly logger: Logger,
    private readonly maxInFlight = 64,
    private readonly maxQueued = 200_000,
  ) {}

  updated(k: Kline): void {
    this.#updates.set(keyOf(k), k);
    this.#pump();
  }

  closed(k: Kline, revision: number): void {
    this.#updates.delete(keyOf(k));
    if (this.#closes.length >= this.maxQueued) {
      this.#closes.shift();
      this.dropped++;
    }
    this.#closes.push({ kline: k, revision });
    this.#pump();
  }

  /** Stops publishing; what is still queued is dropped and counted. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    this.dropped += this.#closes.length + this.#updates.size;
    this.#closes.length = 0;
    this.#updates.clear();
  }

  #pump(): void {
    if (this.#closed || this.#retryTimer) return;
    while (this.#inFlight < this.maxInFlight) {
      const close = this.#closes.shift();
      if (close) {
        this.#send(close.kline, `c${close.revision}`);
        continue;
      }
      const next = this.#updates.entries().next();
      if (next.done) return;
      this.#updates.delete(next.value[0]);
      this.#send(next.value[1], `u${next.value[1].tradeCount}`);
    }
  }

  #send(k: Kline, version: string): void {
    this.#inFlight++;
    this.bus
      .publish(topics.marketKlines, subjects.marketKlines(k.venue, k.symbol, k.interval), k, {
        msgId: `${keyOf(k)}:${version}`,
      })
      .catch((err: unknown) => {
        this.failures++;
        if (this.failures === 1 || this.failures % 100 === 0) {
          this.logger.warn(
            { err: err instanceof Error ? err.message : String(err), failures: this.failures },
            'kline publish failed',
          );
        }
        if (this.#closed) {
          this.dropped++;
          return;
        }
        // A close must not be lost: back in the queue (an update will be superseded anyway), and a
        // pause before the next attempt so a bus outage is not a busy loop.
        if (k.closed) this.#closes.unshift({ kline: k, revision: Number(version.slice(1)) });
        this.#retryTimer ??= setTimeout(() => {
          this.#retryTimer = undefined;
          this.#pump();
        }, 250);
      })
      .finally(() => {
        this.#inFlight--;
        if (!this.#closed) setImmediate(() => this.#pump());
      });
  }
}
