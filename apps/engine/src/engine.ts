import { join } from 'node:path';
import {
  type ApiDeps,
  createAccountMail,
  createAttemptLimiter,
  createCredentialCache,
  type HealthReport,
  setTenantTier,
  startRequestLimits,
} from '@qt/api';
import type { BillingService } from '@qt/billing';
import {
  createPgPool,
  createPrisma,
  describeTimeSeriesStorage,
  migrate,
  startEmbeddedPostgres,
} from '@qt/db';
import type { MarketplaceService } from '@qt/marketplace';
import { createMailer } from '@qt/notify';
import { type Clock, liveClock, type MessageBus, type Quote } from '@qt/shared';
import type { StripeEmulator, StripeEmulatorOptions } from '@qt/stripe-emulator';
import { Redis } from 'ioredis';
import { DEMO_EMAIL, ensureDemoUser } from './accounts/demo-user.ts';
import { startTenantChangeFeed } from './accounts/tenant-changes.ts';
import { type Alerts, startAlerts } from './alerts/start-alerts.ts';
import { startBilling } from './billing/start-billing.ts';
import { createBus } from './bus/create-bus.ts';
import { InProcessBus } from './bus/in-process-bus.ts';
import type { EngineConfig } from './config/config-schema.ts';
import { loadOrCreateLocalSecrets } from './lifecycle/local-secrets.ts';
import { ShutdownStack } from './lifecycle/shutdown-stack.ts';
import { csvExportHandler } from './market/backfill/csv-export.ts';
import { registerDepthMetrics } from './market/depth/depth-metrics.ts';
import { marketDisabled } from './market/market-disabled.ts';
import { registerGapRepairMetrics } from './market/repair/repair-metrics.ts';
import { type MarketData, startMarketData } from './market/start-market-data.ts';
import { marketplaceStrategies } from './marketplace/marketplace-strategies-adapter.ts';
import { registerLimitMetrics } from './observability/limit-metrics.ts';
import type { Logger } from './observability/logger.ts';
import { registerMarketMetrics } from './observability/market-metrics.ts';
import { EngineMetrics } from './observability/metrics.ts';
import { type ApiServer, startApiServer } from './server/api-server.ts';
import { clientIp } from './server/client-ip.ts';
import { type Strategies, startStrategies } from './strategies/start-strategies.ts';
import { startTrading, type Trading } from './trading/start-trading.ts';

export const ENGINE_VERSION = '0.1.0';

/**
 * Shares of SHUTDOWN_TIMEOUT_MS kept for each shutdown step (see ShutdownStack): what drains money or
 * data (market intake, trading, persisters) gets the most; a step that finishes early leaves its time to
 * the next. They add up to 0.6; the API, stopped first, can use the rest.
 */
const SHARE = { flush: 0.1, strategies: 0.06, embeddedPostgres: 0.08, bus: 0.04, small: 0.02 } as const;

export interface Engine {
  config: EngineConfig;
  api: ApiDeps;
  bus: MessageBus;
  server: ApiServer;
  metrics: EngineMetrics;
  databaseUrl: string;
  /** Null when MARKET_SOURCE=off. */
  market: MarketData | null;
  trading: Trading;
  strategies: Strategies;
  alerts: Alerts;
  billing: BillingService;
  marketplace: MarketplaceService;
  /** The in-process Stripe emulator (no STRIPE_SECRET_KEY); null when the SDK talks to Stripe. */
  stripeEmulator: StripeEmulator | null;
  /** Set when the demo login exists (embedded default). */
  demo: { email: string; password: string } | null;
  stop(): Promise<void>;
}

export interface EngineOptions {
  config: EngineConfig;
  logger: Logger;
  clock?: Clock;
  /** Tests: the Stripe emulator's webhook retry schedule and renewal retries (emulator mode only). */
  stripeEmulator?: Pick<StripeEmulatorOptions, 'webhooks' | 'billing'>;
}

/**
 * Wires the engine's components in dependency order: database (embedded or DATABASE_URL) and its
 * migrations, bus (in-process or NATS), rate-limit store, API, HTTP/WebSocket server. Later issues add
 * feeds, aggregation, matching and strategies here. If any step fails, what already started is stopped.
 */
export async function startEngine({
  config,
  logger,
  clock = liveClock,
  stripeEmulator,
}: EngineOptions): Promise<Engine> {
  const stack = new ShutdownStack();
  try {
    const embedded = !config.databaseUrl;
    const local = embedded || !config.sessionSecret ? loadOrCreateLocalSecrets(config.dataDir) : null;
    const sessionSecret = config.sessionSecret ?? (local as NonNullable<typeof local>).sessionSecret;
    if (!config.sessionSecret)
      logger.warn({ dataDir: config.dataDir }, 'SESSION_SECRET unset: using the one kept in the data folder');

    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      const pg = await startEmbeddedPostgres({
        dataDir: `${config.dataDir}/postgres`,
        port: config.embeddedPostgresPort,
      });
      stack.push('embedded-postgres', () => pg.stop(), SHARE.embeddedPostgres);
      databaseUrl = pg.url;
      logger.info({ port: new URL(pg.url).port }, 'embedded postgres started');
    }
    const applied = await migrate(databaseUrl);
    logger.info({ applied }, 'database migrated');

    const db = createPrisma(databaseUrl);
    stack.push('prisma', () => db.$disconnect(), SHARE.small);
    // The mode the tables are actually in (hypertables or native partitions), not whether the extension
    // could be installed: a server with TimescaleDB outside shared_preload_libraries runs partitions.
    const storage = await describeTimeSeriesStorage(db);
    logger.info({ storage }, `time-series storage: ${storage.layout}`);

    const bus = await createBus({
      natsUrl: config.natsUrl,
      natsNamespace: config.natsNamespace,
      clock,
      logger,
      instanceId: config.instanceId,
      streamReplicas: config.streamReplicas,
      streamMaxBytes: config.streamMaxBytes,
    });
    stack.push('bus', () => bus.close(), SHARE.bus);

    let redis: Redis | undefined;
    if (config.redisUrl) {
      redis = new Redis(config.redisUrl, {
        maxRetriesPerRequest: 1,
        enableOfflineQueue: false,
        lazyConnect: true,
        // A Redis that stops answering (blackholed, paused) must look like one that is down: without a
        // timeout every authenticated call would hang on it instead of taking the limiter's fallback.
        commandTimeout: config.redisCommandTimeoutMs,
      });
      redis.on('error', (err) => logger.warn({ err: err.message }, 'redis error'));
      await redis.connect();
      const r = redis;
      stack.push('redis', async () => void (await r.quit()), SHARE.small);
    }

    let market: MarketData | null = null;
    // Quotes reach trading in-process; trading starts after the instrument catalog it needs.
    let quoteSink: ((q: Quote) => void) | null = null;
    if (config.marketSource !== 'off') {
      // Time series go through pg (COPY), not Prisma: its own small pool.
      const pool = createPgPool(databaseUrl, { max: 6 });
      // An idle connection that dies (database restart) must not become an uncaught error.
      pool.on('error', (err) => logger.warn({ err: err.message }, 'idle time-series connection failed'));
      stack.push('pg-pool', () => pool.end(), SHARE.small);
      market = await startMarketData({
        config,
        db,
        pool,
        bus,
        clock,
        logger,
        onQuote: (q) => quoteSink?.(q),
      });
      const m = market;
      stack.push(
        'market-data',
        async () => {
          await m.stop();
          // What a restart will find stored, against what was taken in: the numbers to check after a stop.
          logger.info(
            {
              trades: { ...m.publisher.stats, ...prefixed('stored', m.persisters.trades) },
              klines: {
                publishFailures: m.klines.publisher.failures,
                dropped: m.klines.publisher.dropped,
                ...prefixed('stored', m.persisters.klines),
              },
            },
            'market data flushed',
          );
        },
        SHARE.flush,
      );
    }

    const trading = await startTrading({
      db,
      databaseUrl,
      bus,
      clock,
      logger,
      instruments: market?.catalog.list() ?? [],
      ...(market?.depth ? { depth: market.depth } : {}),
    });
    quoteSink = trading.onQuote;
    stack.push('trading', () => trading.stop(), SHARE.flush);

    // Tier budgets on every authenticated call, and usage metering. Pushed before the strategies and the
    // alerts: the stack stops in reverse, so the meter's last flush comes after they stopped and carries
    // their last CPU time and alerts fired (and after the API stopped taking calls).
    const limits = startRequestLimits({
      db,
      redis,
      keyPrefix: config.redisKeyPrefix,
      clock,
      logger,
      enabled: config.rateLimits,
      // Per instance: the instances' fallbacks together stay within the tier's budget.
      fallbackFraction: config.rateLimitFallbackFraction / config.engineInstances,
      usageFlushMs: config.usageFlushMs,
    });
    stack.push('usage-meter', () => limits.stop(), SHARE.small);
    const strategies = await startStrategies({
      db,
      databaseUrl,
      bus,
      clock,
      logger,
      trading: trading.service,
      instrument: (venue, symbol) => market?.catalog.get(venue, symbol),
      ...(market ? { feedLive: feedLive(market) } : {}),
      instanceId: config.instanceId,
    });
    stack.push('strategies', () => strategies.stop(), SHARE.strategies);
    limits.usage.trackCumulative('strategyCpuMs', () => strategies.service.callTime());
    // Crash probation: before any slower step, so running out of time later is not taken for a crash.
    stack.first('strategies-release', () => strategies.release(), SHARE.small);
    // Alerts: before market intake's stop step, so it stops after intake and sees every trade received.
    const alerts = await startAlerts({
      config,
      db,
      databaseUrl,
      bus,
      clock,
      logger,
      mailer: mailerFor(config, logger),
      usage: limits.usage,
      deployments: strategies.service,
      // Alerts on markets not followed are refused; indicators are seeded from the stored candles.
      market: market ? { followed: () => market?.follow.followed() ?? [], queries: market.queries } : null,
    });
    stack.push('alerts', (budget) => alerts.stop(budget), SHARE.small);
    if (market) {
      // Stopped first after the API (the stack runs in reverse): intake ends before anything downstream
      // stops, so the strategies, trading and the persisters still see every trade already received.
      const m = market;
      stack.push('market-intake', (budget) => stopMarketIntake(m, bus, logger, budget), SHARE.flush);
    }

    const metrics = new EngineMetrics({ service: 'engine' });
    registerLimitMetrics(metrics.registry, limits.limiter, limits.usage);
    metrics.trackBus(() => bus.health());
    if (market) {
      registerMarketMetrics(metrics.registry, market, () => clock.now());
      registerGapRepairMetrics(metrics.registry, market.repairer);
      if (market.depth) registerDepthMetrics(metrics.registry, market.depth);
    }
    const health = async (): Promise<HealthReport> => {
      const components: HealthReport['components'] = {};
      components.database = await probe(() => db.$queryRaw`SELECT 1`);
      const busHealth = bus.health();
      components.bus = { ok: busHealth.connected, detail: busHealth.detail ?? busHealth.kind };
      if (redis) components.redis = await probe(() => (redis as Redis).ping());
      for (const [name, c] of Object.entries(components)) metrics.up.set({ component: name }, c.ok ? 1 : 0);
      const ok = Object.values(components).every((c) => c.ok);
      return { status: ok ? 'ok' : components.database?.ok ? 'degraded' : 'down', components };
    };

    // Account emails: SMTP when configured, else `${dataDir}/outbox` (links in this log only when embedded
    // or MAIL_LOG_LINKS=true: they carry single-use tokens).
    const accounts = createAccountMail({
      mailer: createMailer(
        {
          smtpUrl: config.smtpUrl,
          smtpHost: config.smtpHost,
          smtpPort: config.smtpPort,
          smtpUser: config.smtpUser,
          smtpPass: config.smtpPass,
          smtpSecure: config.smtpSecure,
          from: config.mailFrom,
          outboxDir: join(config.dataDir, 'outbox'),
          outboxLogLinks: config.mailLogLinks ?? embedded,
        },
        logger,
      ),
      logger,
      webPublicUrl: config.webPublicUrl,
      ...(redis ? { redis } : {}),
      keyPrefix: config.redisKeyPrefix,
      signUp: { perIpPer10Min: config.signUpLimitPerIp, globalPerMinute: config.signUpLimitGlobal },
    });
    stack.push('account-mail', () => accounts.close(), SHARE.small);

    // Billing and the marketplace (Stripe, or the emulator in process). Its hooks act once the API's
    // deps exist (a webhook can only arrive after the server listens, below).
    let apiRef: ApiDeps | null = null;
    const billing = await startBilling({
      config,
      db,
      databaseUrl,
      clock,
      logger,
      hooks: {
        applyTier: async (tenantId, tier) => {
          // Every engine applies it within a second (the credential cache's change feed).
          await setTenantTier(apiRef ?? { db }, tenantId, tier);
        },
        listingAccessChanged: async (change) => {
          // Applied here at once, then published to every engine through the credential cache's change
          // feed (a tenant change, as setTenantTier does): each applies it to its own runners from the
          // entitlement rows (the tenant change feed below). Without Redis there is one engine: local only.
          const changed = await strategies.service.listingAccessChanged(change);
          if (changed.length > 0) logger.info({ ...change, deployments: changed }, 'listing access applied');
          await apiRef?.credentialCache?.invalidate({ tenantId: change.tenantId });
        },
      },
      strategies: marketplaceStrategies({
        db,
        service: strategies.service,
        store: strategies.store,
        instrument: (venue, symbol) => market?.catalog.get(venue, symbol),
      }),
      ...(stripeEmulator ? { emulator: stripeEmulator } : {}),
    });
    stack.push('billing', () => billing.stop(), SHARE.small);

    const api: ApiDeps = {
      db,
      clock,
      logger,
      sessionSecret,
      version: ENGINE_VERSION,
      limiters: {
        signInByIp: createAttemptLimiter(
          {
            keyPrefix: `${config.redisKeyPrefix}:auth:signin-ip`,
            points: 100,
            windowSeconds: 900,
            blockSeconds: 900,
          },
          redis,
        ),
        signIn: createAttemptLimiter(
          {
            keyPrefix: `${config.redisKeyPrefix}:auth:signin`,
            points: 10,
            windowSeconds: 900,
            blockSeconds: 900,
          },
          redis,
        ),
        credential: createAttemptLimiter(
          {
            keyPrefix: `${config.redisKeyPrefix}:auth:cred`,
            points: 30,
            windowSeconds: 60,
            blockSeconds: 300,
          },
          redis,
        ),
      },
      credentialCache: createCredentialCache({
        ...(redis ? { redis } : {}),
        keyPrefix: config.redisKeyPrefix,
        onError: (err, what) =>
          logger.error({ err: err instanceof Error ? err.message : String(err) }, `could not ${what}`),
      }),
      accounts,
      health,
      market: market?.port ?? marketDisabled,
      ...(market ? { history: market.backfill.port } : {}),
      trading: trading.service,
      strategies: strategies.service,
      alerts: alerts.service,
      billing: billing.billing,
      marketplace: billing.marketplace,
      observe: (call) => metrics.observeCall(call),
      ...(limits.limiter ? { requestLimiter: limits.limiter } : {}),
      usage: limits.usage,
    };
    apiRef = api;

    // Tier changes (from any engine, through the credential cache's change feed) reach the caches outside
    // the API: the risk engine's tenant tiers and the strategies' tiers, within a second.
    if (api.credentialCache) {
      const tenantChanges = startTenantChangeFeed({
        cache: api.credentialCache,
        onTenants: async (tenantIds) => {
          if (tenantIds === null) strategies.forgetTier(null);
          else for (const id of tenantIds) strategies.forgetTier(id);
          await trading.service.refreshTenantTiers(tenantIds);
          // A listing access change on another engine (billing's hook publishes it as a tenant change).
          const changed = await strategies.service.syncListingAccess({ tenantIds });
          if (changed.length > 0) logger.info({ tenantIds, deployments: changed }, 'listing access applied');
        },
        onError: (err) =>
          logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'tenant change feed'),
      });
      stack.push('tenant-changes', () => tenantChanges.stop());
    }

    let demo: Engine['demo'] = null;
    if ((config.demoUser ?? embedded) && local) {
      const { created } = await ensureDemoUser(api, local.demoPassword);
      demo = { email: DEMO_EMAIL, password: local.demoPassword };
      if (created) logger.info({ email: DEMO_EMAIL }, 'demo login created');
    }

    const server = await startApiServer({
      host: config.host,
      port: config.port,
      webOrigins: config.webOrigins,
      trustedProxies: config.trustedProxies,
      api,
      metrics,
      logger,
      readiness: health,
      stripeWebhook: (raw, signature) => billing.billing.handleWebhook(raw, signature),
      ...(market
        ? { exportCsv: csvExportHandler(api, market.queries, (req) => clientIp(req, config.trustedProxies)) }
        : {}),
    });
    // The API takes what the shares of the later steps leave (0.4 of the deadline at most), up to 5 s.
    stack.push('api-server', (budget) => server.close(Math.min(5_000, budget * 0.9)));
    await billing.serve(server.url);

    let stopping: Promise<void> | undefined;
    return {
      config,
      api,
      bus,
      server,
      metrics,
      databaseUrl,
      market,
      trading,
      strategies,
      alerts,
      billing: billing.billing,
      marketplace: billing.marketplace,
      stripeEmulator: billing.stripeEmulator,
      demo,
      stop: () => {
        stopping ??= stack.run(logger, config.shutdownTimeoutMs);
        return stopping;
      },
    };
  } catch (err) {
    await stack.run(logger, config.shutdownTimeoutMs);
    throw err;
  }
}

/**
 * Shutdown, step one of the market: the feeds stop taking trades in, what they handed over goes on the
 * bus, the aggregator and every consumer catch up, then the aggregator stops making candles and their
 * last closes are stored. Only then may the strategies, trading, the persisters and the database stop.
 * On NATS the stream keeps whatever is still unconsumed for the next start; the in-process bus keeps
 * nothing, so it is drained (within `drainMs`; what is left is reported).
 */
async function stopMarketIntake(
  market: MarketData,
  bus: MessageBus,
  logger: Logger,
  drainMs: number,
): Promise<void> {
  await market.feeds.stop();
  await market.publisher.close();
  const deadline = performance.now() + drainMs;
  const drain = async (what: string) => {
    if (!(bus instanceof InProcessBus)) return;
    // Twice, a turn apart: closes beyond the candle publisher's in-flight window go out on a later turn.
    let ok = await bus.drain(deadline - performance.now());
    await new Promise((r) => setImmediate(r));
    ok = ok && (await bus.drain(deadline - performance.now()));
    if (!ok)
      logger.error({ drainMs, what }, 'in-process bus not drained in time: unhandled messages are lost');
  };
  await drain('trades');
  await market.klines.stop();
  await drain('candles');
}

function prefixed(prefix: string, stats: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(stats).map(([k, v]) => [`${prefix}${k[0]?.toUpperCase()}${k.slice(1)}`, v]),
  );
}

async function probe(check: () => Promise<unknown>): Promise<{ ok: boolean; detail?: string }> {
  try {
    await check();
    return { ok: true };
  } catch (err) {
    return { ok: false, detail: err instanceof Error ? err.message : String(err) };
  }
}

/** Whether a feed connection of the venue that carries the symbol is live now. */
function feedLive(market: MarketData): (venue: string, symbol: string) => boolean {
  return (venue, symbol) =>
    market.feeds.status().some((f) => f.venue === venue && f.state === 'live' && f.symbols.includes(symbol));
}

/** The engine's mailer for alert emails (SMTP when configured, else `${dataDir}/outbox`). */
function mailerFor(config: EngineConfig, logger: Logger) {
  return createMailer(
    {
      smtpUrl: config.smtpUrl,
      smtpHost: config.smtpHost,
      smtpPort: config.smtpPort,
      smtpUser: config.smtpUser,
      smtpPass: config.smtpPass,
      smtpSecure: config.smtpSecure,
      from: config.mailFrom,
      outboxDir: join(config.dataDir, 'outbox'),
      // Alert emails carry no secrets, but nothing in them is worth a log line either.
      outboxLogLinks: false,
    },
    logger,
  );
}
