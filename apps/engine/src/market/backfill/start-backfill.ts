import type { MarketDataQueries, MarketDataWriter } from '@qt/db';
import {
  type CandleHistorySource,
  candleHistorySource,
  type TradeHistoryPages,
  tradeHistoryPages,
} from '@qt/market-data';
import type { Clock, HistoryPort } from '@qt/shared';
import type pg from 'pg';
import type { EngineConfig } from '../../config/config-schema.ts';
import type { Logger } from '../../observability/logger.ts';
import type { VenueEndpoints } from '../ingest/feed-supervisor.ts';
import { restBudgetOf } from '../venue-endpoints.ts';
import { BackfillRunner } from './backfill-runner.ts';
import { BackfillStore } from './backfill-store.ts';
import { withBinanceArchive } from './binance-archive-source.ts';
import { bootstrapHistory } from './bootstrap.ts';
import { createHistoryService } from './history-service.ts';

export interface Backfill {
  runner: BackfillRunner;
  store: BackfillStore;
  port: HistoryPort;
  /** Resolves when the first-start bootstrap has queued its jobs (not when they finish). */
  bootstrapped: Promise<void>;
  stop(): Promise<void>;
}

/**
 * History backfill for the engine: one candle-history and one trade-history source per followed venue,
 * both on the background lane of the venue's shared REST budget (`restBudgetOf`: depth snapshots and gap
 * repair go first, backfill yields), the job runner (resuming what a previous run left), the `history` API port
 * and, when `bootstrapDays` > 0, the first-start bootstrap of 1m candles for the followed symbols.
 */
export function startBackfill(params: {
  pool: pg.Pool;
  writer: MarketDataWriter;
  queries: MarketDataQueries;
  venues: readonly VenueEndpoints[];
  symbols: readonly string[];
  clock: Clock;
  logger: Logger;
  bootstrapDays: number;
  /** Binance's public archive base (`binanceArchiveUrlOf`); null or unset: REST only. */
  binanceArchiveUrl?: string | null;
}): Backfill {
  const logger = params.logger.child({ component: 'backfill' });
  const store = new BackfillStore(params.pool);
  const sources = new Map<string, CandleHistorySource>();
  const tradeSources = new Map<string, TradeHistoryPages>();
  for (const v of params.venues) {
    const budget = restBudgetOf(v).lane('background');
    const restCandles = candleHistorySource(v.adapter, v.restEndpoints, { budget });
    sources.set(
      v.adapter.venue,
      withBinanceArchive(v.adapter, restCandles, params.binanceArchiveUrl, logger, () => params.clock.now()),
    );
    tradeSources.set(
      v.adapter.venue,
      tradeHistoryPages(v.adapter, {
        restEndpoints: v.restEndpoints,
        budget,
        now: () => params.clock.now(),
      }),
    );
  }
  const runner = new BackfillRunner({
    store,
    sources,
    tradeSources,
    writeKlines: (k) => params.writer.writeKlines(k),
    writeTrades: (t) => params.writer.writeTrades(t),
    minutesWithTrades: async (venue, symbol, fromMs, toMs) => {
      const r = await params.pool.query<{ m: string }>(
        `SELECT DISTINCT (extract(epoch FROM date_trunc('minute', exchange_time)) * 1000)::bigint::text AS m
           FROM market_trades
          WHERE venue = $1 AND symbol = $2 AND exchange_time >= $3 AND exchange_time < $4`,
        [venue, symbol, new Date(fromMs), new Date(toMs)],
      );
      return new Set(r.rows.map((row) => Number(row.m)));
    },
    stored1m: (venue, symbol, fromMs, toMs) =>
      params.queries.closedCandlesAscending({ venue, symbol, interval: '1m', fromMs, toMs, limit: 50_000 }),
    logger,
  });
  runner.start();
  const port = createHistoryService({
    pool: params.pool,
    store,
    runner,
    clock: params.clock,
    symbols: params.symbols,
  });
  const bootstrapped =
    params.bootstrapDays > 0
      ? bootstrapHistory({
          pool: params.pool,
          store,
          runner,
          venues: [...sources.keys()],
          symbols: params.symbols,
          days: params.bootstrapDays,
          now: params.clock.now(),
          logger,
        }).catch((err: unknown) => {
          logger.error(
            { err: err instanceof Error ? err.message : String(err) },
            'history bootstrap could not queue its jobs',
          );
        })
      : Promise.resolve();
  return {
    runner,
    store,
    port,
    bootstrapped,
    stop: async () => {
      await bootstrapped;
      await runner.stop();
    },
  };
}

/**
 * `HISTORY_BOOTSTRAP_DAYS`: days of 1m candles backfilled for the followed symbols at start. Unset: 90 on
 * the simulator with the embedded database (the first `npm start`), 0 (off) when following real venues or
 * on a configured database, where a long backfill should be a decision.
 */
export function bootstrapDaysOf(
  config: Pick<EngineConfig, 'historyBootstrapDays' | 'marketSource' | 'databaseUrl'>,
): number {
  if (config.historyBootstrapDays !== undefined) return config.historyBootstrapDays;
  return config.marketSource === 'simulator' && !config.databaseUrl ? 90 : 0;
}
