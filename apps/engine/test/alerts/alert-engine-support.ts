import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { type AppRouter, createAccount } from '@qt/api';
import { signSessionToken } from '@qt/api/session';
import { createTestDatabase, type TestDatabase } from '@qt/db/testing';
import { liveClock } from '@qt/shared';
import { createTRPCClient, createWSClient, httpLink, wsLink } from '@trpc/client';
import { pino } from 'pino';
import { WebSocket } from 'ws';
import { NatsBus } from '../../src/bus/nats/nats-bus.ts';
import type { EngineConfig } from '../../src/config/config-schema.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { type Engine, startEngine } from '../../src/engine.ts';

export type Client = ReturnType<typeof createTRPCClient<AppRouter>>;

/**
 * An engine that can be stopped and started again on the same database, data folder, NATS namespace and
 * instance id (so the second start finds the first one's snapshot, durable consumers and pending rows),
 * on the in-process simulator.
 */
export class RestartableEngine {
  readonly db: TestDatabase;
  readonly dataDir = mkdtempSync(join(tmpdir(), 'qt-alerts-'));
  readonly sessionSecret = randomBytes(32).toString('base64url');
  readonly namespace = `qt_test_${randomBytes(4).toString('hex')}`;
  engine: Engine | null = null;
  #streams: string[] = [];

  private constructor(
    db: TestDatabase,
    readonly overrides: Partial<EngineConfig>,
  ) {
    this.db = db;
  }

  static async create(overrides: Partial<EngineConfig> = {}): Promise<RestartableEngine> {
    return new RestartableEngine(await createTestDatabase(), overrides);
  }

  async start(): Promise<Engine> {
    const config = loadConfig({
      env: {},
      file: undefined,
      overrides: {
        port: 0,
        databaseUrl: this.db.url,
        natsUrl: process.env.NATS_URL,
        natsNamespace: this.namespace,
        streamMaxBytes: 32 * 1024 * 1024,
        redisUrl: process.env.REDIS_URL,
        redisKeyPrefix: `qt-test-${this.namespace}`,
        dataDir: this.dataDir,
        sessionSecret: this.sessionSecret,
        demoUser: false,
        instanceId: 'alerts-test',
        marketSource: 'simulator',
        marketVenues: ['binance'],
        marketSymbols: ['BTC-USDT'],
        simulatorTradesPerSecond: 20,
        logLevel: 'silent',
        shutdownTimeoutMs: 10_000,
        rateLimits: false,
        ...this.overrides,
      },
    });
    this.engine = await startEngine({
      config,
      logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
      clock: liveClock,
    });
    if (this.engine.bus instanceof NatsBus) this.#streams = [...this.engine.bus.streamNames];
    return this.engine;
  }

  get live(): Engine {
    if (!this.engine) throw new Error('engine not started');
    return this.engine;
  }

  async stop(): Promise<void> {
    await this.engine?.stop();
    this.engine = null;
  }

  client(token: string): Client {
    return createTRPCClient<AppRouter>({
      links: [
        httpLink({
          url: `${this.live.server.url}/trpc`,
          headers: () => ({ authorization: `Bearer ${token}` }),
        }),
      ],
    });
  }

  wsClient(token: string): { client: Client; close(): Promise<void> } {
    const ws = createWSClient({
      url: this.live.server.wsUrl,
      connectionParams: { token },
      retryDelayMs: () => 50,
      WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    });
    return {
      client: createTRPCClient<AppRouter>({ links: [wsLink({ client: ws })] }),
      close: () => ws.close(),
    };
  }

  /** A verified person with their own FREE tenant and a session token. */
  async signUp(name: string): Promise<{ email: string; tenantId: string; token: string }> {
    const email = `${name}-${randomBytes(4).toString('hex')}@example.test`;
    const signed = await createAccount(
      this.live.api,
      { email, password: `pw-${randomBytes(8).toString('hex')}`, name },
      { verifiedAt: new Date() },
    );
    const token = await signSessionToken(
      { userId: signed.user.id, tenantId: signed.tenant.id },
      this.sessionSecret,
      Date.now(),
    );
    return { email, tenantId: signed.tenant.id, token };
  }

  async dispose(): Promise<void> {
    await this.stop();
    if (this.#streams.length > 0 && process.env.NATS_URL) {
      const nc = await connect({ servers: process.env.NATS_URL });
      try {
        const jsm = await jetstreamManager(nc);
        for (const name of this.#streams) await jsm.streams.delete(name).catch(() => false);
      } finally {
        await nc.close();
      }
    }
    await this.db.drop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

export interface ReceivedHook {
  headers: IncomingMessage['headers'];
  body: string;
  answered: number;
}

/** A webhook receiver on loopback that records every request and answers with `status` (changeable). */
export async function startHookReceiver(): Promise<{
  port: number;
  url: string;
  received: ReceivedHook[];
  status: number;
  close(): Promise<void>;
}> {
  const state = { status: 200 };
  const received: ReceivedHook[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answered = state.status;
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), answered });
      res.writeHead(answered).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}/hook`,
    received,
    get status() {
      return state.status;
    },
    set status(s: number) {
      state.status = s;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Polls `check` until it returns a value that is not undefined (generous timeout: a loaded machine). */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
