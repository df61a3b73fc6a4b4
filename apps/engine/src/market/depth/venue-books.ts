import {
  BinanceBookSync,
  type BinanceDepthSnapshotSource,
  BookSyncCounters,
  BybitBookSync,
  type DepthFrame,
  LogThrottle,
  OkxBookSync,
  type OrderBook,
  type SyncEvent,
} from '@qt/market-data';
import type { Clock, Depth, KnownVenue } from '@qt/shared';
import type { Logger } from '../../observability/logger.ts';

/**
 * One venue's books, driven by the venue's synchronisers (packages/market-data/src/books): depth frames
 * and REST snapshots go in, and this class does what each venue's procedure asks the caller to do:
 *   - Binance: fetch `GET /api/v3/depth` whenever the synchroniser wants a snapshot (first start, after a
 *     gap, after a stale period), one request in flight per book, within the venue's REST budget;
 *   - OKX, Bybit: unsubscribe and subscribe the book's channel again (a fresh snapshot), with a doubling
 *     pause between attempts so a venue that keeps failing is not flooded with requests (OKX allows 480
 *     subscribe requests per hour per connection);
 *   - every venue: `checkStale` each tick, `reset` when the socket is lost (the reconnect resubscribes).
 * A changed book is marked dirty; the publisher takes dirty books at most every 100 ms (conflation).
 */

export interface BookState {
  readonly symbol: string;
  readonly sync: BinanceBookSync | OkxBookSync | BybitBookSync;
  /** Changed since the publisher last took it. */
  dirty: boolean;
  /** Times the book was dropped as wrong or stale (per book; the venue's counters have the reasons). */
  resyncs: number;
  /** Binance REST snapshots requested, OKX/Bybit resubscriptions sent. */
  recoveries: number;
  snapshotInFlight: boolean;
  wantResubscribe: boolean;
  /** Not before this time (clock ms): the next snapshot request or resubscription. */
  nextRecoveryAt: number;
  recoveryBackoffMs: number;
  /** Since when the book has waited for a snapshot (OKX, Bybit: a subscribe that never answered). */
  syncingSince: number;
  /**
   * Times the book was loaded from a snapshot or dropped (resync, stale, socket lost): the paper matcher
   * forgets what its takers took from the levels when this changes.
   */
  resets: number;
}

export interface VenueBooksOptions {
  venue: KnownVenue;
  symbols: readonly string[];
  clock: Clock;
  logger: Logger;
  staleAfterMs: number;
  /** Binance only: where snapshots come from. */
  snapshots?: BinanceDepthSnapshotSource;
  /** OKX, Bybit: ask the feed to resubscribe a book's channel; false when its socket is not live. */
  resubscribe?: (symbol: string) => boolean;
}

const firstRecoveryPauseMs = 250;
const maxRecoveryPauseMs = 60_000;
/** OKX/Bybit: a subscribe whose snapshot has not come after this long is sent again. */
const snapshotWaitMs = 5_000;

export class VenueBooks {
  readonly venue: KnownVenue;
  /** Resyncs by reason, applied updates, syncs: summed over this venue's books (metrics). */
  readonly counters = new BookSyncCounters();
  readonly #books = new Map<string, BookState>();
  readonly #opts: VenueBooksOptions;
  readonly #log: LogThrottle;
  readonly #abort = new AbortController();
  #snapshotErrors = 0;

  constructor(opts: VenueBooksOptions) {
    this.venue = opts.venue;
    this.#opts = opts;
    this.#log = new LogThrottle(10_000, () => opts.clock.now());
    const now = opts.clock.now();
    for (const symbol of opts.symbols) {
      const common = { staleAfterMs: opts.staleAfterMs, counters: this.counters };
      const sync =
        opts.venue === 'binance'
          ? new BinanceBookSync(common)
          : opts.venue === 'okx'
            ? new OkxBookSync(common)
            : new BybitBookSync(common);
      this.#books.set(symbol, {
        symbol,
        sync,
        dirty: true,
        resyncs: 0,
        recoveries: 0,
        snapshotInFlight: false,
        wantResubscribe: false,
        nextRecoveryAt: now,
        recoveryBackoffMs: firstRecoveryPauseMs,
        syncingSince: now,
        resets: 0,
      });
    }
  }

  get snapshotErrors(): number {
    return this.#snapshotErrors;
  }

  books(): IterableIterator<BookState> {
    return this.#books.values();
  }

  /** The book while it is in sync with the venue; null otherwise (never a book known to be wrong). */
  liveBook(symbol: string): OrderBook | null {
    const live = this.#books.get(symbol)?.sync.liveBook() ?? null;
    return live !== null && !live.crossed() ? live : null;
  }

  /** The reset count of a book (see BookState.resets); 0 for a symbol not run here. */
  resets(symbol: string): number {
    return this.#books.get(symbol)?.resets ?? 0;
  }

  /** When the book's last frame (or snapshot) was received, clock ms; -Infinity when none or unknown. */
  lastFrameAt(symbol: string): number {
    return this.#books.get(symbol)?.sync.lastFrameAt ?? Number.NEGATIVE_INFINITY;
  }

  /** One depth frame of the venue's current socket. */
  onFrame(symbol: string, frame: DepthFrame, receiveTime: number): void {
    const book = this.#books.get(symbol);
    if (book === undefined) return;
    let ev: SyncEvent;
    const s = book.sync;
    if (frame.venue === 'binance' && s instanceof BinanceBookSync) ev = s.onDiff(frame.event, receiveTime);
    else if (frame.venue === 'okx' && s instanceof OkxBookSync) ev = s.onMessage(frame.message, receiveTime);
    else if (frame.venue === 'bybit' && s instanceof BybitBookSync)
      ev = s.onMessage(frame.message, receiveTime);
    else return;
    this.#onEvent(book, ev);
    if (s instanceof BinanceBookSync) this.#maybeSnapshot(book, s);
  }

  /** The socket carrying these books went away: they can no longer be trusted (not a resync). */
  onSocketDown(symbols: readonly string[]): void {
    const now = this.#opts.clock.now();
    for (const symbol of symbols) {
      const book = this.#books.get(symbol);
      if (book === undefined) continue;
      if (book.sync.status !== 'syncing') book.dirty = true;
      book.sync.reset();
      book.resets += 1;
      // The reconnect subscribes again: nothing to ask for until its snapshot is overdue.
      book.wantResubscribe = false;
      book.syncingSince = now;
    }
  }

  /** About once a second: stale books, overdue snapshots, recoveries waiting for their pause. */
  tick(): void {
    const now = this.#opts.clock.now();
    for (const book of this.#books.values()) {
      const ev = book.sync.checkStale(now);
      if (ev) this.#onEvent(book, ev);
      const s = book.sync;
      if (s instanceof BinanceBookSync) {
        this.#maybeSnapshot(book, s);
        continue;
      }
      if (s.status !== 'synced' && !book.wantResubscribe && now - book.syncingSince >= snapshotWaitMs) {
        book.wantResubscribe = true;
      }
      this.#maybeResubscribe(book, now);
    }
  }

  /** The state of a book as served: levels only while synced. */
  depthOf(book: BookState, levels: number, now: number): Depth {
    const live = this.liveBook(book.symbol);
    return {
      venue: this.venue,
      symbol: book.symbol,
      // A synced book that is crossed would be a bug in its synchroniser: shown as syncing, never live.
      status: live === null && book.sync.status === 'synced' ? 'syncing' : book.sync.status,
      bids: live ? live.top('bid', levels) : [],
      asks: live ? live.top('ask', levels) : [],
      at: now,
      resyncs: book.resyncs,
    };
  }

  stop(): void {
    this.#abort.abort();
  }

  #onEvent(book: BookState, ev: SyncEvent): void {
    switch (ev.type) {
      case 'applied':
        book.dirty = true;
        return;
      case 'synced':
        book.dirty = true;
        book.resets += 1;
        book.recoveryBackoffMs = firstRecoveryPauseMs;
        book.wantResubscribe = false;
        return;
      case 'resyncNeeded':
      case 'stale': {
        book.dirty = true;
        book.resets += 1;
        book.resyncs += 1;
        book.syncingSince = this.#opts.clock.now();
        const reason = ev.type === 'stale' ? 'stale' : ev.reason;
        const held = this.#log.take(`${book.symbol}:${reason}`);
        if (held !== null) {
          this.#opts.logger.warn(
            { venue: this.venue, symbol: book.symbol, reason, notLogged: held },
            'order book dropped; resyncing',
          );
        }
        if (!(book.sync instanceof BinanceBookSync)) {
          book.wantResubscribe = true;
          this.#maybeResubscribe(book, this.#opts.clock.now());
        }
        return;
      }
      case 'buffered':
      case 'ignored':
        return;
    }
  }

  #maybeResubscribe(book: BookState, now: number): void {
    if (!book.wantResubscribe || now < book.nextRecoveryAt || book.sync.status === 'synced') return;
    if (!this.#opts.resubscribe?.(book.symbol)) {
      // No live socket: the reconnect subscribes anyway; look again next tick.
      book.nextRecoveryAt = now + 1_000;
      return;
    }
    book.wantResubscribe = false;
    book.recoveries += 1;
    book.syncingSince = now;
    book.nextRecoveryAt = now + book.recoveryBackoffMs;
    book.recoveryBackoffMs = Math.min(maxRecoveryPauseMs, book.recoveryBackoffMs * 2);
  }

  #maybeSnapshot(book: BookState, sync: BinanceBookSync): void {
    const snapshots = this.#opts.snapshots;
    const now = this.#opts.clock.now();
    if (
      snapshots === undefined ||
      book.snapshotInFlight ||
      !sync.wantsSnapshot() ||
      now < book.nextRecoveryAt
    )
      return;
    book.snapshotInFlight = true;
    book.recoveries += 1;
    snapshots
      .fetch(book.symbol, this.#abort.signal)
      .then((snap) => {
        const ev = sync.onSnapshot(snap, this.#opts.clock.now());
        this.#onEvent(book, ev);
        // Too old (or a gap right behind it): the next one after a short, growing pause.
        if (ev.type === 'resyncNeeded') this.#pause(book);
      })
      .catch((err: unknown) => {
        if (this.#abort.signal.aborted) return;
        this.#snapshotErrors += 1;
        this.#pause(book);
        const held = this.#log.take(`${book.symbol}:snapshot`);
        if (held !== null) {
          this.#opts.logger.warn(
            {
              venue: this.venue,
              symbol: book.symbol,
              err: err instanceof Error ? err.message : String(err),
              notLogged: held,
            },
            'depth snapshot failed; retrying',
          );
        }
      })
      .finally(() => {
        book.snapshotInFlight = false;
      });
  }

  #pause(book: BookState): void {
    book.nextRecoveryAt = this.#opts.clock.now() + book.recoveryBackoffMs;
    book.recoveryBackoffMs = Math.min(maxRecoveryPauseMs, book.recoveryBackoffMs * 2);
  }
}
