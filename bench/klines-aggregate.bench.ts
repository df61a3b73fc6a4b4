/**
 * K-line aggregation: trades -> candles for every interval, in memory, on one core.
 *
 *   npx tsx bench/klines-aggregate.bench.ts          (BENCH_SECONDS=10 by default, in total)
 *
 * Scenarios: 10,000 symbols and 100 symbols, each x all 8 intervals (100ms .. 1d), allowed lateness 2 s.
 * Trades are generated up front with a fixed seed (1,000,000 of them, ~5% arriving up to 50 ms out of
 * order) and replayed in a loop, shifted forward in time after each pass (outside the timed part). Event
 * time advances at the goal rate (2,000,000 trades per exchange second), so candles open and close as
 * often per trade as they would live at that load. The engine's flush (coalesced klineUpdated) and clock
 * tick (advanceTo) run every 100 ms of event time and are inside the measured throughput. Symbols are
 * drawn at random per trade (the worst case for memory: every trade touches another symbol's state; the
 * engine gets a symbol's trades of one event-loop turn in one bus message).
 *
 * Latency: every 64th `onTrade` is timed with process.hrtime.bigint (trade in -> its candles updated);
 * flushes are timed separately (they are what a trade waiting behind one would see) and reported in
 * `notes`. Baseline: the same replay loop that only reads the fields the aggregator reads, with the
 * same sampling. `klines.aggregate.per-interval` is the aggregator before coarser intervals were folded
 * from the finest (every trade updating one candle per interval; kept in the package's tests as the
 * reference), on the same trades in the same run: the before/after. `klines.aggregate.1s-only` keeps one
 * interval: what a trade costs when it updates one candle and nothing is folded.
 */
import type { Kline, KlineInterval, Trade } from '@qt/shared';
import { KlineAggregator, type KlineSink } from '../packages/market-data/src/klines/index.ts';
import { PerIntervalKlineAggregator } from '../packages/market-data/test/klines/per-interval-aggregator.ts';
import { type BenchResult, benchSeconds, latencyHistogram, report, round, table } from './lib/measure.ts';

const SECONDS = benchSeconds(10);
const TRADES = 1_000_000;
const EVENT_RATE = 2_000_000; // trades per second of exchange time
const FLUSH_EVERY_MS = 100;
const SAMPLE_EVERY = 64;
const T0 = 1_700_000_000_000;
const ALL: KlineInterval[] = ['100ms', '1s', '1m', '5m', '15m', '1h', '4h', '1d'];
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

/** Synthetic trades (test data only: the strings are made with toFixed, which is fine for a fixture). */
function generate(symbols: number, seed: number): Trade[] {
  const rnd = mulberry32(seed);
  const names = Array.from({ length: symbols }, (_, i) => `S${i}-USDT`);
  const mid = Array.from({ length: symbols }, () => 0.01 + rnd() * 60_000);
  const decimals = mid.map((m) => (m < 1 ? 6 : m < 100 ? 4 : 2));
  const out: Trade[] = new Array(TRADES);
  for (let i = 0; i < TRADES; i++) {
    const s = Math.floor(rnd() * symbols);
    const m = (mid[s] as number) * (1 + (rnd() - 0.5) * 0.002);
    mid[s] = m;
    const late = rnd() < 0.05 ? Math.floor(rnd() * 50) : 0;
    const t = T0 + Math.floor((i * 1000) / EVENT_RATE) - late;
    out[i] = {
      venue: 'binance',
      symbol: names[s] as string,
      venueSymbol: (names[s] as string).replace('-', ''),
      tradeId: String(i + 1),
      price: m.toFixed(decimals[s] as number),
      quantity: (rnd() * 2).toFixed(8),
      takerSide: rnd() < 0.5 ? 'buy' : 'sell',
      exchangeTime: Math.max(T0, t),
      receiveTime: t + 3,
    };
  }
  return out;
}

class CountingSink implements KlineSink {
  updated = 0;
  closed = 0;
  touched = 0;
  klineUpdated(k: Kline): void {
    this.updated++;
    this.touched += k.close.length;
  }
  klineClosed(k: Kline, revision: number): void {
    this.closed++;
    this.touched += k.quoteVolume.length + revision;
  }
}

interface Run {
  ops: number;
  seconds: number;
  /**
   * CPU seconds of this process over the same stretch: on a shared machine under load the wall clock
   * counts time the process waited for a core, CPU time does not (GC helper threads do count).
   */
  cpuSeconds: number;
}

/** Replays `trades` through `step` for `seconds`, shifting them forward in time after each pass. */
class Replay {
  readonly #trades: Trade[];
  readonly #span: number;
  #i = 0;
  #shift = 0;
  #nextFlush: number;
  #wrapMs = 0;
  #wrapCpuUs = 0;

  constructor(trades: Trade[]) {
    this.#trades = trades;
    this.#span = Math.ceil((TRADES * 1000) / EVENT_RATE) + 100;
    this.#nextFlush = T0 + FLUSH_EVERY_MS;
  }

  run(
    seconds: number,
    step: (t: Trade) => void,
    tick: ((nowMs: number) => void) | undefined,
    hist: ReturnType<typeof latencyHistogram> | undefined,
  ): Run {
    const trades = this.#trades;
    let ops = 0;
    this.#wrapMs = 0;
    this.#wrapCpuUs = 0;
    const started = performance.now();
    const cpu0 = process.cpuUsage();
    const end = started + seconds * 1000;
    for (;;) {
      // Check the time once per 4096 trades.
      for (let n = 0; n < 4096; n++) {
        if (this.#i === trades.length) this.#wrap();
        const t = trades[this.#i++] as Trade;
        if ((ops & (SAMPLE_EVERY - 1)) === 0 && hist) {
          const t0 = process.hrtime.bigint();
          step(t);
          hist.recordValue(Math.max(1, Number(process.hrtime.bigint() - t0) / 1000));
        } else step(t);
        ops++;
        if (tick && t.exchangeTime >= this.#nextFlush) {
          tick(this.#nextFlush);
          this.#nextFlush += FLUSH_EVERY_MS;
        }
      }
      if (performance.now() >= end) break;
    }
    // The time shift between passes is harness work, not aggregation: left out.
    const cpu = process.cpuUsage(cpu0);
    return {
      ops,
      seconds: (performance.now() - started - this.#wrapMs) / 1000,
      cpuSeconds: (cpu.user + cpu.system - this.#wrapCpuUs) / 1e6,
    };
  }

  #wrap(): void {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    this.#i = 0;
    this.#shift += this.#span;
    for (const t of this.#trades) {
      t.exchangeTime += this.#span;
      t.receiveTime += this.#span;
    }
    this.#wrapMs += performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    this.#wrapCpuUs += cpu.user + cpu.system;
  }
}

interface CaseResult {
  name: string;
  throughput: number;
  p50: number;
  p99: number;
  flushP99Ms: number;
  /** Trades per CPU second (see `Run.cpuSeconds`). */
  cpuThroughput: number;
  events: number;
}

type Aggregator = Pick<KlineAggregator, 'onTrade' | 'flush' | 'advanceTo'>;

function runCase(
  name: string,
  trades: Trade[],
  intervals: KlineInterval[],
  seconds: number,
  perInterval: boolean,
): { agg: CaseResult; base: CaseResult } {
  const sink = new CountingSink();
  const symbols = new Set(trades.map((t) => t.symbol)).size;
  const options = { sink, intervals, allowedLatenessMs: 2000, initialSymbols: symbols };
  const agg: Aggregator = perInterval
    ? new PerIntervalKlineAggregator(options)
    : new KlineAggregator(options);
  const replay = new Replay(trades);
  const hist = latencyHistogram();
  const baseHist = latencyHistogram();
  const flushHist = latencyHistogram();
  const step = (t: Trade) => {
    agg.onTrade(t);
  };
  const tick = (now: number) => {
    const t0 = process.hrtime.bigint();
    agg.advanceTo(now); // closes quiet symbols' candles and flushes the coalesced updates
    flushHist.recordValue(Math.max(1, Number(process.hrtime.bigint() - t0) / 1000));
  };
  let checksum = 0;
  const read = (t: Trade) => {
    checksum +=
      t.exchangeTime +
      t.price.length +
      t.quantity.length +
      t.tradeId.length +
      t.venue.length +
      t.symbol.length +
      (t.takerSide === 'buy' ? 1 : 0);
  };
  // Warm-up, unmeasured: until every symbol has been seen (symbol table, scales, rings) and at least
  // a slice of time for the JIT.
  for (const t of trades) agg.onTrade(t);
  agg.flush();
  replay.run(Math.min(1, seconds / 6), step, tick, undefined);
  new Replay(trades).run(Math.min(0.3, seconds / 20), read, undefined, undefined);
  hist.reset();
  flushHist.reset();
  const rounds = 2;
  const add = (x: Run, y: Run): Run => ({
    ops: x.ops + y.ops,
    seconds: x.seconds + y.seconds,
    cpuSeconds: x.cpuSeconds + y.cpuSeconds,
  });
  let aggRun: Run = { ops: 0, seconds: 0, cpuSeconds: 0 };
  let baseRun: Run = { ops: 0, seconds: 0, cpuSeconds: 0 };
  const baseReplay = new Replay(trades);
  for (let r = 0; r < rounds; r++) {
    const a = replay.run((seconds * 0.8) / rounds, step, tick, hist);
    const b = baseReplay.run((seconds * 0.2) / rounds, read, undefined, baseHist);
    aggRun = add(aggRun, a);
    baseRun = add(baseRun, b);
  }
  if (checksum === 42) log('(checksum)');
  return {
    agg: {
      name,
      throughput: aggRun.ops / aggRun.seconds,
      cpuThroughput: aggRun.ops / aggRun.cpuSeconds,
      p50: hist.getValueAtPercentile(50),
      p99: hist.getValueAtPercentile(99),
      flushP99Ms: flushHist.getValueAtPercentile(99) / 1000,
      events: sink.updated + sink.closed,
    },
    base: {
      name: `${name}.baseline`,
      throughput: baseRun.ops / baseRun.seconds,
      cpuThroughput: baseRun.ops / baseRun.cpuSeconds,
      p50: baseHist.getValueAtPercentile(50),
      p99: baseHist.getValueAtPercentile(99),
      flushP99Ms: 0,
      events: 0,
    },
  };
}

function result(c: CaseResult, base: CaseResult, notes: string): BenchResult {
  return {
    bench: c.name,
    throughput: round(c.throughput),
    unit: 'trades/s',
    p50_us: c.p50,
    p99_us: c.p99,
    baseline: round(base.throughput),
    baseline_name: 'read the same trades',
    ratio: round(c.throughput / base.throughput, 3),
    notes,
  };
}

const results: BenchResult[] = [];
const cases: Array<[string, number, KlineInterval[], number, boolean]> = [
  ['klines.aggregate', 10_000, ALL, 0.35, false],
  ['klines.aggregate.per-interval', 10_000, ALL, 0.2, true],
  ['klines.aggregate.100-symbols', 100, ALL, 0.25, false],
  ['klines.aggregate.1s-only', 10_000, ['1s'], 0.2, false],
];
for (const [name, symbols, intervals, share, perInterval] of cases) {
  log(`${name}: ${symbols} symbols x ${intervals.join(',')} for ${(SECONDS * share).toFixed(1)} s`);
  const trades = generate(symbols, 42);
  const { agg, base } = runCase(name, trades, intervals, SECONDS * share, perInterval);
  const r = result(
    agg,
    base,
    `${symbols} symbols x ${intervals.length} intervals; flush+tick every ${FLUSH_EVERY_MS} ms event time, ` +
      `flush p99 ${agg.flushP99Ms.toFixed(2)} ms; ${agg.events} events; per CPU second ` +
      `${round(agg.cpuThroughput)} vs ${round(base.cpuThroughput)} (ratio ${round(agg.cpuThroughput / base.cpuThroughput, 3)})`,
  );
  results.push(r);
  report(r);
}
log(table(results));
