import { type MessageBus, subjects, type Trade, type TradeBatch, topics } from '@qt/shared';
import type { Logger } from '../../observability/logger.ts';

export interface TradePublisherOptions {
  /** Publishes awaiting their acknowledgement at once (pipelining: one ack round trip per batch, not per trade). */
  maxInFlight: number;
  /** Trades held while the bus is slow or down; past this the oldest are dropped and counted. */
  maxBuffered: number;
  /** Trades per bus message at most. */
  maxBatch: number;
}

export interface TradePublisherStats {
  published: number;
  /** Trades that could not be delivered to the bus and were dropped after the buffer filled. */
  dropped: number;
  publishFailures: number;
  duplicates: number;
  buffered: number;
}

/**
 * Connectors hand trades over synchronously, one call per frame; this turns them into bus messages.
 * Trades of one (venue, symbol) that arrive in the same event-loop turn go out as ONE message, so a
 * burst costs one JetStream round trip instead of one per trade, while a lone trade is sent at once
 * (setImmediate, no timer). `Nats-Msg-Id` is `venue:symbol:firstId-lastId`, so a batch re-published after
 * a failed ack is stored once. When the bus is down, trades wait in a bounded buffer and are retried in
 * order; past the bound the oldest are dropped and counted.
 */
export class TradePublisher {
  readonly #pending = new Map<string, Trade[]>();
  readonly #queue: TradeBatch[] = [];
  /** Per (venue, symbol): its newest batch in the queue, not sent yet, that may still take trades. */
  readonly #open = new Map<string, TradeBatch>();
  #queuedTrades = 0;
  #inFlight = 0;
  #scheduled = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #failureStreak = 0;
  #closed = false;
  readonly stats: TradePublisherStats = {
    published: 0,
    dropped: 0,
    publishFailures: 0,
    duplicates: 0,
    buffered: 0,
  };

  constructor(
    private readonly bus: MessageBus,
    private readonly logger: Logger,
    private readonly opts: TradePublisherOptions = { maxInFlight: 64, maxBuffered: 500_000, maxBatch: 1_000 },
  ) {}

  /** Called by a feed once per frame (synchronously). */
  push(trades: readonly Trade[]): void {
    if (this.#closed) return;
    // A frame's trades are almost always of one symbol: look the list up again only when it changes.
    let venue = '';
    let symbol = '';
    let list: Trade[] | undefined;
    for (let i = 0; i < trades.length; i++) {
      const t = trades[i] as Trade;
      if (list === undefined || t.symbol !== symbol || t.venue !== venue) {
        venue = t.venue;
        symbol = t.symbol;
        const key = `${venue}\u0000${symbol}`;
        list = this.#pending.get(key);
        if (list === undefined) {
          list = [];
          this.#pending.set(key, list);
        }
      }
      list.push(t);
    }
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#cut());
    }
  }

  /** Resolves when everything accepted so far has been published (or dropped). */
  async flush(timeoutMs = 5_000): Promise<void> {
    this.#cut();
    const deadline = Date.now() + timeoutMs;
    while ((this.#queue.length > 0 || this.#inFlight > 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Publishes what it can within the flush timeout; whatever is left is dropped and counted. */
  async close(timeoutMs = 5_000): Promise<void> {
    await this.flush(timeoutMs);
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.stats.dropped += this.#queuedTrades;
    this.#queue.length = 0;
    this.#open.clear();
    this.#queuedTrades = 0;
    this.stats.buffered = 0;
  }

  #cut(): void {
    this.#scheduled = false;
    const max = this.opts.maxBatch;
    for (const [key, trades] of this.#pending) {
      let from = 0;
      // While the publish window is full, a symbol's newest queued batch (never sent yet) takes the new
      // trades in, up to maxBatch: the slower the bus, the fewer and larger the messages, so a backlog
      // costs fewer publishes and acknowledgements instead of more. A batch that was sent once is never
      // grown (its Nats-Msg-Id must stay the same when it is retried).
      const open = this.#open.get(key);
      if (open !== undefined && open.trades.length < max) {
        const take = Math.min(max - open.trades.length, trades.length);
        for (let i = 0; i < take; i++) open.trades.push(trades[i] as Trade);
        this.#queuedTrades += take;
        from = take;
      }
      for (let i = from; i < trades.length; i += max) {
        // The pending list is dropped below: when it fits in one message it is the message.
        const slice = from === 0 && trades.length <= max ? trades : trades.slice(i, i + max);
        const first = slice[0] as Trade;
        const batch: TradeBatch = { venue: first.venue, symbol: first.symbol, trades: slice };
        this.#queue.push(batch);
        this.#queuedTrades += slice.length;
        this.#open.set(key, batch);
      }
    }
    this.#pending.clear();
    this.#shed();
    this.#pump();
  }

  #shed(): void {
    const before = this.stats.dropped;
    while (this.#queuedTrades > this.opts.maxBuffered && this.#queue.length > 0) {
      const oldest = this.#queue.shift() as TradeBatch;
      this.#forget(oldest);
      this.#queuedTrades -= oldest.trades.length;
      this.stats.dropped += oldest.trades.length;
    }
    this.stats.buffered = this.#queuedTrades;
    // Never a silent loss: the first drop of an outage is logged, then about every 100,000 trades.
    if (
      this.stats.dropped > before &&
      (before === 0 || Math.floor(before / 100_000) !== Math.floor(this.stats.dropped / 100_000))
    ) {
      this.logger.error(
        { dropped: this.stats.dropped, buffered: this.#queuedTrades, bound: this.opts.maxBuffered },
        'trade buffer full while the bus is unavailable: oldest trades dropped',
      );
    }
  }

  #pump(): void {
    if (this.#closed || this.#retryTimer) return; // closed, or backing off after a failure
    while (this.#inFlight < this.opts.maxInFlight && this.#queue.length > 0) {
      const batch = this.#queue.shift() as TradeBatch;
      this.#forget(batch);
      this.#queuedTrades -= batch.trades.length;
      this.#inFlight++;
      void this.#publish(batch);
    }
    this.stats.buffered = this.#queuedTrades;
  }

  /** A batch leaving the queue (sent or dropped) can no longer take trades. */
  #forget(batch: TradeBatch): void {
    const key = `${batch.venue}\u0000${batch.symbol}`;
    if (this.#open.get(key) === batch) this.#open.delete(key);
  }

  async #publish(batch: TradeBatch): Promise<void> {
    const first = batch.trades[0] as Trade;
    const last = batch.trades[batch.trades.length - 1] as Trade;
    const msgId = `${batch.venue}:${batch.symbol}:${first.tradeId}-${last.tradeId}`;
    try {
      const ack = await this.bus.publish(
        topics.marketTrades,
        subjects.marketTrades(batch.venue, batch.symbol),
        batch,
        {
          msgId,
        },
      );
      if (ack.duplicate) this.stats.duplicates += batch.trades.length;
      else this.stats.published += batch.trades.length;
      this.#failureStreak = 0;
    } catch (err) {
      this.stats.publishFailures++;
      if (this.#closed) {
        // The bus went away under an in-flight publish during shutdown: nothing will retry it.
        this.stats.dropped += batch.trades.length;
        return;
      }
      this.#failureStreak++;
      // Back to the front of the queue, to keep the symbol's order; retry after a capped backoff.
      this.#queue.unshift(batch);
      this.#queuedTrades += batch.trades.length;
      this.#shed();
      if (this.#failureStreak === 1 || this.#failureStreak % 50 === 0) {
        this.logger.warn(
          {
            err: err instanceof Error ? err.message : String(err),
            buffered: this.#queuedTrades,
            streak: this.#failureStreak,
          },
          'trade publish failed; buffering and retrying',
        );
      }
      if (!this.#retryTimer && !this.#closed) {
        const delay = Math.min(5_000, 50 * 2 ** Math.min(this.#failureStreak, 7));
        this.#retryTimer = setTimeout(() => {
          this.#retryTimer = undefined;
          this.#pump();
        }, delay);
      }
    } finally {
      this.#inFlight--;
      this.#pump();
    }
  }
}
