import {
  createFeed,
  type Feed,
  type FeedEvent,
  type FeedOptions,
  LogThrottle,
  type TradeGap,
  type VenueAdapter,
} from '@qt/market-data';
import {
  AppError,
  type Clock,
  type DataQualityMessage,
  type FeedStatus,
  type MessageBus,
  type Quote,
  subjects,
  topics,
} from '@qt/shared';
import type { Logger } from '../../observability/logger.ts';
import type { InstrumentCatalog } from '../instruments/instrument-catalog.ts';
import type { TradePublisher } from './trade-publisher.ts';

export interface VenueEndpoints {
  adapter: VenueAdapter;
  /** WebSocket bases, tried in order. */
  wsEndpoints: readonly string[];
  restEndpoints: readonly string[];
  /** Per-venue feed tuning from the configuration (heartbeat interval). */
  feedOptions?: FeedOptions;
  /** The bundled exchange simulator or the venue itself (the feed status says which; default venue). */
  source?: 'venue' | 'simulator';
}

/** Sequence counters of one venue's feed (see `TradeSequencer`). */
export interface VenueSequence {
  venue: string;
  gaps: number;
  /** Ids in reported gaps not (yet) recovered. */
  missing: number;
  /** Trades that arrived inside a reported gap. */
  recovered: number;
  /** Trades that arrived out of order inside a gap before it was reported (no gap counted). */
  reordered: number;
  duplicates: number;
  /** Venue trade-id restarts the feed re-based on. */
  idResets: number;
  silentSymbols: string[];
}

/** Gap warnings: one line per (venue, symbol) per this period, with the count held back. */
const gapLogEveryMs = 10_000;

export interface FeedSupervisor {
  status(): FeedStatus[];
  /**
   * Follows one more symbol at run time (trades and quotes): added to the venue's feed (subscribed on an
   * open socket), or a feed of its own when the venue had none. Validate it against the catalog first.
   * After `stop()` it refuses (`SERVICE_UNAVAILABLE`): a follow whose database work ends while the engine
   * shuts down would otherwise open a feed nothing stops.
   */
  follow(venue: string, symbol: string): void;
  /** Gaps, duplicates and symbols that are subscribed but silent, per venue. */
  sequence(): VenueSequence[];
  stop(): Promise<void>;
}

/**
 * One feed per venue for the configured symbols the venue lists (unknown ones are logged and skipped:
 * Binance would acknowledge them and stay silent for ever). Trades go to the publisher; feed events
 * (gaps, reconnects, stale sockets) are logged with their venue.
 */
export function startFeeds(params: {
  venues: readonly VenueEndpoints[];
  symbols: readonly string[];
  catalog: InstrumentCatalog;
  clock: Clock;
  logger: Logger;
  publisher: TradePublisher;
  /** Best bid/ask stay in-process (not on the bus): the paper matcher takes them from here. */
  onQuote?: (quote: Quote) => void;
  /** Every gap the feeds' sequencers report (the gap repairer). */
  onGap?: (gap: TradeGap) => void;
  /**
   * Where data-quality events go (`market.quality.<venue>.<symbol>`, read by every engine's alert
   * evaluator). Without it they are only logged.
   */
  bus?: MessageBus;
}): FeedSupervisor {
  const feeds: Array<{ venue: string; feed: Feed; source: 'venue' | 'simulator' }> = [];
  let stopped = false;
  const gapLog = new LogThrottle(gapLogEveryMs, () => params.clock.now());
  const quality = params.bus ? qualityReporter(params.bus, params.logger, params.clock) : null;
  const open = (v: VenueEndpoints, listed: readonly string[]) => {
    const venue = v.adapter.venue;
    const logger = params.logger.child({ venue });
    const feed = createFeed({
      adapter: v.adapter,
      symbols: listed,
      channels: ['trades', 'quotes'],
      endpoints: v.wsEndpoints,
      clock: params.clock,
      logger,
      ...(v.feedOptions ? { options: v.feedOptions } : {}),
      onTrades: (trades) => params.publisher.push(trades),
      ...(params.onQuote ? { onQuote: params.onQuote } : {}),
      onEvent: (e: FeedEvent) => {
        logFeedEvent(logger, e, gapLog);
        if (e.type === 'gapDetected') params.onGap?.(e.gap);
        quality?.(e);
      },
    });
    feed.start();
    feeds.push({ venue, feed, source: v.source ?? 'venue' });
    logger.info({ symbols: listed, endpoints: v.wsEndpoints }, 'feed started');
  };
  for (const v of params.venues) {
    const venue = v.adapter.venue;
    const listed = params.symbols.filter((s) => params.catalog.get(venue, s)?.status === 'trading');
    const missing = params.symbols.filter((s) => !listed.includes(s));
    if (missing.length > 0)
      params.logger
        .child({ venue })
        .warn({ symbols: missing }, 'symbols not listed (or halted) on this venue: not subscribed');
    if (listed.length > 0) open(v, listed);
  }
  return {
    follow: (venue, symbol) => {
      if (stopped)
        throw new AppError('SERVICE_UNAVAILABLE', 'Market data is shutting down on this engine.', {
          venue,
          symbol,
        });
      const running = feeds.find((f) => f.venue === venue);
      if (running) {
        if (running.feed.addSymbols([symbol]).length > 0)
          params.logger.child({ venue }).info({ symbol }, 'symbol followed at run time');
        return;
      }
      const v = params.venues.find((e) => e.adapter.venue === venue);
      if (!v) throw new RangeError(`venue ${venue} is not run by this engine`);
      open(v, [symbol]);
    },
    status: () => feeds.flatMap((f) => f.feed.status().map((s) => ({ ...s, source: f.source }))),
    sequence: () =>
      feeds.map(({ venue, feed }) => {
        const s = feed.sequenceStats();
        return {
          venue,
          gaps: s.gaps,
          missing: s.missing,
          recovered: s.recovered,
          reordered: s.reordered,
          duplicates: s.duplicates,
          idResets: s.idResets,
          silentSymbols: feed.silentSymbols(),
        };
      }),
    stop: async () => {
      // Set before the first await: `follow` (and the feed it opens) runs synchronously, so none can be
      // opened after this line, and the list below is every feed there will ever be.
      stopped = true;
      await Promise.all(feeds.map((f) => f.feed.stop()));
    },
  };
}

/**
 * Turns feed events into per-symbol data-quality events on the bus. Per connection it remembers whether a
 * stale period is open and on which endpoint it was last live: `live` after `stale` closes the period
 * (`feedLive`), `live` on another endpoint than the last live one is a failover. Ids are built from what
 * was observed (the state's start time, the gap's ids), so publishing again is deduplicated by msgId.
 * Publishes are fire-and-forget (a handful per incident; a failure is logged): the feed never waits.
 */
function qualityReporter(bus: MessageBus, logger: Logger, clock: Clock): (e: FeedEvent) => void {
  const conns = new Map<string, { stale: boolean; liveEndpoint: string | null }>();
  const publish = (m: DataQualityMessage) => {
    bus
      .publish(topics.marketQuality, subjects.marketQuality(m.venue, m.symbol), m, { msgId: m.id })
      .catch((err: unknown) =>
        logger.warn(
          { err: err instanceof Error ? err.message : String(err), event: m.id },
          'quality event not published',
        ),
      );
  };
  return (e) => {
    if (e.type === 'gapDetected') {
      const g = e.gap;
      publish({
        kind: 'gapDetected',
        id: `gap:${g.venue}:${g.symbol}:${g.fromId}-${g.toId}`,
        venue: g.venue,
        symbol: g.symbol,
        at: clock.now(),
        detail: `${g.missing} trades missing (ids ${g.fromId}..${g.toId})`,
      });
      return;
    }
    if (e.type !== 'stateChanged') return;
    const s = e.status;
    const key = `${s.venue}:${s.connectionId}`;
    const c = conns.get(key) ?? { stale: false, liveEndpoint: null };
    conns.set(key, c);
    const each = (kind: DataQualityMessage['kind'], detail: string) => {
      for (const symbol of s.symbols)
        publish({
          kind,
          id: `${kind}:${s.venue}:${symbol}:${s.connectionId}:${s.since}`,
          venue: s.venue,
          symbol,
          at: s.since,
          detail,
        });
    };
    if (s.state === 'stale' && !c.stale) {
      c.stale = true;
      each('feedStale', s.lastError ?? 'no data received');
    } else if (s.state === 'live') {
      if (c.stale) {
        c.stale = false;
        each('feedLive', `live again on ${s.endpoint}`);
      }
      if (c.liveEndpoint !== null && c.liveEndpoint !== s.endpoint)
        each('venueFailover', `switched from ${c.liveEndpoint} to ${s.endpoint}`);
      c.liveEndpoint = s.endpoint;
    } else if (s.state === 'stopped') conns.delete(key);
  };
}

function logFeedEvent(logger: Logger, e: FeedEvent, gapLog: LogThrottle): void {
  switch (e.type) {
    case 'stateChanged':
      logger.info(
        {
          connection: e.status.connectionId,
          state: e.status.state,
          endpoint: e.status.endpoint,
          lastError: e.status.lastError,
        },
        'feed state changed',
      );
      return;
    case 'gapDetected': {
      const suppressed = gapLog.take(`${e.gap.venue}:${e.gap.symbol}`);
      if (suppressed === null) return;
      logger.warn(
        { connection: e.connectionId, gap: e.gap, gapsNotLogged: suppressed },
        'trade id gap detected',
      );
      return;
    }
    case 'tradeIdsReset':
      // The feed logs the re-base itself; this line carries the venue for the operator.
      logger.warn({ connection: e.connectionId, reset: e.reset }, 'venue restarted its trade ids');
      return;
    case 'symbolsSilent':
      logger.warn({ connection: e.connectionId, symbols: e.symbols }, 'subscribed symbols deliver no data');
      return;
    case 'venueErrorReceived':
      logger.warn(
        { connection: e.connectionId, code: e.code, message: e.message },
        'venue reported an error',
      );
      return;
    case 'shutdownNoticeReceived':
      logger.info(
        { connection: e.connectionId, message: e.message },
        'venue shutdown notice: switching connection',
      );
      return;
  }
}
