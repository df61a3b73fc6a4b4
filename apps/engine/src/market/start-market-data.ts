import type { Db } from '@qt/db';
import { type MaintenanceReport, MarketDataQueries, MarketDataWriter, maintainPartitions } from '@qt/db';
import { defaultSymbols, type ExchangeSim, startExchangeSim } from '@qt/exchange-sim';
import {
  type Clock,
  klineInterval,
  type MarketPort,
  type MessageBus,
  type Quote,
  type Trade,
} from '@qt/shared';
import type pg from 'pg';
import type { EngineConfig } from '../config/config-schema.ts';
import type { Logger } from '../observability/logger.ts';
import { type KlineService, startKlineService } from './aggregate/kline-service.ts';
import { binanceArchiveUrlOf } from './backfill/binance-archive-source.ts';
import { type Backfill, bootstrapDaysOf, startBackfill } from './backfill/start-backfill.ts';
import { type DepthService, startDepth } from './depth/depth-service.ts';
import { FollowService, storedFollowedSymbols } from './follow/follow-service.ts';
import { type FeedSupervisor, startFeeds } from './ingest/feed-supervisor.ts';
import { TradePublisher } from './ingest/trade-publisher.ts';
import { InstrumentCatalog } from './instruments/instrument-catalog.ts';
import { QuoteBook } from './live/quote-book.ts';
import { createMarketService } from './market-service.ts';
import { startKlinePersister } from './persist/kline-persister.ts';
import { type PersisterStats, startTradePersister } from './persist/trade-persister.ts';
import { GapRepairer } from './repair/gap-repairer.ts';
import { tradeHistorySources } from './repair/history-sources.ts';
import { TickerService } from './tickers/ticker-service.ts';
import { venueEndpoints } from './venue-endpoints.ts';

export interface MarketData {
  port: MarketPort;
  feeds: FeedSupervisor;
  klines: KlineService;
  publisher: TradePublisher;
  catalog: InstrumentCatalog;
  /** The latest best bid/ask per instrument (what `market.quote` and `market.onQuote` serve). */
  quotes: QuoteBook;
  persisters: { trades: PersisterStats; klines: PersisterStats };
  /** Fills the feeds' trade-id gaps from the venues' REST history. */
  repairer: GapRepairer;
  /** Market-history backfills (jobs, runner, the `history` API port). */
  backfill: Backfill;
  /** Stored queries (the CSV export reads through them). */
  queries: MarketDataQueries;
  /** L2 order books of the followed symbols; null when `MARKET_DEPTH=false`. */
  depth: DepthService | null;
  /** 24h statistics of every followed market. */
  tickers: TickerService;
  /** Markets followed: `MARKET_SYMBOLS` and the ones tenants added (`market.follow`). */
  follow: FollowService;
  simulator: ExchangeSim | null;
  stop(): Promise<void>;
}

const HOUR = 3_600_000;

/**
 * The market-data pipeline, in the order data flows: (simulator) -> instruments -> storage consumers ->
 * aggregator -> feeds. Consumers start before the feeds so nothing published is missed; stop runs in
 * reverse: feeds first, then the publisher drains, then consumers finish their batches.
 */
export async function startMarketData(params: {
  config: EngineConfig;
  db: Db;
  pool: pg.Pool;
  bus: MessageBus;
  clock: Clock;
  logger: Logger;
  /** Every venue's best bid/ask as it arrives (in-process; quotes are not published on the bus). */
  onQuote?: (quote: Quote) => void;
}): Promise<MarketData> {
  const { config, bus, clock } = params;
  const logger = params.logger.child({ component: 'market' });
  const stops: Array<() => Promise<void>> = [];
  try {
    let simulator: ExchangeSim | null = null;
    if (config.marketSource === 'simulator') {
      // The simulator lists more than the engine follows (its demo set and what tenants added), so a
      // market can be followed at run time offline as on a real venue.
      const listed = new Set([
        ...config.marketSymbols,
        ...defaultSymbols,
        ...(await storedFollowedSymbols(params.db)),
      ]);
      simulator = await startExchangeSim({
        endpoints: 2,
        symbols: [...listed],
        tradesPerSecond: config.simulatorTradesPerSecond,
        seed: 7,
      });
      const sim = simulator;
      stops.push(() => sim.stop());
      logger.info({ urls: sim.urls[0] }, 'exchange simulator started (MARKET_SOURCE=simulator)');
    }
    const venues = venueEndpoints(config, simulator);
    const catalog = await InstrumentCatalog.load({ db: params.db, logger, venues });

    const runMaintenance = async (): Promise<MaintenanceReport | undefined> => {
      try {
        return await maintainPartitions(params.pool, {
          clock,
          policy: {
            retentionDays: {
              market_trades: config.tradeRetentionDays,
              market_klines: config.klineRetentionDays,
            },
          },
        });
      } catch (err) {
        logger.error(
          { err: err instanceof Error ? err.message : String(err) },
          'partition maintenance failed',
        );
        return undefined;
      }
    };
    const report = await runMaintenance();
    logger.info({ report }, 'time-series storage ready');
    const maintenance = setInterval(() => void runMaintenance(), HOUR);
    maintenance.unref();
    stops.push(async () => clearInterval(maintenance));

    const writer = new MarketDataWriter(params.pool);
    const trades = await startTradePersister(bus, writer, () => clock.now());
    stops.push(() => trades.subscription.unsubscribe());
    const klinePersist = await startKlinePersister(bus, writer, () => clock.now());
    stops.push(() => klinePersist.subscription.unsubscribe());

    const klines = await startKlineService({
      bus,
      clock,
      logger,
      catalog,
      latenessMs: config.klineLatenessMs,
      subSecond: config.klineSubSecond,
    });
    stops.push(() => klines.stop());

    const quotes = new QuoteBook(clock);
    const onQuote = params.onQuote;
    const publisher = new TradePublisher(bus, logger);
    stops.push(() => publisher.close());
    const queries = new MarketDataQueries(params.pool);
    const repairer = new GapRepairer(
      {
        latenessMs: config.klineLatenessMs,
        intervals: klineInterval.options.filter((i) => config.klineSubSecond || i !== '100ms'),
      },
      {
        sources: tradeHistorySources(venues),
        // Repaired trades go to storage only (not the bus); their candles are recomputed from storage.
        store: (t) => writer.writeTrades(t),
        storedTrades: async (venue, symbol, fromMs, toMs) => {
          const out: Trade[] = [];
          for (;;) {
            const last = out[out.length - 1];
            const page = await queries.tradesAscending({
              venue,
              symbol,
              fromMs,
              toMs,
              after: last ? { exchangeTime: last.exchangeTime, tradeId: last.tradeId } : undefined,
              limit: 50_000,
            });
            out.push(...page);
            if (page.length < 50_000) return out;
          }
        },
        // At most 1,440 1m candles (a day): one page.
        storedKlines: (venue, symbol, interval, fromMs, toMs) =>
          queries.closedCandlesAscending({ venue, symbol, interval, fromMs, toMs, limit: 50_000 }),
        storeKlines: (k) => writer.writeKlines(k),
        now: () => clock.now(),
        logger: logger.child({ component: 'gap-repair' }),
      },
    );
    // Stopped before the writer's pool closes (stops run in reverse): a repair in flight ends first.
    stops.push(() => repairer.stop());
    // Queued and resumed backfills run beside the feeds; stopped (the job in flight released) before the pool.
    const backfill = startBackfill({
      pool: params.pool,
      writer,
      queries,
      venues,
      symbols: config.marketSymbols,
      clock,
      logger,
      bootstrapDays: bootstrapDaysOf(config),
      binanceArchiveUrl: binanceArchiveUrlOf(config, simulator),
    });
    stops.push(() => backfill.stop());
    const feeds = startFeeds({
      venues,
      symbols: config.marketSymbols,
      catalog,
      clock,
      logger,
      publisher,
      onQuote: onQuote
        ? (q) => {
            quotes.onQuote(q);
            onQuote(q);
          }
        : (q) => quotes.onQuote(q),
      onGap: (gap) => repairer.onGap(gap),
      bus,
    });
    stops.push(() => feeds.stop());

    const depth = config.marketDepth
      ? startDepth({
          venues,
          symbols: config.marketSymbols,
          catalog,
          clock,
          logger,
          bus,
          levels: config.marketDepthLevels,
          staleAfterMs: config.marketDepthStaleMs,
        })
      : null;
    if (depth) stops.push(() => depth.stop());

    // 24h figures from the 1m candles (stored day + live), for the configured and the added markets.
    const tickers = new TickerService({
      clock,
      logger: logger.child({ component: 'tickers' }),
      sources: {
        storedCandles: (venue, symbol, fromMs, toMs) =>
          queries.closedCandlesAscending({ venue, symbol, interval: '1m', fromMs, toMs, limit: 50_000 }),
        liveCandles: (venue, symbol) => klines.live(venue, symbol, '1m'),
      },
    });
    await tickers.start(bus);
    stops.push(() => tickers.stop());
    const seedTicker = (venue: string, symbol: string, configured: boolean) =>
      tickers.track(venue, symbol, configured).catch((err: unknown) =>
        // The window still fills from live candles; only the stored part of the day is missing.
        logger.warn(
          { venue, symbol, err: err instanceof Error ? err.message : String(err) },
          '24h window not seeded from storage',
        ),
      );
    const follow = new FollowService({
      db: params.db,
      catalog,
      venues: venues.map((v) => v.adapter.venue),
      configured: config.marketSymbols,
      maxExtra: config.marketFollowMax,
      logger: logger.child({ component: 'follow' }),
      apply: async (venue, symbol) => {
        feeds.follow(venue, symbol);
        await seedTicker(venue, symbol, false);
      },
    });
    for (const m of await follow.loadStored()) feeds.follow(m.venue, m.symbol);
    await Promise.all(follow.followed().map((m) => seedTicker(m.venue, m.symbol, m.configured)));

    const port = createMarketService({
      bus,
      queries,
      catalog,
      klines,
      feeds,
      quotes,
      depth,
      tickers,
      follow,
    });
    return {
      port,
      feeds,
      klines,
      publisher,
      catalog,
      quotes,
      persisters: { trades: trades.stats, klines: klinePersist.stats },
      repairer,
      backfill,
      queries,
      depth,
      tickers,
      follow,
      simulator,
      stop: () => runStops(stops),
    };
  } catch (err) {
    await runStops(stops);
    throw err;
  }
}

async function runStops(stops: Array<() => Promise<void>>): Promise<void> {
  for (const stop of stops.reverse()) await stop().catch(() => {});
}
