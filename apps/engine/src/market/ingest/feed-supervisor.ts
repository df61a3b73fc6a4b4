import {
  createFeed,
  type Feed,
  type FeedEvent,
  type FeedOptions,
  LogThrottle,
  type TradeGap,
  type VenueAdapter,
} from '@qt/market-data';
import type { Clock, FeedStatus, Quote } from '@qt/shared';
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
}): FeedSupervisor {
  const feeds: Array<{ venue: string; feed: Feed }> = [];
  const gapLog = new LogThrottle(gapLogEveryMs, () => params.clock.now());
  for (const v of params.venues) {
    const venue = v.adapter.venue;
    const listed = params.symbols.filter((s) => params.catalog.get(venue, s)?.status === 'trading');
    const missing = params.symbols.filter((s) => !listed.includes(s));
    const logger = params.logger.child({ venue });
    if (missing.length > 0)
      logger.warn({ symbols: missing }, 'symbols not listed (or halted) on this venue: not subscribed');
    if (listed.length === 0) continue;
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
      },
    });
    feed.start();
    feeds.push({ venue, feed });
    logger.info({ symbols: listed, endpoints: v.wsEndpoints }, 'feed started');
  }
  return {
    status: () => feeds.flatMap((f) => f.feed.status()),
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
      await Promise.all(feeds.map((f) => f.feed.stop()));
    },
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
