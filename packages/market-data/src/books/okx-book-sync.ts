import type { OkxBooksMessage } from './book-parsers.ts';
import { BookSyncBase, type BookSyncOptions, type SyncEvent } from './book-sync.ts';
import { okxChecksum } from './okx-checksum.ts';

/**
 * OKX `books` channel (docs-v5, order book channel, 2025): on subscribe one `action:"snapshot"` (400
 * levels, `prevSeqId` -1), then `action:"update"` messages every 100 ms. Each carries `seqId`, and
 * `prevSeqId` = the `seqId` of the previous message on the channel: an update whose `prevSeqId` is not the
 * last `seqId` we applied means a message was lost (`sequence-gap`). (`seqId` may also go DOWN after a
 * sequence reset, or stay equal on an empty keep-alive update; only the `prevSeqId` link matters.) After
 * the snapshot and after every update the CRC32 checksum of the top 25 levels (see okx-checksum.ts) must
 * equal the message's `checksum`, else the book is wrong (`checksum-mismatch`). Either way: drop the book,
 * unsubscribe and subscribe again for a fresh snapshot.
 */

export interface OkxBookSyncOptions extends BookSyncOptions {
  /** Levels kept per side; default 400, the channel's depth. */
  depth?: number;
}

export class OkxBookSync extends BookSyncBase {
  readonly #depth: number;
  #lastSeq: number | null = null;

  constructor(opts: OkxBookSyncOptions = {}) {
    super(opts);
    this.#depth = opts.depth ?? 400;
  }

  get lastSeqId(): number | null {
    return this.#lastSeq;
  }

  onMessage(msg: OkxBooksMessage, now: number): SyncEvent {
    if (msg.action === 'snapshot') {
      if (!this.load(msg.bids, msg.asks)) return this.resync('malformed');
      this.book.truncate(this.#depth);
      if (okxChecksum(this.book) !== msg.checksum) return this.resync('checksum-mismatch');
      if (this.book.crossed()) return this.resync('crossed-book');
      this.#lastSeq = msg.seqId;
      return this.markSynced(now);
    }
    if (this.status !== 'synced') return { type: 'ignored' };
    this.touched(now);
    if (msg.prevSeqId !== this.#lastSeq) return this.resync('sequence-gap');
    if (!this.applyLevels('bid', msg.bids) || !this.applyLevels('ask', msg.asks))
      return this.resync('malformed');
    this.book.truncate(this.#depth);
    if (okxChecksum(this.book) !== msg.checksum) return this.resync('checksum-mismatch');
    if (this.book.crossed()) return this.resync('crossed-book');
    this.#lastSeq = msg.seqId;
    this.counters.applied += 1;
    return { type: 'applied' };
  }

  protected onDropped(): void {
    this.#lastSeq = null;
  }
}
