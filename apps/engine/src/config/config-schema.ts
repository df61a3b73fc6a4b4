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
};
