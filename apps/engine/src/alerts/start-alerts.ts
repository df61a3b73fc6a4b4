import { type AlertMailer, parseDeliveryConfig } from '@qt/alerts';
import type { Db, MarketDataQueries } from '@qt/db';
import type { Clock, ConsumerSpec, MessageBus } from '@qt/shared';
import { NatsBus } from '../bus/nats/nats-bus.ts';
import type { EngineConfig } from '../config/config-schema.ts';
import { defaultInstanceId } from '../config/load-config.ts';
import type { Logger } from '../observability/logger.ts';
import { AlertService, type FeedDeploymentHooks } from './alert-service.ts';
import { committedRow } from './alert-store.ts';
import { alertEvaluatorId } from './evaluator-id.ts';
import { type EvaluatorLock, lockEvaluator } from './evaluator-lock.ts';
import { followedMarkets } from './followed-markets.ts';
import type { StoredCandleReader } from './indicator-warmup.ts';

export interface Alerts {
  service: AlertService;
  stop(budgetMs?: number): Promise<void>;
}

/** What the alerts read from the market-data pipeline. */
export interface AlertMarketSource {
  /** Every market the feeds follow now (configured and added at run time). */
  followed: () => readonly { venue: string; symbol: string }[];
  queries: Pick<MarketDataQueries, 'candles'>;
}

/**
 * Starts the alert engine: delivery settings from the config (SSRF guard on, the operator's
 * ALERT_WEBHOOK_ALLOW / ALERT_WEBHOOK_PORTS), emails through the engine's mailer, one evaluator per
 * engine instance (its snapshot row is `alerts:<INSTANCE_ID>`, or, with no INSTANCE_ID set, an id kept in
 * `${DATA_DIR}/instance-id`: see evaluator-id.ts), held by a PostgreSQL advisory lock for the alert
 * engine's lifetime (evaluator-lock.ts: a second live engine on the same id runs under a fresh one). With the market pipeline (`market`):
 * alerts on markets it does not follow are refused, and new indicator instances are seeded from the
 * stored candles; `market: null` is MARKET_SOURCE=off (see followedMarkets for what is refused then).
 */
export async function startAlerts(params: {
  config: EngineConfig;
  db: Db;
  /** For the evaluator id's advisory lock, on a connection of its own (absent: no lock; tools). */
  databaseUrl?: string;
  bus: MessageBus;
  clock: Clock;
  logger: Logger;
  /** Closed by `stop`. */
  mailer: AlertMailer & { close(): Promise<void> };
  usage?: { add(tenantId: string, kind: 'alertsFired', amount: number): void };
  /** This engine's deployments ("feed degraded" events, `pauseDeployment`). */
  deployments?: FeedDeploymentHooks;
  /** Null when market data is off; absent: no market check and no warm-up (tools and benches). */
  market?: AlertMarketSource | null;
}): Promise<Alerts> {
  const delivery = parseDeliveryConfig({
    allow: params.config.alertWebhookAllow,
    allowedPorts: params.config.alertWebhookPorts,
  });
  const wanted = alertEvaluatorId({
    instanceId: params.config.instanceId,
    explicit: params.config.instanceId !== '' && params.config.instanceId !== defaultInstanceId(),
    dataDir: params.config.dataDir,
  });
  const lock: EvaluatorLock | null = params.databaseUrl
    ? await lockEvaluator({ databaseUrl: params.databaseUrl, evaluatorId: wanted, logger: params.logger })
    : null;
  const bus = params.bus;
  const service = new AlertService({
    db: params.db,
    bus,
    clock: params.clock,
    logger: params.logger,
    evaluatorId: lock?.id ?? wanted,
    ...(bus instanceof NatsBus ? { streamBounds: (stream: string) => bus.streamInfo(stream) } : {}),
    delivery,
    mailer: params.mailer,
    ...(params.usage ? { usage: params.usage } : {}),
    ...(params.deployments ? { deployments: params.deployments } : {}),
    ...(params.market !== undefined
      ? {
          followed: followedMarkets({
            source: params.market === null ? 'off' : params.config.marketSource,
            bus: params.bus.kind,
            followed: params.market?.followed ?? (() => []),
            configured: params.config.marketSymbols,
            stored: (limit) =>
              params.db.followedMarket.findMany({
                distinct: ['venue', 'symbol'],
                select: { venue: true, symbol: true },
                take: limit,
              }),
          }),
        }
      : {}),
    ...(params.market ? { storedCandles: storedCandleReader(params.market.queries) } : {}),
  });
  try {
    await service.start();
  } catch (err) {
    await service.stop(0).catch(() => undefined);
    await lock?.release();
    throw err;
  }
  return {
    service,
    stop: async (budgetMs) => {
      await service.stop(budgetMs);
      // A fresh id of a duplicate engine is never used again: its consumers and snapshot go with it
      // (its own only; the id it could not take belongs to the live engine holding it).
      if (lock?.fellBack) await forgetEvaluator(params.db, bus, lock.id, service.consumers, params.logger);
      // After the last commit and snapshot: another engine may take the id over from here.
      await lock?.release();
      await params.mailer.close();
    },
  };
}

/** Removes a throwaway evaluator's durable consumers and snapshot rows (best effort, logged). */
async function forgetEvaluator(
  db: Db,
  bus: MessageBus,
  evaluatorId: string,
  consumers: readonly ConsumerSpec[],
  logger: Logger,
): Promise<void> {
  try {
    if (bus instanceof NatsBus) for (const c of consumers) await bus.deleteConsumer(c);
    await db.alertEvaluatorSnapshot.deleteMany({
      where: { evaluator: { in: [evaluatorId, committedRow(evaluatorId)] } },
    });
  } catch (err) {
    logger.warn(
      { evaluator: evaluatorId, err: err instanceof Error ? err.message : String(err) },
      'throwaway alert evaluator not cleaned up',
    );
  }
}

/**
 * The newest closed candles of a series opening before `before` from the time-series store (one query,
 * at most 5,000 rows, failing after `timeoutMs`).
 */
export function storedCandleReader(queries: Pick<MarketDataQueries, 'candles'>): StoredCandleReader {
  return async ({ venue, symbol, interval, limit, before, timeoutMs }) => {
    const page = await queries.candles({
      venue,
      symbol,
      interval,
      limit,
      timeoutMs,
      ...(before !== null ? { before } : {}),
    });
    // The newest row may be the open candle (stored by a backfill or a revision): only closed ones seed.
    return page.candles
      .filter((k) => k.closed)
      .map((k) => ({
        venue: k.venue,
        symbol: k.symbol,
        interval: k.interval,
        openTime: k.openTime,
        closeTime: k.closeTime,
        open: k.open,
        high: k.high,
        low: k.low,
        close: k.close,
        baseVolume: k.baseVolume,
      }));
  };
}
