import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { type AppRouter, createAccount } from '@qt/api';
import { signSessionToken } from '@qt/api/session';
import { createTestDatabase } from '@qt/db/testing';
import { type Clock, liveClock, type SignedIn } from '@qt/shared';
import type { StripeEmulator } from '@qt/stripe-emulator';
import { createTRPCClient, createWSClient, httpLink, TRPCClientError, wsLink } from '@trpc/client';
import { pino } from 'pino';
import { WebSocket } from 'ws';
import { NatsBus } from '../../src/bus/nats/nats-bus.ts';
import type { EngineConfig } from '../../src/config/config-schema.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { type Engine, type EngineOptions, startEngine } from '../../src/engine.ts';

export interface TestEngine {
  engine: Engine;
  /** The engine's in-process Stripe emulator (on a free port; null only when a test set a Stripe key). */
  stripeEmulator: StripeEmulator | null;
  url: string;
  sessionSecret: string;
  /** A client sending `credential` (a session token or an API key) as the bearer. */
  client(
    credential?: string | null,
    headers?: Record<string, string>,
  ): ReturnType<typeof createTRPCClient<AppRouter>>;
  wsClient(credential?: string | null): {
    client: ReturnType<typeof createTRPCClient<AppRouter>>;
    close(): Promise<void>;
  };
  /**
   * A fresh verified person (unique email) with a session token, as after sign-up and the email link.
   * Created directly through the domain function the demo login uses (`createAccount`), so fixtures are
   * not subject to the sign-up throttles; the sign-up flow itself is tested through the API and email.
   */
  signUp(name?: string): Promise<SignedIn & { token: string; password: string }>;
  /** Where the engine writes account emails when no SMTP server is configured (the default here). */
  outboxDir: string;
  sessionToken(userId: string, tenantId: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * A real engine on a fresh database cloned from the migrated template, listening on a free port, using
 * real NATS and Redis when NATS_URL / REDIS_URL are set (CI sets both). Each engine gets its own Redis
 * key namespace so test files never share rate-limit counters.
 */
export async function startTestEngine(
  overrides: Partial<EngineConfig> = {},
  clock: Clock = liveClock,
  options: Pick<EngineOptions, 'stripeEmulator'> & {
    /** The URL the engine uses for its database (e.g. through a TCP proxy the test can cut). */
    databaseUrlVia?: (url: string) => string | Promise<string>;
  } = {},
): Promise<TestEngine> {
  const db = await createTestDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), 'qt-engine-'));
  const sessionSecret = randomBytes(32).toString('base64url');
  const config = loadConfig({
    env: {},
    file: undefined,
    overrides: {
      port: 0,
      databaseUrl: options.databaseUrlVia ? await options.databaseUrlVia(db.url) : db.url,
      natsUrl: process.env.NATS_URL,
      natsNamespace: `qt_test_${randomBytes(4).toString('hex')}`,
      streamMaxBytes: 32 * 1024 * 1024,
      redisUrl: process.env.REDIS_URL,
      redisKeyPrefix: `qt-test-${randomBytes(4).toString('hex')}`,
      dataDir,
      sessionSecret,
      demoUser: false,
      marketSource: 'off',
      logLevel: 'silent',
      shutdownTimeoutMs: 5_000,
      // Tests of other features fire bursts (40 concurrent deploys) that a FREE tier's request budget
      // would refuse; the limiter's own tests (test/limits/) turn it on.
      rateLimits: false,
      // The bundled Stripe emulator, in process, on a free port (12111 may be taken by another engine).
      stripeEmulatorPort: 0,
      ...overrides,
    },
  });
  const engine = await startEngine({
    config,
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    clock,
    ...(options.stripeEmulator ? { stripeEmulator: options.stripeEmulator } : {}),
  });
  const url = `${engine.server.url}/trpc`;

  const client: TestEngine['client'] = (credential, headers = {}) =>
    createTRPCClient<AppRouter>({
      links: [
        httpLink({
          url,
          headers: () => ({ ...headers, ...(credential ? { authorization: `Bearer ${credential}` } : {}) }),
        }),
      ],
    });

  const sessionToken = (userId: string, tenantId: string) =>
    signSessionToken({ userId, tenantId }, sessionSecret, clock.now());

  let n = 0;
  return {
    engine,
    stripeEmulator: engine.stripeEmulator,
    url,
    sessionSecret,
    client,
    sessionToken,
    outboxDir: join(dataDir, 'outbox'),
    wsClient(credential) {
      const ws = createWSClient({
        url: engine.server.wsUrl,
        connectionParams: credential ? { token: credential } : null,
        retryDelayMs: () => 50,
        // Node 20 has no global WebSocket; scripts on Node 20 pass `ws` the same way.
        WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
      });
      return {
        client: createTRPCClient<AppRouter>({ links: [wsLink({ client: ws })] }),
        close: () => ws.close(),
      };
    },
    async signUp(name = 'trader') {
      n += 1;
      const email = `${name}-${n}-${randomBytes(4).toString('hex')}@example.test`;
      const password = `pw-${randomBytes(8).toString('hex')}`;
      const { verifyToken: _, ...signed } = await createAccount(
        engine.api,
        { email, password, name },
        { verifiedAt: new Date(clock.now()) },
      );
      return { ...signed, password, token: await sessionToken(signed.user.id, signed.tenant.id) };
    },
    async stop() {
      // A test's streams live under its own namespace; remove them so the shared NATS server stays clean.
      // After the engine stopped: deleted first, its last publishes (flushed at shutdown) would wait for
      // acks from streams that no longer exist and stall the shutdown.
      const streams = engine.bus instanceof NatsBus ? engine.bus.streamNames : [];
      await engine.stop();
      if (streams.length > 0 && process.env.NATS_URL) await deleteStreams(process.env.NATS_URL, streams);
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function deleteStreams(url: string, names: readonly string[]): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    for (const name of names) await jsm.streams.delete(name).catch(() => false);
  } finally {
    await nc.close();
  }
}

/** The stable code a call failed with (`error.data.appCode`), for assertions. */
export async function appCodeOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (err) {
    if (err instanceof TRPCClientError) {
      return String((err.data as { appCode?: string } | undefined)?.appCode ?? err.data?.code ?? 'UNKNOWN');
    }
    throw err;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** The full error as a caller sees it, for comparing shapes. */
export async function errorShapeOf(call: Promise<unknown>): Promise<unknown> {
  try {
    await call;
  } catch (err) {
    if (err instanceof TRPCClientError) return { message: err.message, data: err.data, shape: err.shape };
    throw err;
  }
  throw new Error('expected the call to fail, but it succeeded');
}
