import { parseCidr } from '@qt/alerts';
import { z } from 'zod';

const csv = z.preprocess(
  (v) =>
    typeof v === 'string'
      ? v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : v,
  z.array(z.string()),
);
const bool = z.preprocess(
  (v) => (typeof v === 'string' ? ['1', 'true', 'yes', 'on'].includes(v.toLowerCase()) : v),
  z.boolean(),
);
const emptyAsUndefined = (v: unknown) => (v === '' ? undefined : v);

/**
 * Every setting of the engine, parsed once at start. Environment variables (UPPER_SNAKE) override the
 * optional YAML file (camelCase keys). Nothing else in the engine reads process.env.
 */
export const configSchema = z.strictObject({
  host: z.string().default('127.0.0.1'),
  port: z.coerce.number().int().min(0).max(65_535).default(4000),
  /** Unset: an embedded PostgreSQL runs in `${dataDir}/postgres`. */
  databaseUrl: z.preprocess(emptyAsUndefined, z.url().optional()),
  /** Unset: an in-process bus stands in for NATS JetStream. */
  natsUrl: z.preprocess(emptyAsUndefined, z.string().optional()),
  /** Prefix of this deployment's streams and subjects, so deployments (or test runs) can share one NATS. */
  natsNamespace: z
    .string()
    .regex(/^[A-Za-z0-9_-]*$/)
    .default(''),
  /** Unset: rate limits are kept in memory (correct for one engine instance only). */
  redisUrl: z.preprocess(emptyAsUndefined, z.string().optional()),
  /** Namespace of this deployment's keys in Redis, so deployments (or test runs) can share one Redis. */
  redisKeyPrefix: z
    .string()
    .regex(/^[\w:-]+$/)
    .default('qt'),
  dataDir: z.string().default('data'),
  embeddedPostgresPort: z.coerce.number().int().min(1).max(65_535).default(54_329),
  /** Shared with the web server. Unset: generated once and kept in `${dataDir}/secrets.json`. */
  sessionSecret: z.preprocess(emptyAsUndefined, z.string().min(32).optional()),
  /** Browser origins allowed to call the API (CORS). */
  webOrigins: csv.default(['http://localhost:3000', 'http://127.0.0.1:3000']),
  /** Peers whose X-Forwarded-For is believed (the web server signs people in on their behalf). */
  trustedProxies: csv.default(['127.0.0.1', '::1', '::ffff:127.0.0.1']),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  /** Create `demo@quant-trader.local` on first start so a newcomer can sign in at once (default: when embedded). */
  demoUser: bool.optional(),
  instanceId: z.string().default(''),
  /** How long SIGTERM may take before the process exits anyway. */
  shutdownTimeoutMs: z.coerce.number().int().min(100).default(10_000),
  streamReplicas: z.coerce.number().int().min(1).max(5).default(1),
  /**
   * Caps every stream's max_bytes. JetStream reserves a stream's max_bytes against the server's storage
   * when the stream is created, so a small server (or many test namespaces) needs a smaller cap.
   */
  streamMaxBytes: z.coerce.number().int().min(1_048_576).optional(),

  // Market data (see README "Market data").
  /** `live`: the venues' public endpoints; `simulator`: the bundled exchange simulator, in process (offline demo); `off`: no feeds. */
  marketSource: z.enum(['live', 'simulator', 'off']).default('live'),
  marketVenues: csv.pipe(z.array(z.enum(['binance', 'okx', 'bybit']))).default(['binance', 'okx', 'bybit']),
  /** Canonical symbols to follow on every venue that lists them. */
  marketSymbols: csv
    .pipe(z.array(z.string().regex(/^[A-Z0-9]{1,20}-[A-Z0-9]{1,20}$/, 'a canonical symbol like BTC-USDT')))
    .default(['BTC-USDT', 'ETH-USDT', 'SOL-USDT', 'XRP-USDT', 'DOGE-USDT', 'ADA-USDT']),
  /** Ordered endpoint lists (WebSocket bases, failover in order) and REST bases; unset: the venue's real ones. */
  binanceWsUrls: csv.optional(),
  okxWsUrls: csv.optional(),
  bybitWsUrls: csv.optional(),
  binanceRestUrl: z.preprocess(emptyAsUndefined, z.url().optional()),
  okxRestUrl: z.preprocess(emptyAsUndefined, z.url().optional()),
  bybitRestUrl: z.preprocess(emptyAsUndefined, z.url().optional()),
  /**
   * Client heartbeat per venue (Binance pings the client itself): OKX sends `ping` after this much
   * silence (it cuts after 30 s), Bybit `{"op":"ping"}` this often (its docs ask for 20 s). Kept below
   * the feed's stale limit (OKX 25 s, Bybit 30 s), since the pong is what keeps a quiet socket fresh.
   */
  okxHeartbeatIntervalMs: z.coerce.number().int().min(1_000).max(20_000).default(20_000),
  bybitHeartbeatIntervalMs: z.coerce.number().int().min(1_000).max(25_000).default(20_000),
  /** Trades per second per symbol per venue of the in-process simulator (`marketSource: simulator`). */
  simulatorTradesPerSecond: z.coerce.number().min(0.1).max(1_000_000).default(4),
  /** How late (exchange time) a trade may arrive and still correct its candle. */
  klineLatenessMs: z.coerce.number().int().min(0).max(600_000).default(2_000),
  /** Sub-second candles are opt-in: they multiply the bus traffic. */
  klineSubSecond: bool.default(false),
  /** L2 order books of the followed symbols on every venue (`false`: trades and best bid/ask only). */
  marketDepth: bool.default(true),
  /** Levels per side kept, published on the bus and served by `market.depth` / `market.onDepth`. */
  marketDepthLevels: z.coerce.number().int().min(1).max(1000).default(20),
  /**
   * A synced book with no depth frame for this long is stale (dropped, served as `stale`, resynced). Bybit
   * sends no delta while nothing changes, so it stays well above a quiet market's silence.
   */
  marketDepthStaleMs: z.coerce.number().int().min(500).max(600_000).default(30_000),
  /**
   * Markets tenants may add to the live feeds at run time (`market.follow`) beyond MARKET_SYMBOLS, all
   * tenants together: each costs venue subscriptions, a candle series and a 24h window on this engine.
   */
  marketFollowMax: z.coerce.number().int().min(0).max(1_000).default(100),
  /**
   * Days of 1m candles backfilled for the followed symbols at start (what is missing only). Unset: 90 on
   * the simulator with the embedded database (a first `npm start`), otherwise 0 (off).
   */
  historyBootstrapDays: z.coerce.number().int().min(0).max(3_650).optional(),
  /**
   * Binance's public archive (monthly/daily zips of 1m klines with CHECKSUM files), the fast path of long
   * Binance candle backfills. Unset: https://data.binance.vision, or the simulator's copy with
   * `marketSource: simulator`; `off`: REST only.
   */
  binanceArchiveUrl: z.preprocess(emptyAsUndefined, z.union([z.literal('off'), z.url()]).optional()),
  tradeRetentionDays: z.coerce.number().int().min(1).default(30),
  klineRetentionDays: z.coerce.number().int().min(1).default(730),

  // Account emails (verification, password reset). No SMTP server set: an outbox folder
  // (`${dataDir}/outbox`, one .eml per message) and the link in the log.
  /** The dashboard's address as people reach it: base of the links in account emails. */
  webPublicUrl: z
    .url()
    .transform((u) => u.replace(/\/+$/, ''))
    .default('http://localhost:3000'),
  /** `smtp://user:pass@host:587` or `smtps://...:465`; takes precedence over the SMTP_HOST group. */
  smtpUrl: z.preprocess(emptyAsUndefined, z.string().optional()),
  smtpHost: z.preprocess(emptyAsUndefined, z.string().optional()),
  smtpPort: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(65_535).optional()),
  smtpUser: z.preprocess(emptyAsUndefined, z.string().optional()),
  smtpPass: z.preprocess(emptyAsUndefined, z.string().optional()),
  /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
  smtpSecure: bool.optional(),
  mailFrom: z.string().min(3).default('Quant-Trader <no-reply@localhost>'),
  /**
   * Print account-email links (their single-use tokens) in the log when there is no SMTP server. Unset:
   * only with the embedded database (one person on their own machine); elsewhere the outbox file alone.
   */
  mailLogLinks: z.preprocess(emptyAsUndefined, bool.optional()),
  /** Sign-ups allowed per client address per 10 minutes. */
  signUpLimitPerIp: z.coerce.number().int().min(1).default(5),
  /** Sign-ups allowed per minute across all addresses (per deployment when Redis is shared). */
  signUpLimitGlobal: z.coerce.number().int().min(1).default(100),
  /** Per-tier request budgets on every authenticated call (off only for tools and benchmarks' baselines). */
  rateLimits: bool.default(true),
  /** While Redis is unreachable, reads run at this fraction of the tier's budgets, per instance. */
  rateLimitFallbackFraction: z.coerce.number().gt(0).max(1).default(0.25),
  /**
   * Engine instances expected to share one Redis. While Redis is unreachable each instance serves reads
   * at `rateLimitFallbackFraction / engineInstances` of a tier's budget, so the sum over all instances
   * stays within the budget (it never multiplies by the number of instances).
   */
  engineInstances: z.coerce.number().int().min(1).max(1_000).default(1),
  /**
   * Redis commands that get no answer within this time fail (ioredis `commandTimeout`): a stalled Redis
   * then takes the same path as a down one (reads under the local fallback, auth and orders fail closed).
   */
  redisCommandTimeoutMs: z.coerce.number().int().min(50).max(10_000).default(300),
  /** How often metered usage is written to `usage_daily`. */
  usageFlushMs: z.coerce.number().int().min(100).max(600_000).default(5_000),
  /**
   * Alert webhooks: addresses or CIDRs the operator lets webhooks reach although the SSRF guard refuses
   * them (loopback, private, link-local, metadata...), e.g. "10.1.2.0/24". Empty: none.
   */
  alertWebhookAllow: csv
    .superRefine((entries, ctx) => {
      // Checked here, not at the first webhook: a typo ("127.0.0.1/" read as /0) must stop the start,
      // not silently open private and metadata addresses to every tenant's webhooks.
      for (const entry of entries) {
        try {
          parseCidr(entry);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: err instanceof Error ? err.message : String(err) });
        }
      }
    })
    .default([]),
  /** Ports an alert webhook may target. */
  alertWebhookPorts: z
    .preprocess(
      (v) =>
        typeof v === 'string'
          ? v
              .split(',')
              .map((p) => p.trim())
              .filter(Boolean)
          : v,
      z.array(z.coerce.number().int().min(1).max(65_535)).min(1),
    )
    .default([80, 443]),

  // Billing and the marketplace (see README "Billing"). No key: the bundled Stripe emulator, in process.
  /** `sk_test_...` (test mode) or `sk_live_...`/`rk_live_...` (live); unset: the Stripe emulator. */
  stripeSecretKey: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^(sk|rk)_(test|live)_\S+$/, 'a Stripe secret key (sk_test_..., sk_live_... or rk_...)')
      .optional(),
  ),
  /** The webhook endpoint's signing secret (`whsec_...`): required with STRIPE_SECRET_KEY. */
  stripeWebhookSecret: z.preprocess(emptyAsUndefined, z.string().min(8).optional()),
  /**
   * The Connect endpoint's signing secret (`whsec_...`, optional): Stripe signs the connected accounts'
   * events (account.updated) with the Connect endpoint's own secret, so both are accepted.
   */
  stripeConnectWebhookSecret: z.preprocess(emptyAsUndefined, z.string().min(8).optional()),
  /** The emulator's port when no key is set (0: a free port). */
  stripeEmulatorPort: z.coerce.number().int().min(0).max(65_535).default(12_111),
  stripeEmulatorHost: z.string().default('127.0.0.1'),
  /** Base of the emulator's hosted Checkout/portal pages as a browser reaches them (behind a proxy). */
  stripeEmulatorPublicUrl: z.preprocess(emptyAsUndefined, z.url().optional()),
  /** The platform's application fee on each paid listing invoice, percent. */
  marketplaceFeePercent: z.coerce.number().min(0).max(100).default(20),
  /** How often Stripe's subscriptions are compared with what the database holds (drift repaired). */
  billingReconcileMs: z.coerce.number().int().min(10_000).max(86_400_000).default(900_000),
  /** A listing's verification backtest covers at most this many days of stored candles. */
  marketplaceVerifyDays: z.coerce.number().int().min(1).max(3_650).default(30),
  /** Fewer stored candles than this in the window: the listing fails verification (BACKTEST_NO_DATA). */
  marketplaceVerifyMinCandles: z.coerce.number().int().min(1).max(10_000_000).default(100),
});

export type EngineConfig = z.infer<typeof configSchema>;

/** UPPER_SNAKE environment name of each setting. */
export const envNames: Record<keyof EngineConfig, string> = {
  host: 'ENGINE_HOST',
  port: 'ENGINE_PORT',
  databaseUrl: 'DATABASE_URL',
  natsUrl: 'NATS_URL',
  natsNamespace: 'NATS_NAMESPACE',
  redisUrl: 'REDIS_URL',
  redisKeyPrefix: 'REDIS_KEY_PREFIX',
  dataDir: 'DATA_DIR',
  embeddedPostgresPort: 'EMBEDDED_POSTGRES_PORT',
  sessionSecret: 'SESSION_SECRET',
  webOrigins: 'WEB_ORIGINS',
  trustedProxies: 'TRUSTED_PROXIES',
  logLevel: 'LOG_LEVEL',
  demoUser: 'DEMO_USER',
  instanceId: 'INSTANCE_ID',
  shutdownTimeoutMs: 'SHUTDOWN_TIMEOUT_MS',
  streamReplicas: 'STREAM_REPLICAS',
  streamMaxBytes: 'STREAM_MAX_BYTES',
  marketSource: 'MARKET_SOURCE',
  marketVenues: 'MARKET_VENUES',
  marketSymbols: 'MARKET_SYMBOLS',
  binanceWsUrls: 'BINANCE_WS_URLS',
  okxWsUrls: 'OKX_WS_URLS',
  bybitWsUrls: 'BYBIT_WS_URLS',
  binanceRestUrl: 'BINANCE_REST_URL',
  okxRestUrl: 'OKX_REST_URL',
  bybitRestUrl: 'BYBIT_REST_URL',
  okxHeartbeatIntervalMs: 'OKX_HEARTBEAT_INTERVAL_MS',
  bybitHeartbeatIntervalMs: 'BYBIT_HEARTBEAT_INTERVAL_MS',
  simulatorTradesPerSecond: 'SIMULATOR_TRADES_PER_SECOND',
  klineLatenessMs: 'KLINE_LATENESS_MS',
  klineSubSecond: 'KLINE_SUB_SECOND',
  marketDepth: 'MARKET_DEPTH',
  marketDepthLevels: 'MARKET_DEPTH_LEVELS',
  marketDepthStaleMs: 'MARKET_DEPTH_STALE_MS',
  marketFollowMax: 'MARKET_FOLLOW_MAX',
  historyBootstrapDays: 'HISTORY_BOOTSTRAP_DAYS',
  binanceArchiveUrl: 'BINANCE_ARCHIVE_URL',
  tradeRetentionDays: 'TRADE_RETENTION_DAYS',
  klineRetentionDays: 'KLINE_RETENTION_DAYS',
  webPublicUrl: 'WEB_PUBLIC_URL',
  smtpUrl: 'SMTP_URL',
  smtpHost: 'SMTP_HOST',
  smtpPort: 'SMTP_PORT',
  smtpUser: 'SMTP_USER',
  smtpPass: 'SMTP_PASS',
  smtpSecure: 'SMTP_SECURE',
  mailFrom: 'MAIL_FROM',
  mailLogLinks: 'MAIL_LOG_LINKS',
  signUpLimitPerIp: 'SIGNUP_LIMIT_PER_IP',
  signUpLimitGlobal: 'SIGNUP_LIMIT_GLOBAL',
  rateLimits: 'RATE_LIMITS',
  rateLimitFallbackFraction: 'RATE_LIMIT_FALLBACK_FRACTION',
  engineInstances: 'ENGINE_INSTANCES',
  redisCommandTimeoutMs: 'REDIS_COMMAND_TIMEOUT_MS',
  usageFlushMs: 'USAGE_FLUSH_MS',
  alertWebhookAllow: 'ALERT_WEBHOOK_ALLOW',
  alertWebhookPorts: 'ALERT_WEBHOOK_PORTS',
  stripeSecretKey: 'STRIPE_SECRET_KEY',
  stripeWebhookSecret: 'STRIPE_WEBHOOK_SECRET',
  stripeConnectWebhookSecret: 'STRIPE_CONNECT_WEBHOOK_SECRET',
  stripeEmulatorPort: 'STRIPE_EMULATOR_PORT',
  stripeEmulatorHost: 'STRIPE_EMULATOR_HOST',
  stripeEmulatorPublicUrl: 'STRIPE_EMULATOR_PUBLIC_URL',
  marketplaceFeePercent: 'MARKETPLACE_FEE_PERCENT',
  billingReconcileMs: 'BILLING_RECONCILE_MS',
  marketplaceVerifyDays: 'MARKETPLACE_VERIFY_DAYS',
  marketplaceVerifyMinCandles: 'MARKETPLACE_VERIFY_MIN_CANDLES',
};
