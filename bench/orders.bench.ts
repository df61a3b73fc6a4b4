/**
 * Order placement over the engine's tRPC API, risk checks on, against a no-op procedure on the same server.
 *
 *   npx tsx bench/orders.bench.ts
 *
 * A real engine (apps/engine/src/engine.ts) on a fresh, migrated database, as in api-calls.bench.ts:
 * DATABASE_URL's server when set (a `qt_bench_*` database created here and dropped at the end), else the
 * embedded PostgreSQL in a temp folder; NATS_URL's server when set, else the in-process bus.
 *
 * Market data: MARKET_SOURCE=off, and the instrument and one trade at 50 000 are handed to the trading
 * service directly (as apps/engine/test/trading/trading-api.int.test.ts does), so the reference price is
 * fixed and no simulator competes for the CPU. Buys rest at 49 000 (2% below, inside the band).
 *
 * Risk limits: the tenant is set to ENTERPRISE in the database (`engine.api.db.tenant.update`) right after
 * sign-up, before the trading service first reads (and caches) it. `risk.updateLimits` cannot do this: the
 * order rate is a platform limit an override may lower but never raise above its tier (FREE: 2/s, 30/min).
 * Even ENTERPRISE allows 50/s and 1 500/min per account, so the load is spread round-robin over
 * ACCOUNTS (100, the ENTERPRISE cap) paper accounts; a RISK_ORDER_RATE answer fails the bench
 * rather than silently measuring the rejection path.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppRouter } from '@qt/api';
import { createAccount } from '@qt/api';
import { signSessionToken } from '@qt/api/session';
import { migrate, withClient, withDatabase } from '@qt/db';
import { type Instrument, liveClock, PLACE_MANY_MAX_ORDERS } from '@qt/shared';
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import { pino } from 'pino';
import { WebSocket } from 'ws';
import { loadConfig } from '../apps/engine/src/config/load-config.ts';
import { type Engine, startEngine } from '../apps/engine/src/engine.ts';
import {
  against,
  benchRounds,
  benchSeconds,
  type Case,
  closedLoop,
  interleaved,
  type LoadResult,
  latencyHistogram,
  report,
  table,
  warmupFor,
} from './lib/measure.ts';

const CONCURRENCY = 16;
const SECONDS = benchSeconds(10);
const ROUNDS = benchRounds(2);
// The ENTERPRISE plan holds at most 100 paper accounts (TIER_CAPS); the bench used 128 before caps existed.
const ACCOUNTS = 100;
/** The seed's floor: 1,000 orders/s at p99 < 10 ms. Offered at that rate, open loop. */
const FLOOR_RATE = 1_000;

const log = (line: string) => process.stdout.write(`${line}\n`);

type PlaceInput = Parameters<ReturnType<typeof createTRPCClient<AppRouter>>['orders']['place']['mutate']>[0];

const btc: Instrument = {
  venue: 'binance',
  symbol: 'BTC-USDT',
  venueSymbol: 'BTCUSDT',
  base: 'BTC',
  quote: 'USDT',
  tickSize: '0.01',
  lotSize: '0.0001',
  minNotional: '5',
  status: 'trading',
};

/**
 * Starts `op` at a fixed rate, whatever the answers' pace (an open loop), and records each call's latency
 * from the moment it was DUE, so a stall is charged to every call it delayed (no coordinated omission).
 * This is how "N orders/s at p99 < X" is meant: a closed loop's latency is only its own queueing.
 */
async function openLoop(
  op: () => Promise<void>,
  opts: { ratePerSecond: number; seconds: number; warmupSeconds: number },
): Promise<LoadResult> {
  const run = async (seconds: number, record: boolean) => {
    const histogram = latencyHistogram();
    const started = performance.now();
    const total = Math.floor(seconds * opts.ratePerSecond);
    const intervalMs = 1000 / opts.ratePerSecond;
    let issued = 0;
    let done = 0;
    const inFlight = new Set<Promise<void>>();
    while (issued < total) {
      const now = performance.now();
      const due = Math.min(total, Math.floor((now - started) / intervalMs) + 1);
      while (issued < due) {
        const dueAt = started + issued * intervalMs;
        const p: Promise<void> = op().then(() => {
          if (record) histogram.recordValue(Math.max(1, Math.round((performance.now() - dueAt) * 1000)));
          done++;
          inFlight.delete(p);
        });
        inFlight.add(p);
        issued++;
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    await Promise.all(inFlight);
    return { ops: done, seconds: (performance.now() - started) / 1000, histogram };
  };
  if (opts.warmupSeconds > 0) (await run(opts.warmupSeconds, false)).histogram.destroy();
  return run(opts.seconds, true);
}

interface Reply {
  status: number;
  body: string;
}

/** One keep-alive pool for every case: `CONCURRENCY` sockets, reused. */
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY, maxFreeSockets: CONCURRENCY });

function send(method: 'GET' | 'POST', url: URL, headers: Record<string, string>, body?: string) {
  return new Promise<Reply>((resolve, reject) => {
    const req = request(url, { method, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const get = (url: URL, headers: Record<string, string> = {}) => send('GET', url, headers);
const post = (url: URL, body: unknown, headers: Record<string, string> = {}) =>
  send('POST', url, { 'content-type': 'application/json', ...headers }, JSON.stringify(body));

/** A tRPC v11 HTTP result body `{"result":{"data":...}}`, or an error naming the call. */
function dataOf<T>(what: string, r: Reply): T {
  if (r.status !== 200) throw new Error(`${what}: HTTP ${r.status} ${r.body.slice(0, 300)}`);
  return (JSON.parse(r.body) as { result: { data: T } }).result.data;
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

  let engine: Engine | undefined;
  let closeWs = () => {};
  try {
    const sessionSecret = randomBytes(32).toString('base64url');
    const config = loadConfig({
      env: {},
      file: undefined,
      overrides: {
        host: '127.0.0.1',
        port: 0,
        databaseUrl: dbUrl,
        natsUrl: process.env.NATS_URL,
        redisUrl: process.env.REDIS_URL,
        redisKeyPrefix: `qt-bench-${randomBytes(4).toString('hex')}`,
        dataDir,
        embeddedPostgresPort: 54_500 + Math.floor(Math.random() * 400),
        sessionSecret,
        demoUser: false,
        marketSource: 'off',
        logLevel: 'silent',
        shutdownTimeoutMs: 5_000,
      },
    });
    const t0 = performance.now();
    engine = await startEngine({ config, logger: pino({ level: 'silent' }), clock: liveClock });
    log(`engine started in ${((performance.now() - t0) / 1000).toFixed(1)} s at ${engine.server.url}`);
    const trpc = (path: string) => new URL(`${engine?.server.url}/trpc/${path}`);

    // The market: one instrument, one last trade at 50 000 (the risk engine's reference price).
    const now = liveClock.now();
    engine.trading.service.setInstrument(btc);
    engine.trading.service.onTrade({
      venue: btc.venue,
      symbol: btc.symbol,
      venueSymbol: btc.venueSymbol,
      tradeId: 'bench-1',
      price: '50000',
      quantity: '0.01',
      takerSide: 'buy',
      exchangeTime: now,
      receiveTime: now,
    });

    // A person and their session token (as the web server would mint it).
    // Created verified, as the demo login is: sign-up itself now waits for an emailed link.
    const signed = await createAccount(
      engine.api,
      {
        email: `bench-${randomBytes(4).toString('hex')}@example.test`,
        password: `pw-${randomBytes(8).toString('hex')}`,
        name: 'bench',
      },
      { verifiedAt: new Date() },
    );
    // Before the trading service first reads the tenant (it caches it): see the header.
    await engine.api.db.tenant.update({ where: { id: signed.tenant.id }, data: { tier: 'ENTERPRISE' } });
    const session = await signSessionToken(
      { userId: signed.user.id, tenantId: signed.tenant.id },
      sessionSecret,
      liveClock.now(),
      3_600,
    );
    const auth = { authorization: `Bearer ${session}` };

    const tSetup = performance.now();
    const accounts: string[] = [];
    for (let i = 0; i < ACCOUNTS; i++) {
      const { id } = dataOf<{ id: string }>(
        'paperAccounts.create',
        await post(trpc('paperAccounts.create'), { name: `bench-${i}` }, auth),
      );
      dataOf(
        'paperAccounts.deposit',
        await post(trpc('paperAccounts.deposit'), { accountId: id, asset: 'USDT', amount: '1000000' }, auth),
      );
      accounts.push(id);
    }
    log(
      `${ACCOUNTS} paper accounts created and funded in ${((performance.now() - tSetup) / 1000).toFixed(1)} s`,
    );

    // Round-robin over the accounts: consecutive calls (and so the ones in flight) hit different
    // accounts, whose orders the service serialises, and each account stays under its order rate.
    let next = 0;
    const nextAccount = () => accounts[next++ % accounts.length] as string;
    const placeUrl = trpc('orders.place');
    const cancelUrl = trpc('orders.cancel');
    const versionUrl = trpc('system.version');
    const restingBuy = (accountId: string) => ({
      accountId,
      venue: 'binance',
      symbol: 'BTC-USDT',
      side: 'buy',
      type: 'limit',
      quantity: '0.001',
      price: '49000',
    });
    const place = async (accountId: string): Promise<string> => {
      const order = dataOf<{ id: string; status: string }>(
        'orders.place',
        await post(placeUrl, restingBuy(accountId), auth),
      );
      if (order.status !== 'new')
        throw new Error(`orders.place: expected a resting order, got ${order.status}`);
      return order.id;
    };
    // Public calls are limited per client address (300/min). The engine trusts X-Forwarded-For from
    // loopback (its default TRUSTED_PROXIES), so each call names a fresh loopback address: the limiter's
    // Redis call is still paid, its budget is not what is measured.
    let caller = 0;
    const freshAddress = () => {
      const i = ++caller;
      return `127.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    };
    const versionOp = async () => {
      dataOf('system.version', await get(versionUrl, { 'x-forwarded-for': freshAddress() }));
    };
    // The authenticated floor: credential (cached verification + generation check), rate-limit check,
    // and the user's row (one Prisma query), no trading.
    const meOp = async () => {
      dataOf('accounts.me', await get(trpc('accounts.me'), auth));
    };
    const placeOp = async () => {
      await place(nextAccount());
    };
    const placeCancelOp = async () => {
      const accountId = nextAccount();
      const orderId = await place(accountId);
      dataOf('orders.cancel', await post(cancelUrl, { accountId, orderId }, auth));
    };
    // Keeps each account well under its 1 000 open orders: cancel what rests, outside the timed loop.
    const cancelAll = async () => {
      for (const accountId of accounts)
        dataOf('orders.cancelAll', await post(trpc('orders.cancelAll'), { accountId }, auth));
    };

    // The WebSocket link a script uses (one connection, the session token in its connection params):
    // calls in flight share it.
    const wsClient = createWSClient({
      url: engine.server.wsUrl,
      connectionParams: { token: session },
      WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    });
    closeWs = () => wsClient.close();
    const ws = createTRPCClient<AppRouter>({ links: [wsLink({ client: wsClient })] });
    const placeWsOp = async () => {
      const order = await ws.orders.place.mutate(restingBuy(nextAccount()) as PlaceInput);
      if (order.status !== 'new') throw new Error(`orders.place (ws): got ${order.status}`);
    };
    // A batch for scripts: BATCH orders over BATCH accounts (one account's orders run one after the
    // other in the engine; different accounts' share commits). Throughput is counted in orders.
    const BATCH = Math.min(20, PLACE_MANY_MAX_ORDERS.ENTERPRISE);
    const placeManyUrl = trpc('orders.placeMany');
    const placeManyOp = async () => {
      const orders = Array.from({ length: BATCH }, () => restingBuy(nextAccount()));
      const out = dataOf<{ placed: number; refused: number; results: unknown[] }>(
        'orders.placeMany',
        await post(placeManyUrl, { orders }, auth),
      );
      if (out.refused > 0) throw new Error(`orders.placeMany: ${JSON.stringify(out.results).slice(0, 300)}`);
    };
    const placeManyWsOp = async () => {
      const orders = Array.from({ length: BATCH }, () => restingBuy(nextAccount()) as PlaceInput);
      const out = await ws.orders.placeMany.mutate({ orders });
      if (out.refused > 0)
        throw new Error(`orders.placeMany (ws): ${JSON.stringify(out.results).slice(0, 300)}`);
    };

    // Sanity: every case answers what it should before it is timed.
    await versionOp();
    await meOp();
    await placeCancelOp();
    await placeWsOp();
    await placeManyOp();
    await placeManyWsOp();
    await cancelAll();

    const loop = (op: () => Promise<void>) => (seconds: number, warmupSeconds: number) =>
      closedLoop(op, { seconds, warmupSeconds, concurrency: CONCURRENCY });
    const cases: Case[] = [
      { name: 'system.version', run: loop(versionOp) },
      { name: 'accounts.me (session)', run: loop(meOp) },
      {
        name: 'orders.place (resting limit)',
        run: async (seconds, warmupSeconds) => {
          await cancelAll();
          return loop(placeOp)(seconds, warmupSeconds);
        },
      },
      { name: 'orders.place + orders.cancel', run: loop(placeCancelOp) },
      {
        name: `orders.place at ${FLOOR_RATE}/s offered`,
        run: async (seconds, warmupSeconds) => {
          await cancelAll();
          return openLoop(placeOp, { ratePerSecond: FLOOR_RATE, seconds, warmupSeconds });
        },
      },
      {
        name: 'orders.place over WebSocket',
        run: async (seconds, warmupSeconds) => {
          await cancelAll();
          return loop(placeWsOp)(seconds, warmupSeconds);
        },
      },
      {
        // One op is a batch; the table's figure is converted to orders/s below.
        name: `orders.placeMany (${BATCH} per call)`,
        run: async (seconds, warmupSeconds) => {
          await cancelAll();
          return closedLoop(placeManyOp, { seconds, warmupSeconds, concurrency: 4 });
        },
      },
      {
        name: `orders.placeMany over WebSocket (${BATCH} per call)`,
        run: async (seconds, warmupSeconds) => {
          await cancelAll();
          return closedLoop(placeManyWsOp, { seconds, warmupSeconds, concurrency: 4 });
        },
      },
      {
        name: `orders.place over WebSocket at ${FLOOR_RATE}/s offered`,
        run: async (seconds, warmupSeconds) => {
          await cancelAll();
          // One WebSocket holds at most 64 calls in flight (ws-calls.ts): when the engine falls behind the
          // offered rate, the rest are refused with CALLS_IN_FLIGHT_LIMIT. Counted (and excluded from
          // the throughput), not a failure of the bench.
          let shed = 0;
          const result = await openLoop(
            () =>
              placeWsOp().catch((err: unknown) => {
                const code = (err as { data?: { appCode?: string } }).data?.appCode;
                if (code !== 'CALLS_IN_FLIGHT_LIMIT') throw err;
                shed++;
              }),
            { ratePerSecond: FLOOR_RATE, seconds, warmupSeconds },
          );
          if (shed > 0) log(`  (ws open loop: ${shed} calls refused with CALLS_IN_FLIGHT_LIMIT)`);
          return { ...result, ops: result.ops - shed };
        },
      },
    ];
    log(
      `orders: ${CONCURRENCY} requests in flight over ${ACCOUNTS} accounts, ${SECONDS} s per case in ${ROUNDS}` +
        ` interleaved rounds (postgres: ${serverUrl ? 'DATABASE_URL' : 'embedded'}, bus: ${process.env.NATS_URL ? 'NATS' : 'in-process'},` +
        ` rate limiter: ${process.env.REDIS_URL ? 'redis' : 'memory'}, tier: ENTERPRISE)`,
    );
    const measured = await interleaved(
      cases,
      { seconds: SECONDS, rounds: ROUNDS, warmupSeconds: warmupFor(SECONDS, ROUNDS) },
      log,
    );
    await cancelAll();
    // A placeMany op is a batch: count its orders (latency stays per call).
    for (const c of measured) {
      if (!c.name.startsWith('orders.placeMany')) continue;
      c.ops *= BATCH;
      c.throughput *= BATCH;
      c.perRound = c.perRound.map((r) => r * BATCH);
    }
    const [base, ...rest] = measured;
    if (!base) throw new Error('no baseline');
    const notes: Record<string, string> = {
      'system.version': 'tRPC public query on the engine server: no auth, no database',
      'accounts.me (session)':
        'reference: the authenticated floor (cached session verification, limiter + generation reads in Redis, 1 Prisma query for the user)',
      'orders.place (resting limit)':
        'session auth (cached), risk check, ledger lock, matcher (rests), 1 SQL statement; buy 0.001 @ 49000 vs last 50000',
      'orders.place + orders.cancel':
        'one op = place then cancel of the same order (2 HTTP calls, 2 DB statements); throughput in pairs/s',
      [`orders.place at ${FLOOR_RATE}/s offered`]:
        "the seed floor (1,000 orders/s at p99 < 10 ms): open loop, latency from each call's due time",
      'orders.place over WebSocket':
        "one WebSocket (tRPC wsLink, session token in the connection params), as a script's client",
      [`orders.placeMany (${BATCH} per call)`]: `4 calls in flight, ${BATCH} orders over ${BATCH} accounts each; throughput in orders/s, latency per call`,
      [`orders.placeMany over WebSocket (${BATCH} per call)`]: `4 calls in flight on one WebSocket, ${BATCH} orders each; throughput in orders/s, latency per call`,
      [`orders.place over WebSocket at ${FLOOR_RATE}/s offered`]:
        "the seed floor over the WebSocket link: open loop, latency from each call's due time",
    };
    const units: Record<string, string> = {
      'system.version': 'req/s',
      'accounts.me (session)': 'req/s',
      'orders.place (resting limit)': 'orders/s',
      'orders.place + orders.cancel': 'pairs/s',
      [`orders.place at ${FLOOR_RATE}/s offered`]: 'orders/s',
      'orders.place over WebSocket': 'orders/s',
      [`orders.placeMany (${BATCH} per call)`]: 'orders/s',
      [`orders.placeMany over WebSocket (${BATCH} per call)`]: 'orders/s',
      [`orders.place over WebSocket at ${FLOOR_RATE}/s offered`]: 'orders/s',
    };
    const results = [base, ...rest].map((c) =>
      against(
        c,
        base,
        units[c.name] ?? 'ops/s',
        `${notes[c.name] ?? ''}; ${c.name.endsWith('offered') ? 'open loop' : `${CONCURRENCY} in flight`} over ${ACCOUNTS} accounts`,
      ),
    );
    log('');
    log(table(results));
    for (const r of results)
      report({ ...r, bench: `orders: ${r.bench}`, baseline_name: `orders: ${r.baseline_name}` });
    for (const c of measured) c.histogram.destroy();
  } finally {
    agent.destroy();
    closeWs();
    await engine?.stop();
    if (serverUrl)
      await withClient(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(
    `orders bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  // Exit explicitly: a library's exit hook (embedded PostgreSQL) must not turn a failure into exit 0.
  process.exit(1);
});
