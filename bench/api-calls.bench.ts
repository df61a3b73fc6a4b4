/**
 * The engine's tRPC API over HTTP, against a bare `node:http` server in the same process.
 *
 *   npx tsx bench/api-calls.bench.ts
 *
 * A real engine (apps/engine/src/engine.ts) on a fresh, migrated database: DATABASE_URL's server when set
 * (a `qt_bench_*` database created here and dropped at the end), else the engine's embedded PostgreSQL
 * in a temp folder. REDIS_URL, when set, backs the credential rate limiter as in production. The load
 * generator runs in this process too, with the same keep-alive HTTP client for every case, so the
 * ratio is "how much slower than the cheapest possible HTTP answer", client cost included.
 *
 * Round trips per call are counted (deterministic, unlike the rates on a loaded host): Redis commands by
 * wrapping ioredis's `sendCommand`, PostgreSQL queries by wrapping pg's `Client.query`, both in this
 * process, while each case runs (background work, e.g. the WebSocket server's 4/s generation poll, is
 * included: a few per second, small against thousands of calls).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAccount, setTenantTier } from '@qt/api';
import { signSessionToken } from '@qt/api/session';
import { migrate, withClient, withDatabase } from '@qt/db';
import { liveClock } from '@qt/shared';
import { Redis } from 'ioredis';
import pg from 'pg';
import { pino } from 'pino';
import { loadConfig } from '../apps/engine/src/config/load-config.ts';
import { type Engine, startEngine } from '../apps/engine/src/engine.ts';
import {
  against,
  benchRounds,
  benchSeconds,
  type Case,
  closedLoop,
  interleaved,
  report,
  table,
  warmupFor,
} from './lib/measure.ts';

const CONCURRENCY = 16;
const SECONDS = benchSeconds(6);
const ROUNDS = benchRounds(2);

const log = (line: string) => process.stdout.write(`${line}\n`);

// Every Redis command and PostgreSQL query sent by this process, for round trips per call.
let redisCommands = 0;
let sqlQueries = 0;
const sendCommand = Redis.prototype.sendCommand;
Redis.prototype.sendCommand = function (this: Redis, ...args: Parameters<typeof sendCommand>) {
  redisCommands++;
  return sendCommand.apply(this, args);
};
const pgQuery = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  sqlQueries++;
  return (pgQuery as (...a: unknown[]) => unknown).apply(this, args);
} as typeof pgQuery;

interface Reply {
  status: number;
  body: string;
}

/** One keep-alive pool for every case: `CONCURRENCY` sockets, reused. */
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY, maxFreeSockets: CONCURRENCY });

function get(url: URL, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function post(url: URL, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** A tRPC v11 HTTP result body `{"result":{"data":...}}`, or an error naming the call. */
function dataOf<T>(what: string, r: Reply): T {
  if (r.status !== 200) throw new Error(`${what}: HTTP ${r.status} ${r.body.slice(0, 300)}`);
  return (JSON.parse(r.body) as { result: { data: T } }).result.data;
}

/** An op for closedLoop: one GET that must answer 200 (a 401 or 429 would silently measure the error path). */
function getOp(url: URL, headers: Record<string, string> = {}): () => Promise<void> {
  return async () => {
    const r = await get(url, headers);
    if (r.status !== 200) throw new Error(`GET ${url.pathname}: HTTP ${r.status} ${r.body.slice(0, 300)}`);
  };
}

async function main(): Promise<void> {
  const serverUrl = process.env.DATABASE_URL;
  const dataDir = mkdtempSync(join(tmpdir(), 'qt-bench-'));
  const dbName = `qt_bench_${randomBytes(4).toString('hex')}`;
  let dbUrl: string | undefined;
  if (serverUrl) {
    await withClient(serverUrl, (c) => c.query(`CREATE DATABASE "${dbName}"`));
    dbUrl = withDatabase(serverUrl, dbName);
    await migrate(dbUrl);
  } else {
    log('DATABASE_URL unset: the engine starts its embedded PostgreSQL in a temp folder');
    // As root, the embedded server runs as a `postgres` user that must reach `${dataDir}/postgres`;
    // mkdtemp's folder is 0700.
    if (process.getuid?.() === 0) chmodSync(dataDir, 0o755);
  }

  // The baseline: the cheapest HTTP answer this process can give, a tiny JSON of the same size as
  // system.version's.
  const bareBody = JSON.stringify({ result: { data: { version: '0.1.0', api: 1 } } });
  const bare = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(bareBody);
  });
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
  const bareUrl = new URL(`http://127.0.0.1:${(bare.address() as AddressInfo).port}/trpc/system.version`);

  let engine: Engine | undefined;
  try {
    const sessionSecret = randomBytes(32).toString('base64url');
    const config = loadConfig({
      env: {},
      file: undefined,
      overrides: {
        host: '127.0.0.1',
        port: 0,
        databaseUrl: dbUrl,
        // The API calls measured here do not touch the bus; the in-process one keeps NATS out of it.
        natsUrl: undefined,
        redisUrl: process.env.REDIS_URL,
        redisKeyPrefix: `qt-bench-${randomBytes(4).toString('hex')}`,
        dataDir,
        embeddedPostgresPort: 54_500 + Math.floor(Math.random() * 400),
        sessionSecret,
        demoUser: false,
        logLevel: 'silent',
        shutdownTimeoutMs: 5_000,
        // The bundled Stripe emulator on a free port (another engine on this host may hold 12111).
        stripeEmulatorPort: 0,
      },
    });
    const t0 = performance.now();
    engine = await startEngine({ config, logger: pino({ level: 'silent' }), clock: liveClock });
    log(`engine started in ${((performance.now() - t0) / 1000).toFixed(1)} s at ${engine.server.url}`);
    const trpc = (path: string) => new URL(`${engine?.server.url}/trpc/${path}`);

    // A person, their session token (as the web server would mint it), and an API key they created.
    const email = `bench-${randomBytes(4).toString('hex')}@example.test`;
    // Created verified, as the demo login is: sign-up itself now waits for an emailed link.
    const signed = await createAccount(
      engine.api,
      {
        email,
        password: `pw-${randomBytes(8).toString('hex')}`,
        name: 'bench',
      },
      { verifiedAt: new Date() },
    );
    // ENTERPRISE: its key budget (600,000 per minute) is never what is measured (a 429 fails the bench).
    await setTenantTier(engine.api, signed.tenant.id, 'ENTERPRISE');
    // Valid 15 min by default; a long run must not see it expire mid-way.
    const session = await signSessionToken(
      { userId: signed.user.id, tenantId: signed.tenant.id },
      sessionSecret,
      liveClock.now(),
      3_600,
    );
    const created = dataOf<{ secret: string }>(
      'apiKeys.create',
      await post(
        trpc('apiKeys.create'),
        { name: 'bench', scopes: ['read'] },
        { authorization: `Bearer ${session}` },
      ),
    );
    const viaKey = { authorization: `Bearer ${created.secret}` };
    const viaSession = { authorization: `Bearer ${session}` };
    // Sanity: each case answers what it should before it is timed.
    dataOf('system.version', await get(trpc('system.version')));
    const meKey = dataOf<{ via: string }>('accounts.me (key)', await get(trpc('accounts.me'), viaKey));
    const meSession = dataOf<{ via: string }>(
      'accounts.me (session)',
      await get(trpc('accounts.me'), viaSession),
    );
    if (meKey.via !== 'apiKey' || meSession.via !== 'session')
      throw new Error(`unexpected principals: ${meKey.via}, ${meSession.via}`);

    // Per case: calls made and the commands and queries sent meanwhile (warm-up included on both sides).
    const counted = new Map<string, { calls: number; redis: number; sql: number }>();
    const caseOf = (name: string, op: () => Promise<void>): Case => {
      const c = { calls: 0, redis: 0, sql: 0 };
      counted.set(name, c);
      const countedOp = async () => {
        await op();
        c.calls++;
      };
      return {
        name,
        async run(seconds, warmupSeconds) {
          const r0 = redisCommands;
          const q0 = sqlQueries;
          const result = await closedLoop(countedOp, { seconds, warmupSeconds, concurrency: CONCURRENCY });
          c.redis += redisCommands - r0;
          c.sql += sqlQueries - q0;
          return result;
        },
      };
    };
    // Public calls are limited per client address (300/min). The engine trusts X-Forwarded-For from
    // loopback (its default TRUSTED_PROXIES), so each call names a fresh loopback address: the limiter's
    // Redis call is still paid, its budget is not what is measured.
    let caller = 0;
    const versionUrl = trpc('system.version');
    const versionOp = async () => {
      const i = ++caller;
      const address = `127.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      await getOp(versionUrl, { 'x-forwarded-for': address })();
    };
    const cases: Case[] = [
      caseOf('bare node:http', getOp(bareUrl)),
      caseOf('system.version', versionOp),
      caseOf('accounts.me (API key)', getOp(trpc('accounts.me'), viaKey)),
      caseOf('accounts.me (session)', getOp(trpc('accounts.me'), viaSession)),
    ];
    log(
      `api-calls: ${CONCURRENCY} requests in flight, ${SECONDS} s per case in ${ROUNDS} interleaved rounds` +
        ` (postgres: ${serverUrl ? 'DATABASE_URL' : 'embedded'}, rate limiter: ${process.env.REDIS_URL ? 'redis' : 'memory'})`,
    );
    const measured = await interleaved(
      cases,
      { seconds: SECONDS, rounds: ROUNDS, warmupSeconds: warmupFor(SECONDS, ROUNDS) },
      log,
    );
    const [base, ...rest] = measured;
    if (!base) throw new Error('no baseline');
    const notes: Record<string, string> = {
      'bare node:http': 'tiny JSON from a bare node:http server in the same process',
      'system.version': 'tRPC public query: routing, middleware, output validation, address budget; no auth',
      'accounts.me (API key)': 'API key, credential cached: limiter script (reads the auth state too)',
      'accounts.me (session)':
        'session, credential cached: limiter script (reads the auth state too); the procedure reads the person',
    };
    const perCall = (name: string) => {
      const c = counted.get(name);
      if (!c || c.calls === 0) return '';
      return `Redis commands per call ${(c.redis / c.calls).toFixed(2)}, SQL queries per call ${(c.sql / c.calls).toFixed(2)}; `;
    };
    const results = [base, ...rest].map((c) =>
      against(c, base, 'req/s', `${perCall(c.name)}${notes[c.name] ?? ''}; ${CONCURRENCY} in flight`),
    );
    log('');
    log(table(results));
    for (const r of results)
      report({ ...r, bench: `api-calls: ${r.bench}`, baseline_name: `api-calls: ${r.baseline_name}` });
    for (const c of measured) c.histogram.destroy();
  } finally {
    agent.destroy();
    await engine?.stop();
    bare.closeAllConnections();
    await new Promise<void>((resolve) => bare.close(() => resolve()));
    if (serverUrl)
      await withClient(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(
    `api-calls bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  // Exit explicitly: a library's exit hook (embedded PostgreSQL) must not turn a failure into exit 0.
  process.exit(1);
});
