import { OrderBook } from './order-book.ts';

/**
 * What every venue's book synchroniser shares: the book, its status, staleness, and counters. Each
 * synchroniser is a pure state machine: frames (already parsed) and REST snapshots go in with the time
 * they were received, events come out; it opens no socket and sets no timer, so every step of a venue's
 * documented procedure can be tested on its own and the engine decides how to subscribe and fetch.
 */

/** Why a book had to be rebuilt. */
export type ResyncReason =
  /** An update does not continue the previous one (Binance `U`, OKX `prevSeqId`, Bybit `u`). */
  | 'sequence-gap'
  /** OKX: our top-25 checksum differs from the venue's after an update. */
  | 'checksum-mismatch'
  /** Binance: the REST snapshot is older than the first buffered diff; fetch another. */
  | 'snapshot-too-old'
  /** The best bid reached the best ask: the book is known wrong whatever the sequence says. */
  | 'crossed-book'
  /** A level did not parse (bad decimal): the frame was not applied, so the book no longer matches. */
  | 'malformed'
  /** No frame for `staleAfterMs` while synced (the venue stopped sending the book, or the socket hangs). */
  | 'stale';

export const resyncReasons: readonly ResyncReason[] = [
  'sequence-gap',
  'checksum-mismatch',
  'snapshot-too-old',
  'crossed-book',
  'malformed',
  'stale',
];

/**
 * `synced`: the book is live and may be served. `syncing`: waiting for a snapshot (first start or after a
 * resync). `stale`: it was live but nothing arrived for too long; never served as live.
 */
export type SyncStatus = 'syncing' | 'synced' | 'stale';

export type SyncEvent =
  /** A snapshot (and any buffered diffs) made the book live. */
  | { type: 'synced' }
  /** An update was applied to a live book. */
  | { type: 'applied' }
  /** Binance: a diff kept until the snapshot arrives. */
  | { type: 'buffered' }
  /** A frame with nothing to do (an update older than the book, or one that arrived while syncing). */
  | { type: 'ignored' }
  /** The book is known wrong and was dropped: re-subscribe (OKX, Bybit) or fetch a snapshot (Binance). */
  | { type: 'resyncNeeded'; reason: ResyncReason }
  /** No frame for `staleAfterMs`: the book was dropped; resync as for `resyncNeeded`. */
  | { type: 'stale' };

/** Counters, shareable by every synchroniser of a venue (they feed metrics). */
export class BookSyncCounters {
  readonly resyncs: Record<ResyncReason, number> = {
    'sequence-gap': 0,
    'checksum-mismatch': 0,
    'snapshot-too-old': 0,
    'crossed-book': 0,
    malformed: 0,
    stale: 0,
  };
  /** Times a book became live. */
  synced = 0;
  /** Updates applied to live books. */
  applied = 0;
  /** Binance: buffered diffs dropped at the buffer's bound (oldest first). */
  bufferDropped = 0;

  totalResyncs(): number {
    let n = 0;
    for (const r of resyncReasons) n += this.resyncs[r];
    return n;
  }
}

export interface BookSyncOptions {
  /** A live book with no frame for this long goes stale; default 30 s (Bybit sends nothing while quiet). */
  staleAfterMs?: number;
  /** Shared counters; default a private set. */
  counters?: BookSyncCounters;
}

export abstract class BookSyncBase {
  protected readonly book = new OrderBook();
  readonly counters: BookSyncCounters;
  readonly staleAfterMs: number;
  #status: SyncStatus = 'syncing';
  #lastFrameAt = Number.NEGATIVE_INFINITY;

  constructor(opts: BookSyncOptions = {}) {
    this.counters = opts.counters ?? new BookSyncCounters();
    this.staleAfterMs = opts.staleAfterMs ?? 30_000;
    if (!(this.staleAfterMs > 0)) throw new RangeError('staleAfterMs must be positive');
  }

  get status(): SyncStatus {
    return this.#status;
  }

  /**
   * When the last frame (or the snapshot that made the book live) was received, in the clock's ms;
   * -Infinity before the first. A consumer that needs a book fresher than `staleAfterMs` reads it.
   */
  get lastFrameAt(): number {
    return this.#lastFrameAt;
  }

  /** The book, only while it is live; null while syncing or stale (a wrong book is never served). */
  liveBook(): OrderBook | null {
    return this.#status === 'synced' ? this.book : null;
  }

  /**
   * Call periodically (e.g. each second): a live book with no frame for `staleAfterMs` becomes stale.
   * Returns the `stale` event once, then null.
   */
  checkStale(now: number): SyncEvent | null {
    if (this.#status !== 'synced' || now - this.#lastFrameAt < this.staleAfterMs) return null;
    this.counters.resyncs.stale += 1;
    this.book.clear();
    this.#status = 'stale';
    this.onDropped();
    return { type: 'stale' };
  }

  /** The socket went away: the book can no longer be trusted; start over (not counted as a resync). */
  reset(): void {
    this.book.clear();
    this.#status = 'syncing';
    this.onDropped();
  }

  protected touched(now: number): void {
    this.#lastFrameAt = now;
  }

  protected markSynced(now: number): SyncEvent {
    this.#status = 'synced';
    this.#lastFrameAt = now;
    this.counters.synced += 1;
    return { type: 'synced' };
  }

  protected resync(reason: ResyncReason): SyncEvent {
    this.counters.resyncs[reason] += 1;
    this.book.clear();
    this.#status = 'syncing';
    this.onDropped();
    return { type: 'resyncNeeded', reason };
  }

  /** Venue state to forget when the book is dropped. */
  protected abstract onDropped(): void;

  /** Apply one side's levels; false when a level does not parse (the caller resyncs). */
  protected applyLevels(side: 'bid' | 'ask', levels: ReadonlyArray<readonly [string, string]>): boolean {
    try {
      for (const [p, q] of levels) this.book.apply(side, p, q);
      return true;
    } catch {
      return false;
    }
  }

  /** Load a snapshot into the emptied book; false when a level does not parse. */
  protected load(
    bids: ReadonlyArray<readonly [string, string]>,
    asks: ReadonlyArray<readonly [string, string]>,
  ): boolean {
    this.book.clear();
    return this.applyLevels('bid', bids) && this.applyLevels('ask', asks);
  }
}
