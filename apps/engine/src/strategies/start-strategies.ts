import { createPgPool, type Db, MarketDataQueries } from '@qt/db';
import type { Clock, Instrument, MessageBus, Tier } from '@qt/shared';
import { type EngineHolder, startEngineHolder } from '../lifecycle/engine-holder.ts';
import type { Logger } from '../observability/logger.ts';
import type { TradingService } from '../trading/trading-service.ts';
import { BacktestJobs } from './backtest-jobs.ts';
import { StrategyCompiler } from './compile/strategy-compiler.ts';
import { StrategyEditor } from './compile/strategy-editor.ts';
import { startSandboxStrategy } from './sandbox-adapter.ts';
import { StrategiesService } from './strategies-service.ts';
import { StrategyStore } from './strategy-store.ts';

export interface Strategies {
  service: StrategiesService;
  /** The strategies' tables (the marketplace reads versions through it). */
  store: StrategyStore;
  /** This engine process's holder id on the deployments it runs (`<INSTANCE_ID>/<boot id>`). */
  holder: string;
  /**
   * First step of a graceful shutdown: this engine lets its deployments go (crash probation), so a
   * shutdown that later runs out of time, or is cut short by a second signal, is not taken for a crash.
   */
  release(): Promise<void>;
  /**
   * Forgets the cached tier of `tenantId` (all tenants when null), so the next deployment started reads
   * the tenant's current plan: called on a tier change, from any engine (see tenant-changes.ts).
   */
  forgetTier(tenantId: string | null): void;
  stop(): Promise<void>;
}

/** Live metrics pushed to the dashboard this often while deployments run. */
const METRICS_PUSH_MS = 2_000;

/**
 * Crash probation. A deployment held by an engine that died (no graceful shutdown released it) gets a
 * strike and is restored on probation; if the engine dies again while it is on probation (the second
 * strike in a row), it is failed with ENGINE_CRASH_SUSPECT instead of being restored: a module that
 * found a way to kill the engine must not kill every engine that restores it. Only deployments held by
 * an engine process that is gone count: one still alive (stopping while this one starts) is no crash, see
 * `engine-holder.ts`. Probation ends after
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
  /** Whether the market's feed delivers venue/symbol now (absent: no market data here). */
  feedLive?(venue: string, symbol: string): boolean;
  /** How long restored deployments stay on probation (default PROBATION_MS). */
  probationMs?: number;
  /** INSTANCE_ID: the first part of this engine's holder id. */
  instanceId?: string;
}): Promise<Strategies> {
  const logger = params.logger.child({ component: 'strategies' });
  const holder = await startEngineHolder({
    databaseUrl: params.databaseUrl,
    instanceId: params.instanceId ?? '',
    logger: params.logger,
  });
  try {
    return await startWithHolder(params, logger, holder);
  } catch (err) {
    await holder.stop();
    throw err;
  }
}

async function startWithHolder(
  params: Parameters<typeof startStrategies>[0],
  logger: Logger,
  holder: EngineHolder,
): Promise<Strategies> {
  const store = new StrategyStore(params.db, holder.id);
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

  // Tiers by tenant, for the sandbox limits of deployments started here; emptied per tenant by
  // `forgetTier` on a tier change. Bounded: one entry per tenant with deployments on this engine.
  const tiers = new Map<string, Tier>();
  // The browser editor's compiler: one worker thread, started on the first compile.
  const compiler = new StrategyCompiler({ logger });
  const service = new StrategiesService({
    store,
    editor: new StrategyEditor({ store, compiler }),
    trading: params.trading,
    bus: params.bus,
    clock: params.clock,
    logger,
    instrument: params.instrument,
    startStrategy: startSandboxStrategy,
    backtests,
    ...(params.feedLive ? { feedLive: params.feedLive } : {}),
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
  service.startListingSweep();
  let released: Promise<void> | undefined;
  const release = () => {
    released ??= store.releaseDeployments().then(
      (count) => logger.info({ released: count, holder: holder.id }, 'deployments released for shutdown'),
      (err: unknown) =>
        logger.warn({ err }, 'deployments not released: the next start counts this stop as a crash'),
    );
    return released;
  };
  return {
    service,
    store,
    holder: holder.id,
    release,
    forgetTier(tenantId) {
      if (tenantId === null) tiers.clear();
      else tiers.delete(tenantId);
    },
    async stop() {
      clearInterval(timer);
      clearTimeout(probationTimer);
      await release();
      await service.close();
      await compiler.stop();
      // Again, with every sandbox ended: rows the first release could not reach (the database was away).
      await store.releaseDeployments().catch(() => undefined);
      await holder.stop();
      await pool.end();
    },
  };
}
