import { type AlertMailer, parseDeliveryConfig } from '@qt/alerts';
import type { Db } from '@qt/db';
import type { Clock, MessageBus } from '@qt/shared';
import type { EngineConfig } from '../config/config-schema.ts';
import type { Logger } from '../observability/logger.ts';
import { AlertService, type FeedDeploymentHooks } from './alert-service.ts';

export interface Alerts {
  service: AlertService;
  stop(budgetMs?: number): Promise<void>;
}

/**
 * Starts the alert engine: delivery settings from the config (SSRF guard on, the operator's
 * ALERT_WEBHOOK_ALLOW / ALERT_WEBHOOK_PORTS), emails through the engine's mailer, one evaluator per
 * engine instance (its snapshot row is `alerts:<INSTANCE_ID>`).
 */
export async function startAlerts(params: {
  config: EngineConfig;
  db: Db;
  bus: MessageBus;
  clock: Clock;
  logger: Logger;
  /** Closed by `stop`. */
  mailer: AlertMailer & { close(): Promise<void> };
  usage?: { add(tenantId: string, kind: 'alertsFired', amount: number): void };
  /** This engine's deployments ("feed degraded" events, `pauseDeployment`). */
  deployments?: FeedDeploymentHooks;
}): Promise<Alerts> {
  const delivery = parseDeliveryConfig({
    allow: params.config.alertWebhookAllow,
    allowedPorts: params.config.alertWebhookPorts,
  });
  const service = new AlertService({
    db: params.db,
    bus: params.bus,
    clock: params.clock,
    logger: params.logger,
    evaluatorId: `alerts:${params.config.instanceId || 'default'}`,
    delivery,
    mailer: params.mailer,
    ...(params.usage ? { usage: params.usage } : {}),
    ...(params.deployments ? { deployments: params.deployments } : {}),
  });
  await service.start();
  return {
    service,
    stop: async (budgetMs) => {
      await service.stop(budgetMs);
      await params.mailer.close();
    },
  };
}
