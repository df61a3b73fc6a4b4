import type { BybitOrderbookMessage } from './book-parsers.ts';
import { BookSyncBase, type BookSyncOptions, type SyncEvent } from './book-sync.ts';

/**
 * Bybit v5 `orderbook.<depth>.<symbol>` (bybit-exchange docs v5, websocket/public/orderbook, 2025): a
 * `snapshot` on subscribe (and whenever Bybit re-sends one: reset the book to it), then `delta` messages
 * (spot level 50 every 20 ms): size "0" deletes a level, an unknown price is inserted, a known one
 * updated. `u` is the update id, consecutive in normal operation; `u` = 1 is a snapshot after a restart of
 * Bybit's service, whatever its `type` says: reset the book. A delta whose `u` is not the previous `u` + 1
 * means one was lost (`sequence-gap`): drop the book and subscribe again. `seq` (the matching engine's
 * cross sequence) is kept for reference, not checked: the docs do not promise it is consecutive.
 * After each delta the book is cut to the subscribed depth (levels pushed out of the top 50 are no longer
 * maintained by the channel).
 */

export interface BybitBookSyncOptions extends BookSyncOptions {
  /** The topic's depth (1, 50, 200, 1000); default 50. */
  depth?: number;
}

export class BybitBookSync extends BookSyncBase {
  readonly #depth: number;
  #lastU: number | null = null;
  #seq: number | null = null;

  constructor(opts: BybitBookSyncOptions = {}) {
    super(opts);
    this.#depth = opts.depth ?? 50;
  }

  get lastUpdateId(): number | null {
    return this.#lastU;
  }

  get seq(): number | null {
    return this.#seq;
  }

  onMessage(msg: BybitOrderbookMessage, now: number): SyncEvent {
    if (msg.type === 'snapshot' || msg.u === 1) {
      if (!this.load(msg.bids, msg.asks)) return this.resync('malformed');
      this.book.truncate(this.#depth);
      if (this.book.crossed()) return this.resync('crossed-book');
      this.#lastU = msg.u;
      this.#seq = msg.seq;
      return this.markSynced(now);
    }
    if (this.status !== 'synced') return { type: 'ignored' };
    this.touched(now);
    if (this.#lastU === null || msg.u !== this.#lastU + 1) return this.resync('sequence-gap');
    if (!this.applyLevels('bid', msg.bids) || !this.applyLevels('ask', msg.asks))
      return this.resync('malformed');
    this.book.truncate(this.#depth);
    if (this.book.crossed()) return this.resync('crossed-book');
    this.#lastU = msg.u;
    this.#seq = msg.seq;
    this.counters.applied += 1;
    return { type: 'applied' };
  }

  protected onDropped(): void {
    this.#lastU = null;
    this.#seq = null;
  }
}
