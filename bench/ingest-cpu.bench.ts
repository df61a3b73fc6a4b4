/**
 * CPU per ingested trade: the engine's ingest path against a bare `ws` client on the same feed, in one
 * run, each in its own process measured with its own process.cpuUsage().
 *
 *   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test NATS_URL=nats://127.0.0.1:4222 \
 *     npx tsx bench/ingest-cpu.bench.ts        (BENCH_SECONDS=20 measured by default, after a warm-up)
 *
 * The simulator (@qt/exchange-sim, its own process, epoch-millisecond clock) plays Binance with 12
 * symbols at CPU_RATE trades/s in total (default 11,000: the live Binance load the goal was set on).
 * At the same time, on the same simulator:
 *  - bare ws: one socket with the feed's subscriptions (combined `@trade` streams), frames counted
 *    without decoding (the floor of receiving them);
 *  - bare ws + JSON.parse: the same, parsing every frame (what the least a client that reads trades does);
 *  - engine (NATS JetStream; and the in-process bus): connector -> TradePublisher -> bus -> candles for
 *    every interval (1s..1d) -> trade and candle persisters (PostgreSQL, a scratch database on
 *    DATABASE_URL's server) - see bench/lib/ingest-cpu-child.ts.
 * The measured window starts and ends quiet (feed paused, every engine has stored all it received), so
 * each process's CPU covers exactly its trades even when a busy machine leaves it behind.
 * Reported: CPU microseconds per trade of each process, and engine / bare multiples (goal <= 2x; the
 * BENCH line's ratio is the inverse, bare / engine, so higher is better as elsewhere: goal >= 0.5). The NATS
 * server's and PostgreSQL's own CPU are not in the engine's figure; the NATS server's is shown beside it
 * (read from /proc, a shared server: other clients' load is included).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { maintainPartitions, migrate, withClient, withDatabase } from '@qt/db';
import { liveClock } from '@qt/shared';
import pg from 'pg';
import type { ChildRole, ChildStats } from './lib/ingest-cpu-child.ts';
import { benchSeconds, report } from './lib/measure.ts';

const SECONDS = benchSeconds(20);
const WARMUP_SECONDS = Math.min(10, Math.max(3, SECONDS / 4));
/** Bench knobs from the environment (not build inputs, so not declared to turbo). */
const setting = (name: string): string | undefined => process.env[name];
const RATE = Number(setting('CPU_RATE') ?? 11_000);
const SYMBOLS = [
  'BTC-USDT',
  'ETH-USDT',
  'SOL-USDT',
  'XRP-USDT',
  'BNB-USDT',
  'DOGE-USDT',
  'ADA-USDT',
  'TRX-USDT',
  'AVAX-USDT',
  'LINK-USDT',
  'DOT-USDT',
  'LTC-USDT',
];
const profDir = setting('CPU_PROF_DIR');
const here = dirname(fileURLToPath(import.meta.url));
const log = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Child {
  name: string;
  ready: Record<string, unknown>;
  stats(): Promise<ChildStats>;
  setRate(tradesPerSecond: number): Promise<void>;
  stop(): Promise<void>;
}

async function startChild(
  name: string,
  role: ChildRole,
  script = join(here, 'lib', 'ingest-cpu-child.ts'),
): Promise<Child> {
  const child: ChildProcess = fork(script, [JSON.stringify(role)], {
    cwd: join(here, '..'),
    // CPU_PROF_DIR=<dir>: every child writes a V8 CPU profile there when it stops.
    execArgv: ['--import', 'tsx', ...(profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', kill);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let next = 0;
  const waiting = new Map<number, (m: Record<string, unknown>) => void>();
  child.on('message', (m: Record<string, unknown>) => {
    const w = waiting.get(Number(m.id));
    waiting.delete(Number(m.id));
    w?.(m);
  });
  const call = (op: string, args: Record<string, unknown> = {}) =>
    new Promise<Record<string, unknown>>((resolve) => {
      const id = ++next;
      waiting.set(id, resolve);
      child.send({ ...args, op, id });
    });
  const ready = await Promise.race([
    new Promise<Record<string, unknown>>((resolve) => waiting.set(0, resolve)),
    exited.then(() => ({ error: `${name} exited before it was ready` })),
    sleep(60_000).then(() => ({ error: `${name} not ready within 60 s` })),
  ]);
  if (ready.error) {
    kill();
    throw new Error(`${name}: ${String(ready.error)}`);
  }
  return {
    name,
    ready,
    stats: async () => (await call('stats')).stats as ChildStats,
    setRate: async (rate) => {
      await call('rate', { rate });
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.send({ op: 'stop', id: ++next });
        const timer = setTimeout(kill, 10_000);
        await exited;
        clearTimeout(timer);
      }
      process.off('exit', kill);
    },
  };
}

/** The NATS server's CPU so far (microseconds), from /proc; undefined when it is not on this machine. */
function natsServerCpu(): number | undefined {
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'nats-server') continue;
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      // utime and stime are fields 14 and 15 of stat (11 and 12 after the command), in clock ticks (100/s).
      return (Number(fields[11]) + Number(fields[12])) * 10_000;
    } catch {}
  }
  return undefined;
}

async function scratchDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = setting('DATABASE_URL');
  if (!admin) throw new Error('DATABASE_URL is required (the engine stores trades and candles)');
  const name = `qt_bench_ingest_cpu_${randomBytes(4).toString('hex')}`;
  await withClient(admin, (c) => c.query(`CREATE DATABASE "${name}"`));
  const url = withDatabase(admin, name);
  await migrate(url);
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  await maintainPartitions(pool, { clock: liveClock }).finally(() => pool.end());
  return {
    url,
    drop: () =>
      withClient(admin, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => {}),
  };
}

async function main(): Promise<void> {
  const natsUrl = setting('NATS_URL');
  const dbs: Array<{ drop(): Promise<void> }> = [];
  const children: Child[] = [];
  try {
    const sim = await startChild('simulator', {
      role: 'sim',
      symbols: SYMBOLS,
      tradesPerSecond: RATE / SYMBOLS.length,
    });
    children.push(sim);
    const wsBase = String(sim.ready.wsBase);
    const buses = (setting('CPU_BUSES') ?? 'nats,in-process').split(',');
    const engines: Array<{ name: string; bus: 'nats' | 'in-process'; script?: string }> = [
      ...(natsUrl && buses.includes('nats')
        ? [{ name: 'engine, NATS JetStream', bus: 'nats' as const }]
        : []),
      ...(buses.includes('in-process')
        ? [{ name: 'engine, in-process bus', bus: 'in-process' as const }]
        : []),
    ];
    // CPU_BEFORE_CHILD=<script>: also an engine from another copy of the child script (say, one importing
    // the code before a change), in the same run, for a before/after on the same feed and load.
    const before = setting('CPU_BEFORE_CHILD');
    if (before)
      engines.unshift(...engines.map((e) => ({ ...e, name: `${e.name} (before)`, script: before })));
    if (!natsUrl) log('NATS_URL unset: the NATS JetStream engine is skipped');
    const bare = await startChild('bare ws', { role: 'bare', wsBase, symbols: SYMBOLS, parse: false });
    const parse = await startChild('bare ws + JSON.parse', {
      role: 'bare',
      wsBase,
      symbols: SYMBOLS,
      parse: true,
    });
    children.push(bare, parse);
    const measured: Child[] = [bare, parse];
    for (const e of engines) {
      // A database each: engines sharing one would slow each other's (idempotent) inserts.
      const db = await scratchDatabase();
      dbs.push(db);
      const c = await startChild(
        e.name,
        { role: 'engine', wsBase, symbols: SYMBOLS, bus: e.bus, natsUrl, databaseUrl: db.url },
        e.script,
      );
      children.push(c);
      measured.push(c);
    }
    log(
      `${SYMBOLS.length} Binance symbols at ${RATE} trades/s offered; warm-up ${WARMUP_SECONDS} s, measured ${SECONDS} s`,
    );
    log(`load average before: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
    await sleep(WARMUP_SECONDS * 1000);
    // The window is bounded by quiet: the feed paused and every engine drained (all it received stored)
    // before and after it, so each process's CPU covers exactly the trades it counts, however far behind a
    // busy machine leaves it while they flow.
    const quiesce = async () => {
      await sim.setRate(0);
      const deadline = performance.now() + 120_000;
      let last = -1;
      for (;;) {
        await sleep(500);
        const s = await Promise.all(measured.map((c) => c.stats()));
        const total = s.reduce((n, x) => n + x.trades, 0);
        const drained = s.every((x, i) => !measured[i]?.name.startsWith('engine') || x.stored >= x.trades);
        if ((drained && total === last) || performance.now() > deadline) {
          if (!drained) log('warning: an engine had not stored everything within 120 s');
          return s;
        }
        last = total;
      }
    };
    const a = await quiesce();
    const natsA = natsServerCpu();
    await sim.setRate(RATE / SYMBOLS.length);
    const t0 = performance.now();
    await sleep(SECONDS * 1000);
    const seconds = (performance.now() - t0) / 1000;
    const b = await quiesce();
    const natsB = natsServerCpu();
    const drainSeconds = (performance.now() - t0) / 1000 - seconds;
    log(
      `feed ran ${seconds.toFixed(1)} s; the engines drained within ${drainSeconds.toFixed(1)} s after it stopped`,
    );
    log(`load average after: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
    const per = measured.map((c, i) => {
      const x = a[i] as ChildStats;
      const y = b[i] as ChildStats;
      const trades = y.trades - x.trades;
      const cpu = y.cpuMicros - x.cpuMicros;
      return {
        name: c.name,
        trades,
        stored: y.stored - x.stored,
        cpu,
        usPerTrade: cpu / Math.max(1, trades),
      };
    });
    const [rawBase, parseBase] = per;
    if (!rawBase || !parseBase) throw new Error('no baseline');
    for (const p of per) {
      const core = Math.round((p.cpu / 1e6 / seconds) * 100);
      const engine = p.name.startsWith('engine');
      log(
        `${p.name}: ${(p.trades / seconds).toFixed(0)} trades/s, ${core}% of a core, ${p.usPerTrade.toFixed(2)} CPU-us/trade` +
          (engine
            ? `; x${(p.usPerTrade / parseBase.usPerTrade).toFixed(2)} bare+parse, x${(p.usPerTrade / rawBase.usPerTrade).toFixed(2)} bare; stored ${(p.stored / seconds).toFixed(0)} trades/s`
            : ''),
      );
      report({
        bench: `ingest CPU: ${p.name}`,
        throughput: p.trades / seconds,
        unit: 'trades/s',
        p50_us: 0,
        p99_us: 0,
        baseline: parseBase.usPerTrade,
        baseline_name: 'ingest CPU: bare ws + JSON.parse (CPU-us/trade)',
        // Higher is better, like every other ratio in the table: 0.5 = twice the bare client's CPU per trade.
        ratio: Number((parseBase.usPerTrade / p.usPerTrade).toFixed(3)),
        notes: `${p.usPerTrade.toFixed(2)} CPU-us/trade, ${core}% of a core; ratio = bare ws + JSON.parse's CPU per trade / this one's (goal >= 0.5); ${(p.usPerTrade / rawBase.usPerTrade).toFixed(2)}x the CPU per trade of bare ws without parsing`,
      });
    }
    if (natsA !== undefined && natsB !== undefined) {
      const natsTrades = per.find((p) => p.name.includes('NATS'))?.trades ?? 0;
      log(
        `nats-server (shared by every client on this machine): ${Math.round(((natsB - natsA) / 1e6 / seconds) * 100)}% of a core` +
          (natsTrades > 0 ? `, ${((natsB - natsA) / natsTrades).toFixed(2)} CPU-us per engine trade` : ''),
      );
    }
  } finally {
    for (const c of children.reverse()) await c.stop().catch(() => {});
    for (const db of dbs) await db.drop().catch(() => {});
  }
}

main().catch((err: unknown) => {
  process.stderr.write(
    `ingest-cpu bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
