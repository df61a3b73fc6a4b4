/**
 * Connector parse + normalise throughput, one venue at a time on one core, against bare `JSON.parse` of
 * the same frames (goal: >= 1,000,000 trades/s per venue, BENCHMARKS.md).
 *
 *   npx tsx bench/parse.bench.ts          (BENCH_SECONDS=10 per case by default, BENCH_ROUNDS=2)
 *
 * Frames: captured from @qt/exchange-sim (manual mode, fixed seed), over the very sockets a feed opens
 * (the adapter's connect URL and subscribe requests: Binance combined `/stream` `@trade`, OKX `trades`,
 * Bybit `publicTrade`), as the flat strings `ws` + `toString('utf8')` hand to the parser. Only frames
 * that carry trades are kept (acks dropped); each venue's set is replayed in a loop.
 *
 * Cases per venue, interleaved in rounds with a GC before each slice:
 *  - JSON.parse: `JSON.parse(frame)` and nothing else (the baseline; it does not even validate);
 *  - adapter.parse: `adapter.parse(frame, receiveTime)` -> normalised `Trade[]` + ids (what the goal is about);
 *  - parse + sequencer: the same plus `TradeSequencer.accept` (duplicate / gap check), i.e. all the
 *    per-frame work a feed does before `onTrades` (a fresh sequencer for each pass over the frames, so
 *    ids keep moving forward as they do live).
 * Throughput counts trades (not frames) for all three. Latency: every 32nd frame is timed alone with
 * `performance.now()` and recorded in nanoseconds (printed in us with decimals); the timer's own cost
 * (an empty timed call) is given in the notes and is included in the figures.
 */
import { startExchangeSim } from '@qt/exchange-sim';
import {
  createBinanceAdapter,
  createBybitAdapter,
  createOkxAdapter,
  TradeSequencer,
  type VenueAdapter,
} from '@qt/market-data';
import type { Histogram } from 'hdr-histogram-js';
import {
  against,
  type BenchResult,
  benchRounds,
  benchSeconds,
  type Case,
  interleaved,
  type LoadResult,
  latencyHistogram,
  report,
  round,
  table,
  warmupFor,
} from './lib/measure.ts';
import { openRawSocket, type RawSocket } from './lib/venue-sockets.ts';

const SECONDS = benchSeconds(10);
const ROUNDS = benchRounds(2);
const FRAMES = 8_192;
/** Trades per second per venue per symbol while capturing: a busy symbol (bursty, Hawkes arrivals). */
const CAPTURE_RATE = 500;
const SYMBOLS = ['BTC-USDT', 'ETH-USDT', 'SOL-USDT', 'XRP-USDT', 'BNB-USDT', 'DOGE-USDT'];
const SAMPLE_EVERY = 32;
const RECEIVE_TIME = 1_767_225_600_500;
const log = (line: string) => process.stdout.write(`${line}\n`);

type VenueName = 'binance' | 'okx' | 'bybit';
const adapters: Record<VenueName, () => VenueAdapter> = {
  binance: createBinanceAdapter,
  okx: createOkxAdapter,
  bybit: createBybitAdapter,
};

interface FrameSet {
  venue: VenueName;
  frames: string[];
  /** Trades in each frame (what the adapter returns for it). */
  trades: number[];
}

/** Captures FRAMES trade frames per venue from an in-process simulator stepped by hand. */
async function capture(): Promise<FrameSet[]> {
  const sim = await startExchangeSim({
    symbols: SYMBOLS,
    tradesPerSecond: CAPTURE_RATE,
    seed: 7,
    manual: true,
  });
  const urls = sim.urls[0];
  if (!urls) throw new Error('no simulator endpoint');
  const raw: Record<VenueName, string[]> = { binance: [], okx: [], bybit: [] };
  const sockets: RawSocket[] = [];
  try {
    for (const venue of Object.keys(adapters) as VenueName[]) {
      const a = adapters[venue]();
      a.registerSymbols(SYMBOLS);
      sockets.push(
        await openRawSocket(a, urls[venue].ws, SYMBOLS, (buf) => raw[venue].push(buf.toString('utf8'))),
      );
    }
    await sleep(300); // subscribe acks
    // Steps of 5 ms (the simulator's default tick) until every venue has enough frames (acks included).
    for (let step = 0; step < 200_000; step++) {
      sim.step(5);
      if (step % 20 === 19) {
        await sleep(5);
        if (Object.values(raw).every((f) => f.length > FRAMES + 16)) break;
      }
    }
    await sleep(100);
  } finally {
    for (const s of sockets) await s.close();
    await sim.stop();
  }
  return (Object.keys(adapters) as VenueName[]).map((venue) => {
    const a = adapters[venue]();
    a.registerSymbols(SYMBOLS);
    const frames: string[] = [];
    const trades: number[] = [];
    for (const f of raw[venue]) {
      const m = a.parse(f, RECEIVE_TIME);
      if (m.kind !== 'trades') continue;
      frames.push(f);
      trades.push(m.trades.length);
      if (frames.length === FRAMES) break;
    }
    if (frames.length < FRAMES) throw new Error(`${venue}: only ${frames.length} trade frames captured`);
    return { venue, frames, trades };
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let sink = 0;

/**
 * Runs `fn` over the frames in a loop: `warmupSeconds` unrecorded, then `seconds` counting trades, with
 * every SAMPLE_EVERY-th frame timed alone (ns). `onPass` runs between passes over the frame set, off the
 * clock of no frame (it is inside the throughput, as a feed would pay it too).
 */
function loop(
  set: FrameSet,
  fn: (frame: string, i: number) => number,
  seconds: number,
  warmupSeconds: number,
  onPass?: () => void,
): LoadResult {
  const { frames } = set;
  const n = frames.length;
  const warmEnd = performance.now() + warmupSeconds * 1000;
  while (performance.now() < warmEnd) {
    onPass?.();
    for (let i = 0; i < n; i++) sink += fn(frames[i] as string, i);
  }
  const histogram = latencyHistogram();
  let trades = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  let now = started;
  while (now < end) {
    onPass?.();
    for (let i = 0; i < n; i++) {
      const f = frames[i] as string;
      if (i % SAMPLE_EVERY === 0) {
        const t0 = performance.now();
        const k = fn(f, i);
        const t1 = performance.now();
        histogram.recordValue(Math.max(1, Math.round((t1 - t0) * 1e6)));
        trades += k;
      } else {
        trades += fn(f, i);
      }
    }
    now = performance.now();
  }
  sink += trades;
  return { ops: trades, seconds: (now - started) / 1000, histogram };
}

/** What an empty timed call costs (performance.now twice), ns at p50. */
function timerOverheadNs(): number {
  const h = latencyHistogram();
  for (let i = 0; i < 200_000; i++) {
    const t0 = performance.now();
    const t1 = performance.now();
    h.recordValue(Math.max(1, Math.round((t1 - t0) * 1e6)));
  }
  const p50 = h.getValueAtPercentile(50);
  h.destroy();
  return p50;
}

function cases(set: FrameSet): Case[] {
  const adapter = adapters[set.venue]();
  adapter.registerSymbols(SYMBOLS);
  const tradesIn = set.trades;
  const base: Case = {
    name: `${set.venue}: JSON.parse`,
    run: async (s, w) => loop(set, (f, i) => (JSON.parse(f) === null ? 0 : (tradesIn[i] as number)), s, w),
  };
  const parse: Case = {
    name: `${set.venue}: adapter.parse`,
    run: async (s, w) =>
      loop(
        set,
        (f) => {
          const m = adapter.parse(f, RECEIVE_TIME);
          return m.kind === 'trades' ? m.trades.length : 0;
        },
        s,
        w,
      ),
  };
  let sequencer = new TradeSequencer({ mode: adapter.sequencing });
  const noGap = () => {};
  const sequenced: Case = {
    name: `${set.venue}: parse + sequencer`,
    run: async (s, w) =>
      loop(
        set,
        (f) => {
          const m = adapter.parse(f, RECEIVE_TIME);
          return m.kind === 'trades' ? sequencer.accept(m.trades, m.ids, noGap).length : 0;
        },
        s,
        w,
        () => {
          sequencer = new TradeSequencer({ mode: adapter.sequencing });
        },
      ),
  };
  return [base, parse, sequenced];
}

/** The histograms hold nanoseconds: print them as microseconds with decimals. */
function inMicros(r: BenchResult, h: Histogram): BenchResult {
  return {
    ...r,
    p50_us: round(h.getValueAtPercentile(50) / 1000, 3),
    p99_us: round(h.getValueAtPercentile(99) / 1000, 3),
  };
}

async function main(): Promise<void> {
  log(`capturing ${FRAMES} trade frames per venue from the simulator (${CAPTURE_RATE} trades/s per symbol)`);
  const sets = await capture();
  const overhead = timerOverheadNs();
  const results: BenchResult[] = [];
  for (const set of sets) {
    const bytes = set.frames.reduce((n, f) => n + f.length, 0) / set.frames.length;
    const perFrame = set.trades.reduce((n, t) => n + t, 0) / set.trades.length;
    const about = `${set.frames.length} simulator frames (avg ${bytes.toFixed(0)} B, ${perFrame.toFixed(2)} trades/frame), ${SYMBOLS.length} symbols; latency: every ${SAMPLE_EVERY}th frame timed alone (timer cost ~${overhead} ns included)`;
    log(`${set.venue}: ${about}; ${SECONDS} s per case in ${ROUNDS} interleaved rounds`);
    const measured = await interleaved(
      cases(set),
      { seconds: SECONDS, rounds: ROUNDS, warmupSeconds: warmupFor(SECONDS, ROUNDS) },
      log,
    );
    const [base, ...rest] = measured;
    if (!base) throw new Error('no baseline');
    for (const c of [base, ...rest]) {
      const goal =
        c === base ? '' : `; goal >= 1,000,000 trades/s: ${c.throughput >= 1e6 ? 'met' : 'NOT met'}`;
      results.push(inMicros(against(c, base, 'trades/s', `${about}${goal}`), c.histogram));
      c.histogram.destroy();
    }
  }
  log('');
  log(table(results));
  for (const r of results)
    report({ ...r, bench: `parse: ${r.bench}`, baseline_name: `parse: ${r.baseline_name}` });
  if (sink === 42) log(''); // keep the results observable
}

main().catch((err: unknown) => {
  process.stderr.write(
    `parse bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
