/**
 * L2 order book: updates applied per second on one core, and the cost of OKX's checksum per update.
 *
 *   npx tsx bench/order-book.bench.ts          (BENCH_SECONDS=8 by default, in total)
 *
 * Updates are generated up front with a fixed seed (1,000,000 of them, as the venues' decimal strings) and
 * replayed in a loop against one `OrderBook` (packages/market-data/src/books) kept at ~1,000 levels per
 * side around a touch near 65,000.00 (BTC-USDT at a 0.01 tick): 20% removals, the rest inserts or size
 * changes. "near touch": prices within 50 ticks of the touch (what live diffs look like); "deep": uniform
 * over the 1,000 levels (the sorted-array worst case, each insert moving up to ~1,000 pointers).
 * `apply` includes parsing both strings to 10^-18 bigint units: it is the whole per-level cost a
 * synchroniser pays. "update + OKX checksum" applies one level then computes the top-25 CRC32, i.e. the
 * most a checksum can cost per update (OKX sends many levels per message; the checksum runs once per
 * message). Baseline, same run: a `Map` keyed by the price string (no order, no parsing): the cheapest
 * possible "book" and the ceiling an ordered exact book can approach.
 * Latency: every 64th operation timed with process.hrtime.bigint (values below 1 us read as 1 us).
 */

import { okxChecksum } from '../packages/market-data/src/books/okx-checksum.ts';
import { OrderBook } from '../packages/market-data/src/books/order-book.ts';
import {
  type BenchResult,
  benchRounds,
  benchSeconds,
  latencyHistogram,
  report,
  round,
  table,
} from './lib/measure.ts';

const SECONDS = benchSeconds(8);
const N = 1_000_000;
const LEVELS = 1000;
const TOUCH = 6_500_000; // ticks of 0.01
const SAMPLE_EVERY = 64;
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

const priceText = (ticks: number) => `${Math.floor(ticks / 100)}.${String(ticks % 100).padStart(2, '0')}`;

interface Updates {
  bid: Uint8Array;
  price: string[];
  qty: string[];
}

/** Bids below the touch, asks above it; `spread` ticks from the touch at most. */
function generate(seed: number, spread: number): Updates {
  const rnd = mulberry32(seed);
  const u: Updates = { bid: new Uint8Array(N), price: new Array(N), qty: new Array(N) };
  for (let i = 0; i < N; i++) {
    const bid = rnd() < 0.5;
    const off = 1 + Math.floor(rnd() * spread);
    u.bid[i] = bid ? 1 : 0;
    u.price[i] = priceText(bid ? TOUCH - off : TOUCH + off);
    u.qty[i] = rnd() < 0.2 ? '0' : `0.${String(1 + Math.floor(rnd() * 99_999)).padStart(5, '0')}`;
  }
  return u;
}

function seeded(): OrderBook {
  const book = new OrderBook();
  for (let i = 1; i <= LEVELS; i++) {
    book.apply('bid', priceText(TOUCH - i), '1.5');
    book.apply('ask', priceText(TOUCH + i), '1.5');
  }
  return book;
}

interface Run {
  ops: number;
  seconds: number;
}

function loop(seconds: number, step: (i: number) => void, hist?: ReturnType<typeof latencyHistogram>): Run {
  let ops = 0;
  let i = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  for (;;) {
    for (let n = 0; n < 4096; n++) {
      if (i === N) i = 0;
      if (hist && (ops & (SAMPLE_EVERY - 1)) === 0) {
        const t0 = process.hrtime.bigint();
        step(i);
        hist.recordValue(Math.max(1, Number(process.hrtime.bigint() - t0) / 1000));
      } else step(i);
      i++;
      ops++;
    }
    if (performance.now() >= end) break;
  }
  return { ops, seconds: (performance.now() - started) / 1000 };
}

interface Case {
  name: string;
  updates: Updates;
  make(u: Updates): (i: number) => void;
}

const near = generate(1, 50);
const deep = generate(2, LEVELS);
let sink = 0;

const cases: Case[] = [
  {
    name: 'baseline: Map by price string',
    updates: near,
    make: (u) => {
      const bids = new Map<string, string>();
      const asks = new Map<string, string>();
      return (i) => {
        const m = u.bid[i] === 1 ? bids : asks;
        if (u.qty[i] === '0') m.delete(u.price[i] as string);
        else m.set(u.price[i] as string, u.qty[i] as string);
      };
    },
  },
  {
    name: 'book apply, near touch',
    updates: near,
    make: (u) => {
      const book = seeded();
      return (i) => book.apply(u.bid[i] === 1 ? 'bid' : 'ask', u.price[i] as string, u.qty[i] as string);
    },
  },
  {
    name: 'book apply, deep (uniform over 1,000 levels)',
    updates: deep,
    make: (u) => {
      const book = seeded();
      return (i) => book.apply(u.bid[i] === 1 ? 'bid' : 'ask', u.price[i] as string, u.qty[i] as string);
    },
  },
  {
    name: 'book apply + OKX checksum (top 25)',
    updates: near,
    make: (u) => {
      const book = seeded();
      return (i) => {
        book.apply(u.bid[i] === 1 ? 'bid' : 'ask', u.price[i] as string, u.qty[i] as string);
        sink ^= okxChecksum(book);
      };
    },
  },
  {
    name: 'OKX checksum alone (top 25)',
    updates: near,
    make: () => {
      const book = seeded();
      return () => {
        sink ^= okxChecksum(book);
      };
    },
  },
];

const ROUNDS = benchRounds(3);
const slice = SECONDS / cases.length / ROUNDS;
const steps = cases.map((c) => c.make(c.updates));
const acc = cases.map(() => ({ ops: 0, seconds: 0, perRound: [] as number[], hist: latencyHistogram() }));
// Warm-up, unmeasured.
for (const step of steps) loop(Math.min(0.3, slice), step);
for (let r = 0; r < ROUNDS; r++) {
  for (const [k, c] of cases.entries()) {
    const a = acc[k] as (typeof acc)[number];
    const res = loop(slice, steps[k] as (i: number) => void, a.hist);
    a.ops += res.ops;
    a.seconds += res.seconds;
    a.perRound.push(res.ops / res.seconds);
    log(`  round ${r + 1}/${ROUNDS} ${c.name}: ${round(res.ops / res.seconds / 1e6, 2)}M/s`);
  }
}

const base = acc[0] as (typeof acc)[number];
const baseRate = base.ops / base.seconds;
const results: BenchResult[] = cases.map((c, k) => {
  const a = acc[k] as (typeof acc)[number];
  const rate = a.ops / a.seconds;
  const ratios = a.perRound.map((t, i) => t / (base.perRound[i] as number));
  return {
    bench: `order-book: ${c.name}`,
    throughput: round(rate),
    unit: k >= 3 ? 'checksums/s' : 'updates/s',
    p50_us: a.hist.getValueAtPercentile(50),
    p99_us: a.hist.getValueAtPercentile(99),
    baseline: round(baseRate),
    baseline_name: `order-book: ${(cases[0] as Case).name}`,
    ratio: round(rate / baseRate, 3),
    ratio_range: [round(Math.min(...ratios), 3), round(Math.max(...ratios), 3)],
  };
});
const applyRate = (acc[1] as (typeof acc)[number]).ops / (acc[1] as (typeof acc)[number]).seconds;
const withCs = (acc[3] as (typeof acc)[number]).ops / (acc[3] as (typeof acc)[number]).seconds;
const csCostNs = 1e9 / withCs - 1e9 / applyRate;
(results[3] as BenchResult).notes =
  `checksum cost per update ~${round(csCostNs)} ns (apply+checksum minus apply)`;
for (const r of results) report(r);
log('');
log(table(results));
log(
  `\ngoal >= 1M updates/s/core: near touch ${round(applyRate / 1e6, 2)}M/s; checksum ~${round(csCostNs)} ns per update (sink ${sink & 1})`,
);
