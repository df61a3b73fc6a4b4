import {
  type BinanceDepthSnapshotSource,
  binanceDepthSnapshots,
  createFeed,
  type Feed,
  type FeedEvent,
  type OrderBook,
} from '@qt/market-data';
import { type Clock, type Depth, type MessageBus, subjects, topics } from '@qt/shared';
import type { Logger } from '../../observability/logger.ts';
import type { VenueEndpoints } from '../ingest/feed-supervisor.ts';
import type { InstrumentCatalog } from '../instruments/instrument-catalog.ts';
import { restBudgetOf } from '../venue-endpoints.ts';
import { DepthStore } from './depth-store.ts';
import { VenueBooks } from './venue-books.ts';

/** Dirty books are published at most this often: <= 10 states per second per book, on the bus and in memory. */
export const DEPTH_PUBLISH_EVERY_MS = 100;
/** Staleness, overdue snapshots and paused recoveries are looked at this often. */
const TICK_MS = 1_000;

export interface DepthService {
  /** Levels per side kept and published (`MARKET_DEPTH_LEVELS`). */
  readonly levels: number;
  /** The latest published state of a book, cut to `levels`; null when the engine runs no such book. */
  latest(venue: string, symbol: string, levels?: number): Depth | null;
  /** The book's state as it changes (conflated per subscriber, <= 10/s), until `signal` aborts. */
  stream(venue: string, symbol: string, signal: AbortSignal, levels?: number): AsyncIterable<Depth>;
  /** The live book for the paper matcher's walk; null unless synced (never a book known to be wrong). */
  liveBook(venue: string, symbol: string): OrderBook | null;
  /**
   * A number that changes whenever the book may have changed (a depth frame, a REST snapshot, its socket
   * lost): whether a book read earlier is still the one served. 0 for a book the engine does not run.
   */
  bookVersion(venue: string, symbol: string): number;
  /**
   * A number that changes only when the book was loaded from a snapshot or dropped (resync, stale, socket
   * lost): what the matcher's takers took from its levels is forgotten then (ordinary frames keep it).
   * 0 for a book the engine does not run.
   */
  bookResets(venue: string, symbol: string): number;
  /** Milliseconds since the book's last frame (or snapshot); Infinity when none or not run here. */
  bookAgeMs(venue: string, symbol: string): number;
  /** Every venue's books with their synchronisers' counters (metrics, status). */
  venues(): readonly VenueBooks[];
  stop(): Promise<void>;
}

/**
 * L2 books for the followed symbols on every venue: one depth feed per venue (its own connections, so a
 * book's resubscriptions and depth traffic never disturb the trade sockets), one synchroniser per book
 * (VenueBooks), and a publisher that every 100 ms takes the books that changed and hands their top
 * `levels` to the in-memory store (`market.depth`, `market.onDepth`) and the bus
 * (`market.depth.<venue>.<symbol>`). A book that is not in sync is published with its status and no
 * levels. Bus publishes are fire-and-forget with one in flight per book: a slow bus skips states, it
 * never queues them.
 */
export function startDepth(params: {
  venues: readonly VenueEndpoints[];
  symbols: readonly string[];
  catalog: InstrumentCatalog;
  clock: Clock;
  logger: Logger;
  bus: MessageBus;
  levels: number;
  staleAfterMs: number;
}): DepthService {
  const { clock, bus, levels } = params;
  const store = new DepthStore(clock);
  const venueBooks: VenueBooks[] = [];
  const feeds: Feed[] = [];
  const publishing = new Set<string>();
  // Book versions by `venue|symbol`: bumped by everything that can change a book's levels. The books
  // themselves carry no version, and frames, snapshots and resets all pass through here.
  const versions = new Map<string, number>();
  const bump = (venue: string, symbol: string) => {
    const key = `${venue}|${symbol}`;
    versions.set(key, (versions.get(key) ?? 0) + 1);
  };
  let publishFailures = 0;

  for (const v of params.venues) {
    const venue = v.adapter.venue;
    const listed = params.symbols.filter((s) => params.catalog.get(venue, s)?.status === 'trading');
    if (listed.length === 0) continue;
    const logger = params.logger.child({ venue, component: 'depth' });
    let feed: Feed | null = null;
    const books = new VenueBooks({
      venue,
      symbols: listed,
      clock,
      logger,
      staleAfterMs: params.staleAfterMs,
      ...(venue === 'binance'
        ? {
            // The urgent lane of Binance's one shared REST budget (with gap repair; backfill yields to both).
            snapshots: versioned(
              binanceDepthSnapshots(v.adapter, {
                restEndpoints: v.restEndpoints,
                budget: restBudgetOf(v).lane('urgent'),
                now: () => clock.now(),
              }),
              (symbol) => bump(venue, symbol),
            ),
          }
        : { resubscribe: (symbol: string) => feed?.resubscribe(symbol, 'depth') ?? false }),
    });
    feed = createFeed({
      adapter: v.adapter,
      symbols: listed,
      channels: ['depth'],
      endpoints: v.wsEndpoints,
      clock,
      logger,
      ...(v.feedOptions ? { options: v.feedOptions } : {}),
      onDepth: (symbol, frame, receiveTime) => {
        bump(venue, symbol);
        books.onFrame(symbol, frame, receiveTime);
      },
      onEvent: (e: FeedEvent) => {
        if (e.type === 'stateChanged') {
          logger.info(
            { connection: e.status.connectionId, state: e.status.state, lastError: e.status.lastError },
            'depth feed state changed',
          );
          // Any state but live means the socket is gone or not yet subscribed: its books are void.
          if (e.status.state !== 'live') {
            for (const symbol of e.status.symbols) bump(venue, symbol);
            books.onSocketDown(e.status.symbols);
          }
        } else if (e.type === 'venueErrorReceived') {
          logger.warn({ connection: e.connectionId, code: e.code, message: e.message }, 'depth feed error');
        }
      },
    });
    feed.start();
    feeds.push(feed);
    venueBooks.push(books);
    logger.info({ symbols: listed, levels }, 'order books started');
  }

  const publish = () => {
    const now = clock.now();
    for (const books of venueBooks) {
      for (const book of books.books()) {
        if (!book.dirty) continue;
        book.dirty = false;
        const depth = books.depthOf(book, levels, now);
        store.set(depth);
        const key = `${depth.venue}.${depth.symbol}`;
        // One publish in flight per book; the newest state goes with the next tick after it returns.
        if (publishing.has(key)) {
          book.dirty = true;
          continue;
        }
        publishing.add(key);
        bus
          .publish(topics.marketDepth, subjects.marketDepth(depth.venue, depth.symbol), depth)
          .catch((err: unknown) => {
            publishFailures += 1;
            if (publishFailures === 1 || publishFailures % 1000 === 0) {
              params.logger.warn(
                { err: err instanceof Error ? err.message : String(err), failures: publishFailures },
                'depth not published on the bus',
              );
            }
          })
          .finally(() => publishing.delete(key));
      }
    }
  };
  const publishTimer = setInterval(publish, DEPTH_PUBLISH_EVERY_MS);
  const tickTimer = setInterval(() => {
    for (const books of venueBooks) books.tick();
  }, TICK_MS);

  const find = (venue: string) => venueBooks.find((b) => b.venue === venue);
  const cut = (d: Depth, n: number | undefined): Depth =>
    n === undefined || n >= levels ? d : { ...d, bids: d.bids.slice(0, n), asks: d.asks.slice(0, n) };

  return {
    levels,
    latest: (venue, symbol, n) => {
      const d = store.latest(venue, symbol);
      return d === null ? null : cut(d, n);
    },
    async *stream(venue, symbol, signal, n) {
      for await (const d of store.stream(venue, symbol, signal)) yield cut(d, n);
    },
    liveBook: (venue, symbol) => find(venue)?.liveBook(symbol) ?? null,
    bookVersion: (venue, symbol) => versions.get(`${venue}|${symbol}`) ?? 0,
    bookResets: (venue, symbol) => find(venue)?.resets(symbol) ?? 0,
    bookAgeMs: (venue, symbol) =>
      clock.now() - (find(venue)?.lastFrameAt(symbol) ?? Number.NEGATIVE_INFINITY),
    venues: () => venueBooks,
    stop: async () => {
      clearInterval(publishTimer);
      clearInterval(tickTimer);
      for (const b of venueBooks) b.stop();
      await Promise.all(feeds.map((f) => f.stop()));
    },
  };
}

/**
 * A snapshot source that reports each snapshot it hands over, before the synchroniser loads it (the
 * book is not live while it waits for one, so no walk can see the new levels under the old version).
 */
function versioned(
  source: BinanceDepthSnapshotSource,
  onSnapshot: (symbol: string) => void,
): BinanceDepthSnapshotSource {
  return {
    stats: source.stats,
    fetch: async (symbol, signal) => {
      const snap = await source.fetch(symbol, signal);
      onSnapshot(symbol);
      return snap;
    },
  };
}
