/**
 * Backtest end to end: replayed candles (and trades) through the paper matcher, ledger, positions and
 * risk, driving an SMA crossover strategy.
 *
 *   npx tsx bench/backtest.bench.ts          (BENCH_SECONDS=20 by default, in total)
 *
 * Data is generated up front with a fixed seed: 1m candles of a random walk around 50,000 USDT (compact
 * BacktestCandle form, decimal strings as a venue prints them) and trades of a random walk, several per
 * minute. Cases, interleaved in rounds on the same data:
 *   - backtest.candles.e2e: runBacktest in candles mode, TS SMA crossover (fast 10, slow 30, 0.01 BTC,
 *     market orders), one op = one backtest over CANDLES candles; throughput in candles/s;
 *   - backtest.candles.e2e.eager-quotes: the same with every synthetic quote fed to the matcher (the
 *     lazy-quote shortcut off; results are identical, test/lazy-quotes.test.ts);
 *   - backtest.candles.e2e.wasm: the same with the AssemblyScript SDK's sma-crossover.wasm through
 *     WasmStrategy in-thread, when the build exists;
 *   - baseline replay.candles: the replay loop alone over the same candles (reads every field).
 * Then trades mode (backtest.trades.e2e vs replay.trades, TRADES trades per op), and one timed backtest
 * over a year of 1m candles (525,600): its wall time is the `notes` of backtest.candles.year.
 * Latency p50/p99 = the wall time of one whole backtest op, in microseconds.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Trade } from '@qt/shared';
import { TIER_LIMITS, validateStrategyModule, WasmStrategy } from '@qt/strategy-runtime';
import { type BacktestCandle, type DriverFactory, runBacktest } from '../packages/backtest/src/index.ts';
// The market and the TS strategy are the golden test's (packages/backtest/test/golden.test.ts pins the
// bytes of this very run), so a speed-up measured here is one that changed no result.
import {
  benchCandles,
  benchSpec,
  BENCH_MINUTE as MINUTE,
  BENCH_T0 as T0,
  TsSmaCrossover,
} from '../packages/backtest/test/fixtures/bench-sma.ts';
import {
  against,
  type BenchResult,
  benchRounds,
  benchSeconds,
  type Case,
  closedLoop,
  interleaved,
  report,
  round,
  table,
  warmupFor,
} from './lib/measure.ts';

const SECONDS = benchSeconds(20);
const ROUNDS = benchRounds(3);
const CANDLES = 100_000;
const YEAR = 525_600;
const TRADES = 200_000;
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
const price = (c: number) => `${Math.floor(c / 100)}.${String(c % 100).padStart(2, '0')}`;

function trades(n: number, seed: number): Trade[] {
  const rnd = mulberry32(seed);
  const out: Trade[] = new Array(n);
  let p = 5_000_000;
  let t = T0;
  for (let i = 0; i < n; i++) {
    t += Math.floor(rnd() * 20_000);
    p = Math.max(100, p + Math.round((rnd() - 0.5) * 2_000 + (5_000_000 - p) * 0.001));
    out[i] = {
      venue: 'binance',
      symbol: 'BTC-USDT',
      venueSymbol: 'BTCUSDT',
      tradeId: String(i + 1),
      price: price(p),
      quantity: `0.${String(1 + Math.floor(rnd() * 99_998)).padStart(5, '0')}`,
      takerSide: rnd() < 0.5 ? 'buy' : 'sell',
      exchangeTime: t,
      receiveTime: t,
    };
  }
  return out;
}

const specFor = benchSpec;

const SDK_WASM = new URL('../packages/strategy-sdk/build/sma-crossover.wasm', import.meta.url);
const wasm = existsSync(SDK_WASM) ? validateStrategyModule(readFileSync(SDK_WASM), TIER_LIMITS.PRO) : null;

log(`generating ${CANDLES} + ${YEAR} candles and ${TRADES} trades (seed 42)...`);
const DATA = benchCandles(CANDLES, 42);
const YEAR_DATA = benchCandles(YEAR, 42);
const TRADE_DATA = trades(TRADES, 42);
const candleEnd = T0 + CANDLES * MINUTE;
const tradeEnd = (TRADE_DATA[TRADES - 1] as Trade).exchangeTime + MINUTE;

let lastOrders = 0;
function backtestCase(name: string, make: DriverFactory, eagerQuotes = false): Case {
  return {
    name,
    run: (seconds, warm) =>
      closedLoop(
        async () => {
          const r = await runBacktest(specFor('candles', candleEnd), make, DATA, {
            eagerQuotes,
            yieldEvery: 1_000_000,
          });
          if (r.status !== 'completed') throw new Error(`${name}: ${r.status} ${r.reason}`);
          lastOrders = r.metrics.orders;
        },
        { seconds, warmupSeconds: warm, concurrency: 1 },
      ),
  };
}

function loopCase<T>(name: string, items: readonly T[], read: (x: T) => number): Case {
  return {
    name,
    run: (seconds, warm) =>
      closedLoop(
        async () => {
          let sum = 0;
          for (const x of items) sum += read(x);
          if (sum === -1) log('unreachable');
        },
        { seconds, warmupSeconds: warm, concurrency: 1 },
      ),
  };
}

const readCandle = (c: BacktestCandle) =>
  c.instrument + c.openTime + c.open.length + c.high.length + c.low.length + c.close.length + c.volume.length;
const readTrade = (t: Trade) =>
  t.venue.length + t.symbol.length + t.price.length + t.quantity.length + t.exchangeTime;

type Run = Awaited<ReturnType<typeof interleaved>>[number];
/** One op is a whole backtest (or loop) over `items`: rescale to items/s before rounding. */
function perItem(c: Run, items: number): Run {
  return {
    ...c,
    ops: c.ops * items,
    throughput: c.throughput * items,
    perRound: c.perRound.map((t) => t * items),
  };
}

const cases: Case[] = [
  loopCase('replay.candles', DATA, readCandle),
  backtestCase('backtest.candles.e2e', (view) => new TsSmaCrossover(view)),
  backtestCase('backtest.candles.e2e.eager-quotes', (view) => new TsSmaCrossover(view), true),
];
if (wasm) cases.push(backtestCase('backtest.candles.e2e.wasm', (view) => new WasmStrategy(wasm, { view })));
log(
  `candles: ${CANDLES} per op, ${ROUNDS} rounds, ${SECONDS * 0.6} s in total${wasm ? '' : ' (no sma-crossover.wasm: WASM case skipped)'}`,
);
const candleRuns = await interleaved(
  cases,
  { seconds: SECONDS * 0.6, rounds: ROUNDS, warmupSeconds: warmupFor(SECONDS * 0.6, ROUNDS) },
  log,
);
const base = perItem(candleRuns[0] as Run, CANDLES);
const results: BenchResult[] = [against(base, base, 'candles/s')];
for (const c of candleRuns.slice(1)) {
  results.push(
    against(perItem(c, CANDLES), base, 'candles/s', `${CANDLES} candles per backtest, ${lastOrders} orders`),
  );
}

log(`trades: ${TRADES} per op, ${SECONDS * 0.3} s in total`);
const tradeRuns = await interleaved(
  [
    loopCase('replay.trades', TRADE_DATA, readTrade),
    {
      name: 'backtest.trades.e2e',
      run: (seconds, warm) =>
        closedLoop(
          async () => {
            const r = await runBacktest(
              specFor('trades', tradeEnd),
              (view) => new TsSmaCrossover(view),
              TRADE_DATA,
              { yieldEvery: 1_000_000 },
            );
            if (r.status !== 'completed') throw new Error(`trades: ${r.status} ${r.reason}`);
          },
          { seconds, warmupSeconds: warm, concurrency: 1 },
        ),
    },
  ],
  { seconds: SECONDS * 0.3, rounds: ROUNDS, warmupSeconds: warmupFor(SECONDS * 0.3, ROUNDS) },
  log,
);
const tbase = perItem(tradeRuns[0] as Run, TRADES);
results.push(against(tbase, tbase, 'trades/s'));
results.push(
  against(perItem(tradeRuns[1] as Run, TRADES), tbase, 'trades/s', `${TRADES} trades per backtest`),
);

// A year of 1m candles, timed whole (twice; the faster counts, the slower is in the notes).
const yearTimes: number[] = [];
let yearOrders = 0;
for (let i = 0; i < 2; i++) {
  const t0 = performance.now();
  const r = await runBacktest(
    specFor('candles', T0 + YEAR * MINUTE),
    (view) => new TsSmaCrossover(view),
    YEAR_DATA,
    { yieldEvery: 1_000_000 },
  );
  yearTimes.push((performance.now() - t0) / 1000);
  yearOrders = r.metrics.orders;
  if (r.status !== 'completed') throw new Error(`year: ${r.status} ${r.reason}`);
}
const best = Math.min(...yearTimes);
const e2e = results[1] as BenchResult;
results.push({
  bench: 'backtest.candles.year',
  throughput: round(YEAR / best),
  unit: 'candles/s',
  p50_us: round(best * 1e6),
  p99_us: round(Math.max(...yearTimes) * 1e6),
  baseline: round(base.throughput),
  baseline_name: 'replay.candles',
  ratio: round(YEAR / best / base.throughput, 3),
  notes: `525,600 1m candles in ${yearTimes.map((s) => `${s.toFixed(2)} s`).join(' / ')} (goal < 0.3 s), ${yearOrders} orders; e2e ${e2e.throughput} candles/s`,
});

log('');
log(table(results));
for (const r of results) report(r);
