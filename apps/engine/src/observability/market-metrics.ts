import { Gauge, type Registry } from 'prom-client';
import type { MarketData } from '../market/start-market-data.ts';

type Reading = Array<[labels: Record<string, string>, value: number]>;

/**
 * The market pipeline's state as Prometheus gauges, read at scrape time from the components' own
 * counters (nothing on the hot path): per feed connection state, lag, rate, reconnects, gaps,
 * duplicates and malformed frames; per venue missing, recovered and reordered trades and id restarts; publish buffer and drops; storage commits and their age; late trades.
 */
export function registerMarketMetrics(registry: Registry, market: MarketData, now: () => number): void {
  const gauge = (name: string, help: string, labelNames: string[], read: () => Reading) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const [labels, value] of read()) this.set(labels, value);
      },
    });
  const perFeed = (pick: (s: ReturnType<MarketData['feeds']['status']>[number]) => number | null): Reading =>
    market.feeds.status().flatMap((s) => {
      const v = pick(s);
      return v === null ? [] : [[{ venue: s.venue, connection: s.connectionId }, v] as Reading[number]];
    });

  gauge(
    'qt_feed_live',
    '1 while a feed connection is live (subscribed and receiving).',
    ['venue', 'connection'],
    () => perFeed((s) => (s.state === 'live' ? 1 : 0)),
  );
  gauge(
    'qt_feed_state',
    'Feed connection state (1 for the current one).',
    ['venue', 'connection', 'state'],
    () =>
      market.feeds.status().map((s) => [{ venue: s.venue, connection: s.connectionId, state: s.state }, 1]),
  );
  gauge(
    'qt_feed_lag_ms',
    'Receive time minus exchange time of the latest trade.',
    ['venue', 'connection'],
    () => perFeed((s) => s.lagMs),
  );
  gauge(
    'qt_feed_messages_per_second',
    'Frames per second on a feed connection.',
    ['venue', 'connection'],
    () => perFeed((s) => s.messageRate),
  );
  gauge(
    'qt_feed_reconnects',
    'Reconnections of a feed connection since start.',
    ['venue', 'connection'],
    () => perFeed((s) => s.reconnects),
  );
  gauge('qt_feed_gaps', 'Trade-id gaps detected since start.', ['venue', 'connection'], () =>
    perFeed((s) => s.gaps),
  );
  gauge('qt_feed_duplicates', 'Duplicate trades dropped since start.', ['venue', 'connection'], () =>
    perFeed((s) => s.duplicates),
  );
  const perVenue = (pick: (s: ReturnType<MarketData['feeds']['sequence']>[number]) => number): Reading =>
    market.feeds.sequence().map((s) => [{ venue: s.venue }, pick(s)]);
  gauge(
    'qt_feed_gap_missing_trades',
    'Trade ids in reported gaps that have not arrived (candidates for REST repair).',
    ['venue'],
    () => perVenue((s) => s.missing),
  );
  gauge(
    'qt_feed_gap_recovered_trades',
    'Trades that arrived late inside a reported gap, since start.',
    ['venue'],
    () => perVenue((s) => s.recovered),
  );
  gauge(
    'qt_feed_reordered_trades',
    'Trades that arrived out of order inside a gap within its grace period (no gap counted), since start.',
    ['venue'],
    () => perVenue((s) => s.reordered),
  );
  gauge(
    'qt_feed_trade_id_resets',
    'Venue trade-id restarts the feed re-based on, since start.',
    ['venue'],
    () => perVenue((s) => s.idResets),
  );
  gauge('qt_feed_malformed_frames', 'Malformed or unknown frames since start.', ['venue', 'connection'], () =>
    perFeed((s) => s.malformed),
  );

  const p = market.publisher.stats;
  gauge('qt_ingest_trades_published', 'Trades published to the bus since start.', [], () => [
    [{}, p.published],
  ]);
  gauge('qt_ingest_trades_buffered', 'Trades waiting for the bus.', [], () => [[{}, p.buffered]]);
  gauge(
    'qt_ingest_trades_dropped',
    'Trades dropped because the bus was unavailable past the buffer bound.',
    [],
    () => [[{}, p.dropped]],
  );
  gauge('qt_ingest_publish_failures', 'Failed bus publishes (retried) since start.', [], () => [
    [{}, p.publishFailures],
  ]);

  const persisters = market.persisters;
  gauge('qt_persist_rows', 'Rows committed since start.', ['table'], () => [
    [{ table: 'market_trades' }, persisters.trades.inserted],
    [{ table: 'market_klines' }, persisters.klines.inserted],
  ]);
  gauge('qt_persist_failures', 'Failed batch commits (redelivered) since start.', ['table'], () => [
    [{ table: 'market_trades' }, persisters.trades.failures],
    [{ table: 'market_klines' }, persisters.klines.failures],
  ]);
  gauge('qt_persist_last_commit_age_seconds', 'Time since the last committed batch.', ['table'], () =>
    (
      [
        ['market_trades', persisters.trades.lastCommitAt],
        ['market_klines', persisters.klines.lastCommitAt],
      ] as const
    ).flatMap(([table, at]) => (at === null ? [] : [[{ table }, (now() - at) / 1000] as Reading[number]])),
  );

  const k = market.klines.aggregator.metrics;
  gauge(
    'qt_klines_trades_too_late',
    'Trades older than the allowed lateness, dropped by the aggregator.',
    [],
    () => [[{}, k.tooLate]],
  );
  gauge('qt_klines_corrections', 'Closed candles corrected by late trades.', [], () => [
    [{}, k.correctionsEmitted],
  ]);
}
