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
 * Crash probation. A deployment held by an engine that died (no graceful shutdown released it) gets a
 * strike and is restored on probation; if the engine dies again while it is on probation (the second
 * strike in a row), it is failed with ENGINE_CRASH_SUSPECT instead of being restored: a module that
 * found a way to kill the engine must not kill every engine that restores it. Probation ends after
 * PROBATION_MS of this engine running (the timer bomb of issue 9 killed the engine within 26 s; a leak
 * that takes longer than this is not told apart from an unrelated crash). A graceful shutdown, a stop or
 * a failure clear the strikes.
 */
export const CRASH_STRIKES_TO_FAIL = 2;
export const PROBATION_MS = 10 * 60_000;

/**
 * Strategies in the engine: the store, the backtest job queue, the deployment service; deployments that
 * were running when the engine stopped are started again (on crash probation after an abnormal end),
 * backtests that were running are marked failed.
 */
export async function startStrategies(params: {
  db: Db;
  databaseUrl: string;
  bus: MessageBus;
  clock: Clock;
  logger: Logger;
  trading: TradingService;
  instrument(venue: string, symbol: string): Instrument | undefined;
  /** How long restored deployments stay on probation (default PROBATION_MS). */
  probationMs?: number;
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
  const probation = await store.takeUpDeployments(
    CRASH_STRIKES_TO_FAIL,
    'ENGINE_CRASH_SUSPECT: the engine died abnormally twice in a row while this deployment was running, ' +
      'so it was not started again. Check its timers, orders and memory use, then redeploy it.',
  );
  for (const s of probation.suspects) {
    logger.error({ deployment: s.id, tenant: s.tenantId }, 'deployment not restored: engine crash suspect');
  }
  const restored = await service.restore();
  if (restored > 0) {
    logger.info({ restored, onProbation: probation.onProbation }, 'strategy deployments restored');
  }
  const probationTimer =
    probation.onProbation > 0
      ? setTimeout(() => {
          store.endProbation().then(
            (ended) => logger.info({ ended }, 'restored deployments passed their crash probation'),
            (err: unknown) => logger.warn({ err }, 'could not end the crash probation'),
          );
        }, params.probationMs ?? PROBATION_MS)
      : undefined;
  probationTimer?.unref();
  const timer = setInterval(() => service.publishMetrics(), METRICS_PUSH_MS);
  timer.unref();
  return {
    service,
    async stop() {
      clearInterval(timer);
      clearTimeout(probationTimer);
      await service.close();
      // Only now, with every sandbox ended: a shutdown that dies before this counts as a crash.
      await store
        .releaseDeployments()
        .catch((err: unknown) =>
          logger.warn({ err }, 'deployments not released: the next start counts this stop as a crash'),
        );
      await pool.end();
    },
  };
}
