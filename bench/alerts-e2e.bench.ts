/**
 * Alerts end to end (issue 12): the engine's AlertService on the in-process bus and a fresh PostgreSQL
 * database (DATABASE_URL's server, a `qt_bench_*` database created here and dropped at the end), with
 * ALERTS active alerts over SYMBOLS symbols inserted in bulk (createMany, not the API), fed trades on
 * `market.trades.<venue>.<symbol>` at a fixed offered rate (RATE trades/s, 10 trades per message, the
 * symbols round-robin, each a seeded random walk of 1 bp steps so levels are crossed now and then).
 *
 *   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test npx tsx bench/alerts-e2e.bench.ts
 *   (BENCH_SECONDS=10 per case; BENCH_SMOKE=1 for 1,000 alerts over 10 symbols)
 *
 * Cases, each measured for BENCH_SECONDS after a warm-up:
 *  - `alerts.e2e.no-alerts` (baseline): the same service and stream with no alert;
 *  - `alerts.e2e`: with the alerts. Throughput = trades a plain durable consumer of the same stream
 *    received per second (the ingest the engine keeps); ratio = that / the baseline's.
 *  - `alerts.e2e.in-app`: trade publish -> the firing on the tenant's live stream (`firings()`), p50/p99;
 *  - `alerts.e2e.webhook`: trade publish -> the loopback receiver (allow-listed) got the POST, p50/p99.
 * Alerts: per symbol, price `crosses` levels spread over +-1% of the start price, trigger `every` with a
 * 60 s cooldown, spread over 100 ENTERPRISE tenants; 1 alert in 1,000 also has a webhook channel.
 * Latency is measured from a per-trade publish timestamp (performance.now()) found by the trade id the
 * firing id carries (`<alertId>:t:<tradeId>`).
 */
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseAlertRule, parseDeliveryConfig } from '@qt/alerts';
import { createPrisma, migrate, withClient, withDatabase } from '@qt/db';
import { liveClock, type MessageBus, streamNames, type TradeBatch, topics } from '@qt/shared';
import type { Histogram } from 'hdr-histogram-js';
import { pino } from 'pino';
import { AlertService } from '../apps/engine/src/alerts/alert-service.ts';
import { InProcessBus } from '../apps/engine/src/bus/in-process-bus.ts';
import { streamSpecs } from '../apps/engine/src/bus/streams.ts';
import { type BenchResult, benchSeconds, fmtRate, latencyHistogram, report, table } from './lib/measure.ts';

const log = (line: string) => process.stdout.write(`${line}\n`);
/** Bench knobs from the environment (not build inputs, so not declared to turbo). */
const setting = (name: string): string | undefined => process.env[name];
const SMOKE = setting('BENCH_SMOKE') === '1';
const SECONDS = benchSeconds(10);
const SYMBOLS = SMOKE ? 10 : 1_000;
const ALERTS = SMOKE ? 1_000 : 100_000;
const RATE = SMOKE ? 5_000 : 50_000;
const TENANTS = 100;
const PER_MSG = 10;
const TICK_MS = 2;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const symbolOf = (i: number) => `S${i}-USDT`;
const START = 100;

interface CaseResult {
  ingest: number;
  inApp: Histogram;
  webhook: Histogram;
  firings: number;
  snapshots: number;
  commits: number;
  stats: Record<string, number>;
}

async function runCase(dbUrl: string, withAlerts: boolean, hookUrl: string, hookHits: Float64Array[]) {
  const logger = pino({ level: setting('BENCH_LOG') ?? 'silent' });
  const db = createPrisma(dbUrl);
  const bus: MessageBus = new InProcessBus({ streams: streamSpecs, clock: liveClock, logger });
  const rnd = mulberry32(11);
  const tenants: string[] = [];
  for (let t = 0; t < TENANTS; t++)
    tenants.push((await db.tenant.create({ data: { name: `bench-${t}`, tier: 'ENTERPRISE' } })).id);
  if (withAlerts) {
    const rows = [];
    for (let k = 0; k < ALERTS; k++) {
      const s = k % SYMBOLS;
      const value = (START * (0.99 + 0.02 * rnd())).toFixed(4);
      const rule = parseAlertRule({
        id: '00000000-0000-4000-8000-000000000000',
        tenantId: tenants[k % TENANTS],
        name: `a${k}`,
        venue: 'binance',
        symbol: symbolOf(s),
        condition: { kind: 'price', op: 'crosses', value },
        trigger: { mode: 'every', cooldownMs: 60_000 },
      });
      const { id: _i, tenantId: _t, name: _n, ...stored } = rule;
      rows.push({
        tenantId: tenants[k % TENANTS] as string,
        name: `a${k}`,
        rule: JSON.parse(JSON.stringify(stored)) as object,
        channels: k % 1_000 === 0 ? [{ kind: 'webhook', id: 'w', url: hookUrl, secret: 'x'.repeat(32) }] : [],
      });
    }
    for (let i = 0; i < rows.length; i += 5_000)
      await db.alert.createMany({ data: rows.slice(i, i + 5_000) });
  }
  const service = new AlertService({
    db,
    bus,
    clock: liveClock,
    logger,
    evaluatorId: `bench-${randomBytes(3).toString('hex')}`,
    delivery: parseDeliveryConfig({ allow: ['127.0.0.1/32'], allowedPorts: [Number(new URL(hookUrl).port)] }),
  });
  const loadStart = performance.now();
  await service.start();
  log(
    `  started with ${withAlerts ? ALERTS : 0} alerts in ${((performance.now() - loadStart) / 1000).toFixed(1)} s`,
  );

  const sentAt = new Float64Array(Math.ceil(RATE * (SECONDS + 4)) + 10_000);
  hookHits[0] = sentAt;
  let measuring = false;
  const inApp = latencyHistogram();
  const webhook = latencyHistogram();
  const abort = new AbortController();
  // One listener per tenant's live stream.
  setMaxListeners(TENANTS + 10, abort.signal);
  for (const tenantId of tenants) {
    void (async () => {
      for await (const f of service.firings({ tenantId, tier: 'ENTERPRISE' } as never, abort.signal)) {
        const n = Number(f.id.slice(f.id.lastIndexOf(':') + 1));
        if (measuring && sentAt[n])
          inApp.recordValue(Math.max(1, Math.round((performance.now() - (sentAt[n] as number)) * 1000)));
      }
    })().catch(() => undefined);
  }
  let received = 0;
  const counter = await bus.consumeBatch(
    topics.marketTrades,
    {
      durable: 'bench-ingest',
      stream: streamNames.marketTrades,
      filterSubject: 'market.trades.>',
      deliver: 'new',
      ackWaitMs: 30_000,
      maxDeliver: -1,
      maxAckPending: 1_000,
    },
    { maxMessages: 1_000, maxWaitMs: 5 },
    (msgs) => {
      if (measuring) for (const m of msgs) received += m.data.trades.length;
    },
  );
  hookHits[1] = new Float64Array(0);
  (globalThis as { __hook?: (n: number) => void }).__hook = (n) => {
    if (measuring && sentAt[n])
      webhook.recordValue(Math.max(1, Math.round((performance.now() - (sentAt[n] as number)) * 1000)));
  };

  // Fixed offered rate: each tick publishes what is due since the start (catching up after a slow tick).
  const prices = Array.from({ length: SYMBOLS }, () => START);
  let next = 1;
  let sym = 0;
  const t0 = performance.now();
  const warm = 3;
  const end = t0 + (warm + SECONDS) * 1000;
  let measureStart = 0;
  while (performance.now() < end) {
    const now = performance.now();
    if (!measuring && now - t0 >= warm * 1000) {
      measuring = true;
      measureStart = now;
    }
    const due = Math.floor(((now - t0) / 1000) * RATE);
    const pubs: Promise<unknown>[] = [];
    while (next <= due && next < sentAt.length - PER_MSG) {
      const s = sym++ % SYMBOLS;
      const trades: TradeBatch['trades'] = [];
      for (let i = 0; i < PER_MSG; i++) {
        prices[s] = (prices[s] as number) * (1 + (rnd() < 0.5 ? -1e-4 : 1e-4));
        sentAt[next] = now;
        trades.push({
          venue: 'binance',
          symbol: symbolOf(s),
          venueSymbol: symbolOf(s).replace('-', ''),
          tradeId: String(next++),
          price: (prices[s] as number).toFixed(4),
          quantity: '0.01',
          takerSide: 'buy',
          exchangeTime: Date.now(),
          receiveTime: Date.now(),
        });
      }
      pubs.push(
        bus.publish(topics.marketTrades, `market.trades.binance.${symbolOf(s)}`, {
          venue: 'binance',
          symbol: symbolOf(s),
          trades,
        }),
      );
    }
    await Promise.all(pubs);
    await new Promise((r) => setTimeout(r, TICK_MS));
  }
  const seconds = (performance.now() - measureStart) / 1000;
  measuring = false;
  const ingest = received / seconds;
  const stats = { ...service.stats };
  abort.abort();
  await counter.unsubscribe();
  await service.stop();
  await bus.close();
  await db.$disconnect();
  return {
    ingest,
    inApp,
    webhook,
    firings: stats.firings,
    snapshots: stats.snapshots,
    commits: stats.committed,
    stats,
  } satisfies CaseResult;
}

async function main(): Promise<void> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl)
    throw new Error('set DATABASE_URL (a PostgreSQL server where a bench database may be created)');
  const hookHits: Float64Array[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      const m = /:t:(\d+)/.exec(body);
      if (m) (globalThis as { __hook?: (n: number) => void }).__hook?.(Number(m[1]));
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  const results: BenchResult[] = [];
  const cases: [boolean, string][] = [
    [false, 'no-alerts'],
    [true, 'alerts'],
  ];
  const out = new Map<string, CaseResult>();
  for (const [withAlerts, label] of cases) {
    const dbName = `qt_bench_${randomBytes(4).toString('hex')}`;
    await withClient(serverUrl, (c) => c.query(`CREATE DATABASE "${dbName}"`));
    const dbUrl = withDatabase(serverUrl, dbName);
    try {
      await migrate(dbUrl);
      log(`case ${label}: ${fmtRate(RATE)} trades/s offered over ${SYMBOLS} symbols for ${SECONDS} s`);
      out.set(label, await runCase(dbUrl, withAlerts, hookUrl, hookHits));
    } finally {
      await withClient(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`));
    }
  }
  server.close();
  const base = out.get('no-alerts') as CaseResult;
  const withA = out.get('alerts') as CaseResult;
  const us = (h: Histogram, p: number) => (h.totalCount > 0 ? h.getValueAtPercentile(p) : 0);
  const notes = `${ALERTS} alerts / ${SYMBOLS} symbols, ${RATE}/s offered; firings ${withA.firings}, commits ${withA.commits}, snapshots ${withA.snapshots}`;
  results.push(
    {
      bench: 'alerts.e2e.no-alerts',
      throughput: base.ingest,
      unit: 'trades/s',
      p50_us: 0,
      p99_us: 0,
      baseline: base.ingest,
      baseline_name: 'alerts.e2e.no-alerts',
      ratio: 1,
    },
    {
      bench: 'alerts.e2e',
      throughput: withA.ingest,
      unit: 'trades/s',
      p50_us: 0,
      p99_us: 0,
      baseline: base.ingest,
      baseline_name: 'alerts.e2e.no-alerts',
      ratio: withA.ingest / base.ingest,
      notes,
    },
    {
      bench: 'alerts.e2e.in-app',
      throughput: withA.inApp.totalCount / SECONDS,
      unit: 'firings/s',
      p50_us: us(withA.inApp, 50),
      p99_us: us(withA.inApp, 99),
      baseline: base.ingest,
      baseline_name: 'alerts.e2e.no-alerts',
      ratio: withA.ingest / base.ingest,
      notes: 'trade publish -> firings() live stream',
    },
    {
      bench: 'alerts.e2e.webhook',
      throughput: withA.webhook.totalCount / SECONDS,
      unit: 'posts/s',
      p50_us: us(withA.webhook, 50),
      p99_us: us(withA.webhook, 99),
      baseline: base.ingest,
      baseline_name: 'alerts.e2e.no-alerts',
      ratio: withA.ingest / base.ingest,
      notes: 'trade publish -> loopback receiver got the POST',
    },
  );
  const st = withA.stats;
  log(
    `  alert consumer: eval ${Math.round(st.evalMs ?? 0)} ms, commits ${Math.round(st.commitMs ?? 0)} ms ` +
      `(slowest ${Math.round(st.commitMaxMs ?? 0)} ms), state captured ${Math.round(st.snapshotMs ?? 0)} ms, ` +
      `${st.committed ?? 0} batches committed in ${st.commitTransactions ?? st.committed ?? 0} transactions, ` +
      `${st.commitFailures ?? 0} failed`,
  );
  for (const r of results) report(r);
  log(table(results));
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
