import { createPgPool, type Db, MarketDataQueries } from '@qt/db';
import type { Clock, Instrument, MessageBus, Tier } from '@qt/shared';
import type { Logger } from '../observability/logger.ts';
import type { TradingService } from '../trading/trading-service.ts';
import { BacktestJobs } from './backtest-jobs.ts';
import { startSandboxStrategy } from './sandbox-adapter.ts';
import { StrategiesService } from './strategies-service.ts';
import { StrategyStore } from './strategy-store.ts';

export interface Strategies {
  service: StrategiesService;
  stop(): Promise<void>;
}

/** Live metrics pushed to the dashboard this often while deployments run. */
const METRICS_PUSH_MS = 2_000;

/**
 * Strategies in the engine: the store, the backtest job queue, the deployment service; deployments that
 * were running when the engine stopped are started again, backtests that were running are marked failed.
 */
export async function startStrategies(params: {
  db: Db;
  databaseUrl: string;
  bus: MessageBus;
  clock: Clock;
  logger: Logger;
  trading: TradingService;
  instrument(venue: string, symbol: string): Instrument | undefined;
}): Promise<Strategies> {
  const logger = params.logger.child({ component: 'strategies' });
  const store = new StrategyStore(params.db);
  // Backtests read candles through pg (the time-series queries), on a small pool of their own.
  const pool = createPgPool(params.databaseUrl, { max: 2 });
  pool.on('error', (err) => logger.warn({ err: err.message }, 'idle backtest connection failed'));
  const backtests = new BacktestJobs({
    store,
    queries: new MarketDataQueries(pool),
    databaseUrl: params.databaseUrl,
    clock: params.clock,
    logger,
    instrument: params.instrument,
  });
  const abandoned = await backtests.recover();
  if (abandoned > 0)
    logger.warn({ abandoned }, 'backtests left unfinished by the previous run marked failed');

  const tiers = new Map<string, Tier>();
  const service = new StrategiesService({
    store,
    trading: params.trading,
    bus: params.bus,
    clock: params.clock,
    logger,
    instrument: params.instrument,
    startStrategy: startSandboxStrategy,
    backtests,
    async tierOf(tenantId) {
      let tier = tiers.get(tenantId);
      if (!tier) {
        const row = await params.db.tenant.findUniqueOrThrow({
          where: { id: tenantId },
          select: { tier: true },
        });
        tier = row.tier;
        tiers.set(tenantId, tier);
      }
      return tier;
    },
  });
  const restored = await service.restore();
  if (restored > 0) logger.info({ restored }, 'strategy deployments restored');
  const timer = setInterval(() => service.publishMetrics(), METRICS_PUSH_MS);
  timer.unref();
  return {
    service,
    async stop() {
      clearInterval(timer);
      await service.close();
      await pool.end();
    },
  };
}
