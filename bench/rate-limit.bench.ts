/**
 * The per-tier request limiter on every call: the same procedure on two engines in this process, one with
 * the limiter and one without, against the same database and Redis, interleaved in rounds.
 *
 *   npx tsx bench/rate-limit.bench.ts
 *
 * Procedure: `accounts.me` with an API key of an ENTERPRISE tenant (600,000 per minute per key, 256
 * calls at once: never refused here; a 429 fails the bench rather than measuring the refusal path).
 * REDIS_URL's server when set (the limiter's shared buckets: one Lua script call per request), else the
 * buckets are in memory. Redis round trips are counted by wrapping ioredis's `sendCommand` in this
 * process: commands sent while a case ran, divided by its requests. With a warm credential each call makes
 * ONE command either way: without the limiter, authentication reads the address's attempt count and the
 * credential generation in one script call; with it, the limiter's script charges the buckets and reads
 * both (the WebSocket servers' 4/s generation poll adds a few hundredths per call).
 *
 * DATABASE_URL's server when set (a `qt_bench_*` database created here and dropped at the end), else the
 * embedded PostgreSQL in a temp folder.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAccount, setTenantTier } from '@qt/api';
import { signSessionToken } from '@qt/api/session';
import { migrate, withClient, withDatabase } from '@qt/db';
import { liveClock } from '@qt/shared';
import { Redis } from 'ioredis';
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
const SECONDS = benchSeconds(10);
const ROUNDS = benchRounds(4);

const log = (line: string) => process.stdout.write(`${line}\n`);

// Every Redis command sent by any ioredis client in this process (both engines), for round trips per call.
let redisCommands = 0;
const sendCommand = Redis.prototype.sendCommand;
Redis.prototype.sendCommand = function (this: Redis, ...args: Parameters<typeof sendCommand>) {
  redisCommands++;
  return sendCommand.apply(this, args);
};

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY * 2, maxFreeSockets: CONCURRENCY * 2 });

interface Reply {
  status: number;
  body: string;
}

function call(
  url: URL,
  method: 'GET' | 'POST',
  headers: Record<string, string>,
  body?: unknown,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method, agent, headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
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
    if (process.getuid?.() === 0) chmodSync(dataDir, 0o755);
  }

  const engines: Engine[] = [];
  try {
    const sessionSecret = randomBytes(32).toString('base64url');
    const prefix = `qt-bench-${randomBytes(4).toString('hex')}`;
    const start = async (rateLimits: boolean, sub: string) => {
      const config = loadConfig({
        env: {},
        file: undefined,
        overrides: {
          host: '127.0.0.1',
          port: 0,
          databaseUrl: dbUrl,
          natsUrl: undefined,
          redisUrl: process.env.REDIS_URL,
          redisKeyPrefix: prefix,
          dataDir: join(dataDir, sub),
          embeddedPostgresPort: 54_500 + Math.floor(Math.random() * 400),
          sessionSecret,
          demoUser: false,
          logLevel: 'silent',
          shutdownTimeoutMs: 5_000,
          // The bundled Stripe emulator on a free port (another engine on this host may hold 12111).
          stripeEmulatorPort: 0,
          marketSource: 'off',
          rateLimits,
        },
      });
      const e = await startEngine({ config, logger: pino({ level: 'silent' }), clock: liveClock });
      engines.push(e);
      return e;
    };
    const plain = await start(false, 'a');
    // The second engine shares the first one's database (embedded: the first one's URL).
    dbUrl ??= plain.databaseUrl;
    const limited = await start(true, 'b');

    const signed = await createAccount(
      plain.api,
      {
        email: `bench-${randomBytes(4).toString('hex')}@example.test`,
        password: `pw-${randomBytes(8).toString('hex')}`,
        name: 'bench',
      },
      { verifiedAt: new Date() },
    );
    await setTenantTier(limited.api, signed.tenant.id, 'ENTERPRISE');
    const session = await signSessionToken(
      { userId: signed.user.id, tenantId: signed.tenant.id },
      sessionSecret,
      liveClock.now(),
      3_600,
    );
    const created = await call(
      new URL(`${plain.server.url}/trpc/apiKeys.create`),
      'POST',
      { authorization: `Bearer ${session}` },
      {
        name: 'bench',
        scopes: ['read'],
      },
    );
    if (created.status !== 200) throw new Error(`apiKeys.create: ${created.status} ${created.body}`);
    const secret = (JSON.parse(created.body) as { result: { data: { secret: string } } }).result.data.secret;
    const auth = { authorization: `Bearer ${secret}` };

    const counts = new Map<string, { requests: number; commands: number }>();
    const caseOf = (name: string, engine: Engine): Case => {
      const url = new URL(`${engine.server.url}/trpc/accounts.me`);
      const c = { requests: 0, commands: 0 };
      counts.set(name, c);
      const op = async () => {
        const r = await call(url, 'GET', auth);
        if (r.status !== 200) throw new Error(`${name}: HTTP ${r.status} ${r.body.slice(0, 300)}`);
        c.requests++;
      };
      return {
        name,
        async run(seconds, warmupSeconds) {
          const before = redisCommands;
          const result = await closedLoop(op, { seconds, warmupSeconds, concurrency: CONCURRENCY });
          c.commands += redisCommands - before;
          return result;
        },
      };
    };
    const cases = [caseOf('accounts.me without limiter', plain), caseOf('accounts.me with limiter', limited)];
    log(
      `rate-limit: ${CONCURRENCY} requests in flight, ${SECONDS} s per case in ${ROUNDS} interleaved rounds` +
        ` (postgres: ${serverUrl ? 'DATABASE_URL' : 'embedded'}, buckets: ${process.env.REDIS_URL ? 'redis' : 'memory'})`,
    );
    const measured = await interleaved(
      cases,
      { seconds: SECONDS, rounds: ROUNDS, warmupSeconds: warmupFor(SECONDS, ROUNDS) },
      log,
    );
    const [base, withLimiter] = measured;
    if (!base || !withLimiter) throw new Error('no cases measured');
    const perCall = (name: string) => {
      const c = counts.get(name);
      return c && c.requests > 0 ? c.commands / c.requests : 0;
    };
    const scriptCalls = limited.api.requestLimiter?.redisCalls ?? 0;
    const limitedRequests = counts.get(withLimiter.name)?.requests ?? 0;
    const results = [
      against(
        base,
        base,
        'req/s',
        `Redis commands per call ${perCall(base.name).toFixed(2)}; ${CONCURRENCY} in flight`,
      ),
      against(
        withLimiter,
        base,
        'req/s',
        `Redis commands per call ${perCall(withLimiter.name).toFixed(2)} (limiter script calls per call ${(scriptCalls / Math.max(1, limitedRequests)).toFixed(2)}); ${CONCURRENCY} in flight`,
      ),
    ];
    log('');
    log(table(results));
    for (const r of results)
      report({ ...r, bench: `rate-limit: ${r.bench}`, baseline_name: `rate-limit: ${r.baseline_name}` });
    for (const c of measured) c.histogram.destroy();
  } finally {
    agent.destroy();
    for (const e of engines.reverse()) await e.stop();
    if (serverUrl)
      await withClient(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(
    `rate-limit bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
