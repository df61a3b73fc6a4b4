import type { BinanceDepthEvent, BinanceDepthSnapshot } from './book-parsers.ts';
import { BookSyncBase, type BookSyncOptions, type SyncEvent } from './book-sync.ts';

/**
 * Binance Spot diff-depth book ("How to manage a local order book correctly", Binance Spot WebSocket
 * Streams docs, 2025): the `<symbol>@depth@100ms` stream carries `U` (first update id) and `u` (last)
 * per event; `GET /api/v3/depth?symbol=X&limit=1000` returns `lastUpdateId`. The procedure:
 *   1. open the stream and buffer its events, noting `U` of the first;
 *   2. fetch the snapshot; if its `lastUpdateId` is below that first `U`, fetch again (`snapshot-too-old`);
 *   3. drop buffered events with `u <= lastUpdateId`; the book is the snapshot, its id `lastUpdateId`;
 *   4. apply buffered and later events: an event with `u` < the book's id is ignored; one with
 *      `U > id + 1` means events were lost: drop the book and start over (`sequence-gap`); otherwise set
 *      each level (absolute size, "0" removes; removing an unknown level is normal) and set id = `u`.
 * So the first applied event has `U <= lastUpdateId + 1 <= u` and each next one `U == previous u + 1`.
 */

export interface BinanceBookSyncOptions extends BookSyncOptions {
  /** Diffs buffered while waiting for a snapshot; the oldest are dropped beyond it. Default 1,000 (100 s). */
  maxBuffered?: number;
}

export class BinanceBookSync extends BookSyncBase {
  readonly #maxBuffered: number;
  #buffer: BinanceDepthEvent[] = [];
  /** The book's update id (`lastUpdateId`, then each applied event's `u`). */
  #lastId = -1;

  constructor(opts: BinanceBookSyncOptions = {}) {
    super(opts);
    this.#maxBuffered = opts.maxBuffered ?? 1000;
    if (!(this.#maxBuffered >= 1)) throw new RangeError('maxBuffered must be at least 1');
  }

  /** The id of the last change in the book (-1 before the first snapshot). */
  get lastUpdateId(): number {
    return this.#lastId;
  }

  /** Diffs waiting for a snapshot. */
  get buffered(): number {
    return this.#buffer.length;
  }

  /** True when the caller should fetch a REST snapshot now (syncing or stale, and a diff is buffered). */
  wantsSnapshot(): boolean {
    return this.status !== 'synced' && this.#buffer.length > 0;
  }

  onDiff(ev: BinanceDepthEvent, now: number): SyncEvent {
    if (this.status !== 'synced') {
      if (this.#buffer.length >= this.#maxBuffered) {
        this.#buffer.shift();
        this.counters.bufferDropped += 1;
      }
      this.#buffer.push(ev);
      return { type: 'buffered' };
    }
    this.touched(now);
    const out = this.#applyEvent(ev);
    // After a gap this event belongs after the next snapshot: keep it.
    if (out.type === 'resyncNeeded' && out.reason === 'sequence-gap') this.#buffer.push(ev);
    return out;
  }

  onSnapshot(snap: BinanceDepthSnapshot, now: number): SyncEvent {
    if (this.status === 'synced') return { type: 'ignored' };
    const first = this.#buffer[0];
    if (first !== undefined && snap.lastUpdateId < first.firstId) return this.resync('snapshot-too-old');
    if (!this.load(snap.bids, snap.asks)) return this.resync('malformed');
    this.#lastId = snap.lastUpdateId;
    const pending = this.#buffer;
    this.#buffer = [];
    for (const ev of pending) {
      if (ev.lastId <= this.#lastId) continue;
      const out = this.#applyEvent(ev);
      if (out.type === 'resyncNeeded') {
        // After a gap, keep what follows the break for the next snapshot.
        if (out.reason === 'sequence-gap') this.#buffer = pending.slice(pending.indexOf(ev));
        return out;
      }
    }
    if (this.book.crossed()) return this.resync('crossed-book');
    return this.markSynced(now);
  }

  #applyEvent(ev: BinanceDepthEvent): SyncEvent {
    if (ev.lastId <= this.#lastId) return { type: 'ignored' };
    if (ev.firstId > this.#lastId + 1) return this.resync('sequence-gap');
    if (!this.applyLevels('bid', ev.bids) || !this.applyLevels('ask', ev.asks))
      return this.resync('malformed');
    this.#lastId = ev.lastId;
    if (this.book.crossed()) return this.resync('crossed-book');
    this.counters.applied += 1;
    return { type: 'applied' };
  }

  protected onDropped(): void {
    this.#lastId = -1;
  }
}
