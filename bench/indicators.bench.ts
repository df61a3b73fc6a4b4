/**
 * Streaming indicators: EMA(30), RSI(14), MACD(12,26,9), BBANDS(20,2) updates per second, ours against
 * the two JS peers users pick today, on the same seeded series, and TA-Lib's C batch for orientation.
 *
 *   BENCH_SECONDS=5 npx tsx bench/indicators.bench.ts   (seconds per indicator; 10 by default)
 *
 * Cases, for each indicator, run interleaved in rounds (see measure.ts):
 * - ours: the @qt/indicators class's `update(close)`;
 * - technicalindicators 3.1: `nextValue(close)` of its streaming class (MACD with EMA oscillator/signal);
 * - trading-signals 8.3: `update(close, false)` (v8 computes in plain numbers: it has no big.js classes
 *   left, so there is no "Faster*" variant to pick);
 * - talib (TA-Lib C, node binding): one `execute` over the whole series (1,000,000 closes already in a JS
 *   array), counted as 1,000,000 updates; a batch, not a stream, so it only orients.
 * Each streaming case feeds one instance bar after bar through the series (a fresh instance when the
 * series wraps). Latency: every 1024th update is timed alone with process.hrtime.bigint (whose own cost,
 * some tens of ns, is included); p50/p99 are printed in microseconds with ns resolution.
 */
import { createRequire } from 'node:module';
import { build } from 'hdr-histogram-js';
import * as ti from 'technicalindicators';
import * as tsig from 'trading-signals';
import { Bbands, Ema, Macd, Rsi } from '../packages/indicators/src/index.ts';
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
const N = 1_000_000;
const SAMPLE_MASK = 1023;
const log = (line: string) => process.stdout.write(`${line}\n`);
const talib = createRequire(import.meta.url)('talib') as {
  execute(args: Record<string, unknown>): { nbElement: number; result: Record<string, number[]> };
};

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

const rnd = mulberry32(42);
const closes = new Float64Array(N);
let price = 100;
for (let i = 0; i < N; i++) {
  price *= Math.exp((rnd() - 0.5) * 0.02);
  closes[i] = price;
}
const closesArray = Array.from(closes);

/** ns histogram; interleaved() merges it into its own (same value domain, up to 60 s). */
const nsHistogram = () =>
  build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000_000,
    numberOfSignificantValueDigits: 3,
  });

type Hist = ReturnType<typeof nsHistogram>;
type Loop = (seconds: number, hist: Hist | undefined) => { ops: number; seconds: number; sink: number };

/**
 * The hot loop, compiled separately for each case (`new Function` gives each its own code and type
 * feedback): one shared loop would see every case's `step` and turn megamorphic, slowing all of them.
 */
function compileLoop<T>(make: () => T, step: (ind: T, x: number) => number): Loop {
  // Locals in the hot loop (the closure's `i`/`ind` are written back once per call): context-slot loads
  // and stores on every update would cost more than an EMA step.
  const body = `
    let i = 0;
    let ind = make();
    return function loop(seconds, hist) {
      let ops = 0;
      let sink = 0;
      let ii = i;
      let inst = ind;
      const started = performance.now();
      const end = started + seconds * 1000;
      while (performance.now() < end) {
        for (let b = 0; b < 64; b++) {
          if (ii === N) { ii = 0; inst = make(); }
          if (hist !== undefined) {
            const t0 = process.hrtime.bigint();
            sink += step(inst, closes[ii++]);
            hist.recordValue(Math.max(1, Number(process.hrtime.bigint() - t0)));
          } else sink += step(inst, closes[ii++]);
          for (let k = 0; k < SAMPLE_MASK; k++) {
            if (ii === N) { ii = 0; inst = make(); }
            sink += step(inst, closes[ii++]);
          }
        }
        ops += 64 * (SAMPLE_MASK + 1);
      }
      i = ii;
      ind = inst;
      return { ops, seconds: (performance.now() - started) / 1000, sink };
    };`;
  return new Function('closes', 'N', 'SAMPLE_MASK', 'make', 'step', 'performance', 'process', body)(
    closes,
    N,
    SAMPLE_MASK,
    make,
    step,
    performance,
    process,
  ) as Loop;
}

/** A streaming case: `make` builds a fresh instance, `step` feeds one close and returns something numeric. */
function streaming<T>(name: string, make: () => T, step: (ind: T, x: number) => number): Case {
  const loop = compileLoop(make, step);
  let sink = 0;
  return {
    name,
    async run(seconds, warmupSeconds) {
      sink += loop(warmupSeconds, undefined).sink;
      const histogram = nsHistogram();
      const r = loop(seconds, histogram);
      sink += r.sink;
      if (sink === 42) log('(sink)');
      return { ops: r.ops, seconds: r.seconds, histogram };
    },
  };
}

function talibBatch(name: string, args: Record<string, unknown>): Case {
  let sink = 0;
  return {
    name,
    async run(seconds, warmupSeconds) {
      const call = () => {
        const r = talib.execute({ startIdx: 0, endIdx: N - 1, inReal: closesArray, ...args });
        sink += r.nbElement;
      };
      const warmEnd = performance.now() + warmupSeconds * 1000;
      while (performance.now() < warmEnd) call();
      const histogram = nsHistogram();
      let ops = 0;
      const started = performance.now();
      const end = started + seconds * 1000;
      while (performance.now() < end) {
        call();
        ops += N;
      }
      if (sink === 42) log('(sink)');
      return { ops, seconds: (performance.now() - started) / 1000, histogram };
    },
  };
}

const num = (v: number | undefined | null) => v ?? 0;

interface Suite {
  name: string;
  ours: Case;
  peers: Case[];
}

const suites: Suite[] = [
  {
    name: 'ema30',
    ours: streaming(
      'ours',
      () => new Ema(30),
      (e, x) => e.update(x),
    ),
    peers: [
      streaming(
        'technicalindicators',
        () => new ti.EMA({ period: 30, values: [] }),
        (e, x) => num(e.nextValue(x)),
      ),
      streaming(
        'trading-signals',
        () => new tsig.EMA(30),
        (e, x) => num(e.update(x, false)),
      ),
      talibBatch('talib-batch', { name: 'EMA', optInTimePeriod: 30 }),
    ],
  },
  {
    name: 'rsi14',
    ours: streaming(
      'ours',
      () => new Rsi(14),
      (r, x) => r.update(x),
    ),
    peers: [
      streaming(
        'technicalindicators',
        () => new ti.RSI({ period: 14, values: [] }),
        (r, x) => num(r.nextValue(x)),
      ),
      streaming(
        'trading-signals',
        () => new tsig.RSI(14),
        (r, x) => num(r.update(x, false)),
      ),
      talibBatch('talib-batch', { name: 'RSI', optInTimePeriod: 14 }),
    ],
  },
  {
    name: 'macd12-26-9',
    ours: streaming(
      'ours',
      () => new Macd(12, 26, 9),
      (m, x) => {
        m.update(x);
        return m.histogram;
      },
    ),
    peers: [
      streaming(
        'technicalindicators',
        () =>
          new ti.MACD({
            values: [],
            fastPeriod: 12,
            slowPeriod: 26,
            signalPeriod: 9,
            SimpleMAOscillator: false,
            SimpleMASignal: false,
          }),
        (m, x) => num(m.nextValue(x)?.histogram),
      ),
      streaming(
        'trading-signals',
        () => new tsig.MACD(new tsig.EMA(12), new tsig.EMA(26), new tsig.EMA(9)),
        (m, x) => num(m.update(x, false)?.histogram),
      ),
      talibBatch('talib-batch', {
        name: 'MACD',
        optInFastPeriod: 12,
        optInSlowPeriod: 26,
        optInSignalPeriod: 9,
      }),
    ],
  },
  {
    name: 'bbands20',
    ours: streaming(
      'ours',
      () => new Bbands(20, 2, 2),
      (b, x) => {
        b.update(x);
        return b.upper;
      },
    ),
    peers: [
      streaming(
        'technicalindicators',
        () => new ti.BollingerBands({ period: 20, stdDev: 2, values: [] }),
        (b, x) => num(b.nextValue(x)?.upper),
      ),
      streaming(
        'trading-signals',
        () => new tsig.BollingerBands(20, 2),
        (b, x) => num(b.update(x, false)?.upper),
      ),
      talibBatch('talib-batch', {
        name: 'BBANDS',
        optInTimePeriod: 20,
        optInNbDevUp: 2,
        optInNbDevDn: 2,
        optInMAType: 0,
      }),
    ],
  },
];

function result(suite: string, c: Compared, base: Compared, notes?: string): BenchResult {
  const ratios = c.perRound.map((t, i) => t / (base.perRound[i] ?? Number.NaN)).filter(Number.isFinite);
  const batch = c.name === 'talib-batch';
  return {
    bench: `indicators.${suite}.${c.name}`,
    throughput: round(c.throughput),
    unit: 'updates/s',
    p50_us: batch ? 0 : round(c.histogram.getValueAtPercentile(50) / 1000, 3),
    p99_us: batch ? 0 : round(c.histogram.getValueAtPercentile(99) / 1000, 3),
    baseline: round(base.throughput),
    baseline_name: `indicators.${suite}.${base.name}`,
    ratio: round(c.throughput / base.throughput, 3),
    ...(ratios.length > 1
      ? { ratio_range: [round(Math.min(...ratios), 3), round(Math.max(...ratios), 3)] }
      : {}),
    ...(notes ? { notes } : {}),
  };
}

const results: BenchResult[] = [];
for (const suite of suites) {
  log(`${suite.name}: ${N} closes, ${SECONDS} s over ${ROUNDS} rounds`);
  const compared = await interleaved(
    [suite.ours, ...suite.peers],
    {
      seconds: SECONDS / (suite.peers.length + 1),
      rounds: ROUNDS,
      warmupSeconds: warmupFor(SECONDS / 4, ROUNDS),
    },
    log,
  );
  const [ours, ...peers] = compared as [Compared, ...Compared[]];
  // Ours against each peer: ratio = ours / peer (>= 2 is the goal against the JS peers, >= 1/3 against talib).
  for (const peer of peers) {
    const r = result(suite.name, ours, peer, `ours vs ${peer.name}; ours p50/p99 per update sampled 1/1024`);
    r.bench = `indicators.${suite.name}.ours-vs-${peer.name}`;
    results.push(r);
    report(r);
  }
  for (const peer of peers) {
    const r = result(suite.name, peer, peer);
    r.baseline_name = r.bench;
    results.push(r);
    report(r);
  }
  log(`  ours ${fmtRate(ours.throughput)} updates/s`);
}
log(table(results));
