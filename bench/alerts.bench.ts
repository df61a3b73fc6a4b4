/**
 * Alert evaluation: 100,000 active alerts over 1,000 symbols (100 per symbol), a stream of trades fed as
 * fast as the evaluator takes them.
 *
 *   BENCH_SECONDS=5 npx tsx bench/alerts.bench.ts   (10 s by default, split over the cases and rounds)
 *
 * Cases, interleaved in rounds (see measure.ts), each with its own evaluator fed the same trade stream:
 * - `alerts.evaluate`: the evaluator holding the 100,000 alerts;
 * - `alerts.no-alerts` (baseline): the same evaluator with no alert registered, which still does what it
 *   does for every trade whatever the alerts (validate the price and read it as a double, refuse
 *   late/duplicate trades, keep the last price), so the ratio is the cost the alerts add per trade;
 * - `alerts.read-loop`: a loop that only reads the same trades (orientation: the harness's own cost).
 * Alerts per symbol: 40 price levels (crosses / crossesUp / crossesDown / above / below), 20 ranges
 * (enters/exits), 20 percentage moves (two windows), 10 AND/OR groups of those, 10 bar-close RSI/EMA
 * alerts (evaluated per closed bar, not per trade: they cost nothing here). Triggers: `every` with a 60 s
 * cooldown, `oncePerBar` 1m and `once`. Levels are spread over +-3% of the symbol's start price; each
 * symbol's price is a seeded random walk of 1 bp steps, so a trade crosses a level now and then, as in a
 * live market. The stream is 1,000,000 trades round-robin over the symbols at a simulated 50,000 trades/s
 * of exchange time; when it wraps, its timestamps move on (nothing is late on the second pass).
 * Latency: every 64th call timed alone (process.hrtime.bigint, whose own cost of some tens of ns is
 * included); p50/p99 in microseconds with ns resolution. Firings are counted (and dropped).
 */
import { build } from 'hdr-histogram-js';
import { AlertEvaluator, type AlertTrade } from '../packages/alerts/src/index.ts';
import {
  type BenchResult,
  benchRounds,
  benchSeconds,
  type Case,
  type Compared,
  fmtRate,
  interleaved,
  report,
  round,
  table,
  warmupFor,
} from './lib/measure.ts';

const SECONDS = benchSeconds(10);
const ROUNDS = benchRounds(3);
const SYMBOLS = 1_000;
const ALERTS_PER_SYMBOL = 100;
const N = 1_000_000;
const TRADES_PER_MS = 50; // 50,000 trades/s of exchange time
const SAMPLE_MASK = 63;
const T0 = 1_800_000_000_000;
const log = (line: string) => process.stdout.write(`${line}\n`);

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
const rnd = mulberry32(7);

const symbols = Array.from({ length: SYMBOLS }, (_, i) => `S${String(i).padStart(4, '0')}-USDT`);
/** Start prices in cents (exact), 10.00 .. 5000.00. */
const startCents = symbols.map(() => 1_000 + Math.floor(rnd() * 499_000));
const cents = (c: number) => `${Math.floor(c / 100)}.${String(c % 100).padStart(2, '0')}`;

// The stream, in flat arrays (no object per trade held by the harness).
const tradeSymbol = new Int32Array(N);
const tradePrice: string[] = new Array(N);
const tradeTs = new Float64Array(N);
const tradeIds: string[] = new Array(N);
{
  const price = Int32Array.from(startCents.map((c) => c * 100)); // hundredths of a cent
  for (let i = 0; i < N; i++) {
    const s = i % SYMBOLS;
    const p = price[s] as number;
    const step = Math.max(1, Math.round(p / 10_000)); // ~1 bp
    const next = Math.max(100, p + (rnd() < 0.5 ? -step : step));
    price[s] = next;
    tradeSymbol[i] = s;
    tradePrice[i] = cents(Math.round(next / 100));
    tradeTs[i] = T0 + Math.floor(i / TRADES_PER_MS);
    tradeIds[i] = String(i);
  }
}
const SPAN_MS = Math.floor(N / TRADES_PER_MS) + 1;

function addAlerts(ev: AlertEvaluator): void {
  const r = mulberry32(11);
  const every = { mode: 'every', cooldownMs: 60_000 } as const;
  const perBar = { mode: 'oncePerBar', interval: '1m' } as const;
  const triggers = [every, perBar, { mode: 'once' } as const];
  let n = 0;
  for (let s = 0; s < SYMBOLS; s++) {
    const base = startCents[s] as number;
    const level = () => cents(Math.round(base * (0.97 + r() * 0.06)));
    const common = (k: number) => ({
      id: `a${n++}`,
      tenantId: `t${s % 50}`,
      name: `alert ${k}`,
      venue: 'binance',
      symbol: symbols[s],
      trigger: triggers[k % 3],
    });
    const ops = ['crosses', 'crossesUp', 'crossesDown', 'above', 'below'] as const;
    const price = (k: number) => ({ kind: 'price', op: ops[k % 5], value: level() });
    const range = (k: number) => {
      const a = Math.round(base * (0.97 + r() * 0.05));
      return {
        kind: 'range',
        op: k % 2 ? 'entersRange' : 'exitsRange',
        low: cents(a),
        high: cents(a + Math.max(1, Math.round(base * 0.005))),
      };
    };
    const move = (k: number) => ({
      kind: 'percentMove',
      direction: k % 2 ? 'up' : 'down',
      percent: ['0.1', '0.2', '0.5', '1'][k % 4],
      windowMs: k % 3 ? 60_000 : 300_000,
    });
    for (let k = 0; k < 40; k++) ev.add({ ...common(k), condition: price(k) });
    for (let k = 0; k < 20; k++) ev.add({ ...common(k), condition: range(k) });
    for (let k = 0; k < 20; k++) ev.add({ ...common(k), condition: move(k) });
    for (let k = 0; k < 10; k++) {
      ev.add({
        ...common(k),
        condition: { kind: k % 2 ? 'all' : 'any', conditions: [price(k), range(k), move(k)] },
      });
    }
    for (let k = 0; k < 10; k++) {
      const condition =
        k % 2
          ? { kind: 'rsi', interval: '1m', period: 14, op: 'above', value: 70 }
          : { kind: 'emaCross', interval: '1m', fast: 9, slow: 21, op: 'crosses' };
      ev.add({ ...common(k), trigger: { mode: 'oncePerBarClose', interval: '1m' }, condition });
    }
  }
}

const nsHistogram = () =>
  build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000_000,
    numberOfSignificantValueDigits: 3,
  });
type Hist = ReturnType<typeof nsHistogram>;

interface Feeder {
  name: string;
  onTrade: (t: AlertTrade) => number;
}

/** One case: its own position in the stream and its own timestamp offset (so a wrap is not "late"). */
function streamCase(feeder: Feeder): Case & { firings: () => number } {
  let i = 0;
  let offset = 0;
  let fired = 0;
  const t: AlertTrade = { venue: 'binance', symbol: '', tradeId: '', price: '', qty: '1', ts: 0 };
  const loop = (seconds: number, hist: Hist | undefined) => {
    let ops = 0;
    const started = performance.now();
    const end = started + seconds * 1000;
    while (performance.now() < end) {
      for (let b = 0; b <= SAMPLE_MASK; b++) {
        if (i === N) {
          i = 0;
          offset += SPAN_MS;
        }
        t.symbol = symbols[tradeSymbol[i] as number] as string;
        t.price = tradePrice[i] as string;
        t.ts = (tradeTs[i] as number) + offset;
        t.tradeId = tradeIds[i] as string;
        i++;
        if (b === 0 && hist !== undefined) {
          const t0 = process.hrtime.bigint();
          fired += feeder.onTrade(t);
          hist.recordValue(Math.max(1, Number(process.hrtime.bigint() - t0)));
        } else fired += feeder.onTrade(t);
      }
      ops += SAMPLE_MASK + 1;
    }
    return { ops, seconds: (performance.now() - started) / 1000 };
  };
  return {
    name: feeder.name,
    firings: () => fired,
    async run(seconds, warmupSeconds) {
      loop(warmupSeconds, undefined);
      const histogram = nsHistogram();
      const r = loop(seconds, histogram);
      return { ops: r.ops, seconds: r.seconds, histogram };
    },
  };
}

log(`building ${SYMBOLS * ALERTS_PER_SYMBOL} alerts over ${SYMBOLS} symbols, ${N} trades`);
const withAlerts = new AlertEvaluator();
const builtAt = performance.now();
addAlerts(withAlerts);
log(`  ${withAlerts.size} alerts added in ${((performance.now() - builtAt) / 1000).toFixed(1)} s`);
const noAlerts = new AlertEvaluator();
let readSink = 0;

const evaluate = streamCase({ name: 'alerts.evaluate', onTrade: (t) => withAlerts.onTrade(t).length });
const baseline = streamCase({ name: 'alerts.no-alerts', onTrade: (t) => noAlerts.onTrade(t).length });
const readLoop = streamCase({
  name: 'alerts.read-loop',
  onTrade: (t) => {
    readSink += t.price.length + t.ts;
    return 0;
  },
});

const compared = await interleaved(
  [evaluate, baseline, readLoop],
  { seconds: SECONDS / 3, rounds: ROUNDS, warmupSeconds: warmupFor(SECONDS / 3, ROUNDS) },
  log,
);
if (readSink === 42) log('(sink)');
const [ev, base, read] = compared as [Compared, Compared, Compared];

function result(c: Compared, b: Compared, notes?: string): BenchResult {
  const ratios = c.perRound.map((t, i) => t / (b.perRound[i] ?? Number.NaN)).filter(Number.isFinite);
  return {
    bench: c.name,
    throughput: round(c.throughput),
    unit: 'trades/s',
    p50_us: round(c.histogram.getValueAtPercentile(50) / 1000, 3),
    p99_us: round(c.histogram.getValueAtPercentile(99) / 1000, 3),
    baseline: round(b.throughput),
    baseline_name: b.name,
    ratio: round(c.throughput / b.throughput, 3),
    ...(ratios.length > 1
      ? { ratio_range: [round(Math.min(...ratios), 3), round(Math.max(...ratios), 3)] }
      : {}),
    ...(notes ? { notes } : {}),
  };
}

const stats = withAlerts.stats();
const perTradeNs = (1e9 / ev.throughput).toFixed(0);
const extraNs = (1e9 / ev.throughput - 1e9 / base.throughput).toFixed(0);
const results = [
  result(
    ev,
    base,
    `${stats.alerts} alerts / ${SYMBOLS} symbols; ${perTradeNs} ns per trade (${extraNs} ns over no alerts); ` +
      `${evaluate.firings()} firings in ${fmtRate(ev.ops)} trades; 50,000 trades/s uses ${((50_000 / ev.throughput) * 100).toFixed(1)}% of a core`,
  ),
  result(base, read, 'price validated and read as a double, late/duplicate check, last price'),
  result(read, read),
];
for (const r of results) report(r);
log(table(results));
