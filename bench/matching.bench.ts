/**
 * Paper matching core: order events through the matcher with 100,000 resting orders on one symbol.
 *
 *   npx tsx bench/matching.bench.ts          (BENCH_SECONDS=10 by default, in total)
 *
 * The stream is generated up front with a fixed seed (orders in amount units, as the order path's entry
 * point parses them once before the matcher): 50% market trades (price a mean-reverting random
 * walk within +/-50 ticks of the start, so trades keep crossing and filling the resting orders near the
 * touch), 20% quotes around the walk, 15% new GTC limit orders on the passive side (half within 20
 * ticks of the walk, half up to 2,000 ticks away), 1% market orders, 14% cancels of earlier orders (some
 * already filled: a cancel that finds nothing is still an event). The book is pre-filled with 100,000
 * resting limit orders (25 per tick on 2,000 ticks each side); placements, cancels and fills keep it near
 * that size (the notes say the range seen). Every `onTrade` / `onQuote` / `placeOrder` / `cancelOrder`
 * call counts as one order event; the events the matcher emits (accepted, filled, ...) are counted in
 * `notes`. Each pass of the stream runs on a fresh, pre-filled matcher (built outside the timed part),
 * so every pass does the same work.
 *
 * Latency: every 64th event is timed with process.hrtime.bigint (call in -> call out, fills included);
 * placements are also timed on their own (the seed's floor: 1,000 orders/s at p99 < 10 ms). Baseline:
 * the same loop that only reads the fields of the same events, with the same sampling. A second case
 * replays only the trades, the pure market-data path against the same book. A third
 * (`matching.takers-depth50`, bench/lib/taker-depth-case.ts) times market orders walking a live 50-level
 * L2 book against the same orders on modelled depth: its ratio is depth / model.
 */
import { runInNewContext } from 'node:vm';
import { type Instrument, ManualClock, type Quote, type Trade } from '@qt/shared';
import { parseAmount } from '../packages/trading/src/amounts.ts';
import {
  type MatchingEvent,
  type MatchOrderRequest,
  PaperMatchingEngine,
} from '../packages/trading/src/matching/index.ts';
import { type BenchResult, benchSeconds, latencyHistogram, report, round, table } from './lib/measure.ts';
import { runTakerDepthCase } from './lib/taker-depth-case.ts';

const SECONDS = benchSeconds(10);
const EVENTS = 1_000_000;
const RESTING = 100_000;
const LEVELS_PER_SIDE = 2_000;
const SAMPLE_EVERY = 64;
const MID = 5_000_000; // 50,000.00 in cents
const T0 = 1_700_000_000_000;
// bench/lib/measure.ts enables --expose-gc at import; a full collection before each pass keeps the
// previous pass's matcher (100,000 orders) from being collected on the measured time.
const collectGarbage = runInNewContext('gc') as () => void;
const log = (line: string) => process.stdout.write(`${line}\n`);

const INSTRUMENT: Instrument = {
  venue: 'binance',
  symbol: 'BTC-USDT',
  venueSymbol: 'BTCUSDT',
  base: 'BTC',
  quote: 'USDT',
  tickSize: '0.01',
  lotSize: '0.00001',
  minNotional: '5',
  status: 'trading',
};

type Event =
  | { k: 0; time: number; trade: Trade }
  | { k: 1; time: number; quote: Quote }
  | { k: 2; time: number; order: MatchOrderRequest }
  | { k: 3; time: number; accountId: string; orderId: string };

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

/** Whole cents as a decimal string; integer arithmetic only. */
const price = (c: number) => `${Math.floor(c / 100)}.${String(c % 100).padStart(2, '0')}`;
/** Whole lots (10^-5) as a decimal string. */
const size = (lots: number) => `${Math.floor(lots / 100_000)}.${String(lots % 100_000).padStart(5, '0')}`;

const ACCOUNTS = Array.from({ length: 100 }, (_, i) => `acc-${i}`);

function limit(
  id: string,
  account: string,
  side: 'buy' | 'sell',
  cents: number,
  lots: number,
): MatchOrderRequest {
  return {
    orderId: id,
    accountId: account,
    venue: 'binance',
    symbol: 'BTC-USDT',
    side,
    type: 'limit',
    quantity: parseAmount(size(lots)),
    price: parseAmount(price(cents)),
    timeInForce: 'GTC',
  };
}

function prefill(): MatchOrderRequest[] {
  const rnd = mulberry32(7);
  const out: MatchOrderRequest[] = [];
  const perLevel = RESTING / (2 * LEVELS_PER_SIDE);
  for (let level = 1; level <= LEVELS_PER_SIDE; level++) {
    for (let j = 0; j < perLevel; j++) {
      const lots = 1_000 + Math.floor(rnd() * 50_000);
      const n = out.length;
      out.push(limit(`p${n}`, ACCOUNTS[n % 100] as string, 'buy', MID - level, lots));
      out.push(limit(`p${n + 1}`, ACCOUNTS[(n + 1) % 100] as string, 'sell', MID + level, lots));
    }
  }
  return out;
}

function generate(seed: number): Event[] {
  const rnd = mulberry32(seed);
  const out: Event[] = new Array(EVENTS);
  const placed: Array<[string, string]> = [];
  let walk = 0;
  for (let i = 0; i < EVENTS; i++) {
    const time = T0 + Math.floor(i / 1000); // 1,000,000 events per second of event time
    const r = rnd();
    if (r < 0.5) {
      const revert = walk > 50 ? -1 : walk < -50 ? 1 : 0;
      walk += revert !== 0 ? revert : Math.floor(rnd() * 3) - 1;
      out[i] = {
        k: 0,
        time,
        trade: {
          venue: 'binance',
          symbol: 'BTC-USDT',
          venueSymbol: 'BTCUSDT',
          tradeId: String(i),
          price: price(MID + walk),
          quantity: size(1 + Math.floor(rnd() * 50_000)),
          takerSide: rnd() < 0.5 ? 'buy' : 'sell',
          exchangeTime: time,
          receiveTime: time,
        },
      };
    } else if (r < 0.7) {
      out[i] = {
        k: 1,
        time,
        quote: {
          venue: 'binance',
          symbol: 'BTC-USDT',
          bidPrice: price(MID + walk - 1),
          bidSize: size(1 + Math.floor(rnd() * 200_000)),
          askPrice: price(MID + walk + 1),
          askSize: size(1 + Math.floor(rnd() * 200_000)),
          exchangeTime: time,
          receiveTime: time,
        },
      };
    } else if (r < 0.86) {
      const id = `o${i}`;
      const account = ACCOUNTS[i % 100] as string;
      const side = rnd() < 0.5 ? 'buy' : 'sell';
      const lots = 1_000 + Math.floor(rnd() * 50_000);
      if (r < 0.71) {
        out[i] = {
          k: 2,
          time,
          order: {
            orderId: id,
            accountId: account,
            venue: 'binance',
            symbol: 'BTC-USDT',
            side,
            type: 'market',
            quantity: parseAmount(size(lots)),
          },
        };
      } else {
        const away = rnd() < 0.5 ? 1 + Math.floor(rnd() * 20) : 1 + Math.floor(rnd() * LEVELS_PER_SIDE);
        out[i] = {
          k: 2,
          time,
          order: limit(id, account, side, MID + walk + (side === 'buy' ? -away : away), lots),
        };
        placed.push([account, id]);
      }
    } else {
      const [accountId, orderId] = placed[Math.floor(rnd() * placed.length)] ?? ['acc-0', 'none'];
      out[i] = { k: 3, time, accountId, orderId };
    }
  }
  return out;
}

interface Counters {
  out: number;
  fills: number;
}

type Hist = ReturnType<typeof latencyHistogram>;

interface Run {
  ops: number;
  seconds: number;
  minResting: number;
  maxResting: number;
}

/**
 * Replays `events` through `step` for `seconds`; `reset` runs (untimed) before each pass. Returns the
 * measured time only.
 */
function replay(
  events: readonly Event[],
  seconds: number,
  step: (e: Event) => void,
  reset: () => void,
  hist: Hist | undefined,
  placeHist: Hist | undefined,
  resting: () => number,
  onPassEnd: () => void = () => {},
): Run {
  let ops = 0;
  let measured = 0;
  let minResting = Number.POSITIVE_INFINITY;
  let maxResting = 0;
  while (measured < seconds * 1000) {
    reset();
    collectGarbage();
    const started = performance.now();
    const end = started + seconds * 1000 - measured;
    let i = 0;
    while (i < events.length) {
      const stop = Math.min(events.length, i + 4096);
      for (; i < stop; i++) {
        const e = events[i] as Event;
        if ((ops & (SAMPLE_EVERY - 1)) === 0 && hist) {
          const t0 = process.hrtime.bigint();
          step(e);
          hist.recordValue(Math.max(1, Number(process.hrtime.bigint() - t0) / 1000));
        } else if (e.k === 2 && placeHist && (ops & 15) === 0) {
          const t0 = process.hrtime.bigint();
          step(e);
          placeHist.recordValue(Math.max(1, Number(process.hrtime.bigint() - t0) / 1000));
        } else step(e);
        ops++;
      }
      if (performance.now() >= end) break;
      const n = resting();
      if (n < minResting) minResting = n;
      if (n > maxResting) maxResting = n;
    }
    measured += performance.now() - started;
    onPassEnd();
  }
  return { ops, seconds: measured / 1000, minResting, maxResting };
}

interface CaseResult {
  result: BenchResult;
  base: BenchResult;
}

function runCase(
  name: string,
  events: readonly Event[],
  fill: readonly MatchOrderRequest[],
  seconds: number,
): CaseResult {
  const counters: Counters = { out: 0, fills: 0 };
  let passClock = new ManualClock(T0);
  let engine: PaperMatchingEngine | undefined;
  // Each pass runs a fresh matcher on its own clock from T0, so the stream's times apply as they are.
  const step = (e: Event) => {
    const m = engine as PaperMatchingEngine;
    if (e.time > passClock.now()) passClock.set(e.time);
    switch (e.k) {
      case 0:
        m.onTrade(e.trade);
        break;
      case 1:
        m.onQuote(e.quote);
        break;
      case 2:
        m.placeOrder(e.order);
        break;
      case 3:
        m.cancelOrder(e.accountId, e.orderId);
        break;
    }
  };
  let checksum = 0;
  const read = (e: Event) => {
    if (e.time > passClock.now()) passClock.set(e.time);
    switch (e.k) {
      case 0:
        checksum +=
          e.trade.price.length + e.trade.quantity.length + e.trade.venue.length + e.trade.symbol.length;
        break;
      case 1:
        checksum += e.quote.bidPrice.length + e.quote.askPrice.length + e.quote.bidSize.length;
        break;
      case 2:
        checksum += e.order.orderId.length + (e.order.quantity > 0n ? 1 : 0) + (e.order.price ? 1 : 0);
        break;
      case 3:
        checksum += e.accountId.length + e.orderId.length;
        break;
    }
  };
  const freshFor = () => {
    passClock = new ManualClock(T0);
    engine = new PaperMatchingEngine({
      clock: passClock,
      onEvent: (ev: MatchingEvent) => {
        counters.out++;
        if (ev.type === 'orderFilled') counters.fills++;
      },
    });
    engine.setInstrument(INSTRUMENT);
    engine.onQuote({
      venue: 'binance',
      symbol: 'BTC-USDT',
      bidPrice: price(MID - 1),
      bidSize: '1',
      askPrice: price(MID + 1),
      askSize: '1',
      exchangeTime: T0,
      receiveTime: T0,
    });
    for (const o of fill) engine.placeOrder(o);
    counters.out = 0; // count what the measured events cause, not the pre-fill
    counters.fills = 0;
  };
  const resting = () => engine?.restingCount('binance', 'BTC-USDT') ?? 0;
  // Warm-up, unmeasured.
  replay(events, Math.min(1, seconds / 5), step, freshFor, undefined, undefined, resting);
  const hist = latencyHistogram();
  const baseHist = latencyHistogram();
  const placeHist = latencyHistogram();
  let out = 0;
  let fills = 0;
  const rounds = 2;
  let a: Run = { ops: 0, seconds: 0, minResting: Number.POSITIVE_INFINITY, maxResting: 0 };
  let b: Run = { ops: 0, seconds: 0, minResting: 0, maxResting: 0 };
  for (let r = 0; r < rounds; r++) {
    const x = replay(events, (seconds * 0.8) / rounds, step, freshFor, hist, placeHist, resting, () => {
      out += counters.out;
      fills += counters.fills;
    });
    const y = replay(
      events,
      (seconds * 0.2) / rounds,
      read,
      () => {
        passClock = new ManualClock(T0);
      },
      baseHist,
      undefined,
      () => 0,
    );
    a = {
      ops: a.ops + x.ops,
      seconds: a.seconds + x.seconds,
      minResting: Math.min(a.minResting, x.minResting),
      maxResting: Math.max(a.maxResting, x.maxResting),
    };
    b = { ops: b.ops + y.ops, seconds: b.seconds + y.seconds, minResting: 0, maxResting: 0 };
  }
  if (checksum === 42) log('(checksum)');
  const throughput = a.ops / a.seconds;
  const baseline = b.ops / b.seconds;
  const result: BenchResult = {
    bench: name,
    throughput: round(throughput),
    unit: 'order events/s',
    p50_us: hist.getValueAtPercentile(50),
    p99_us: hist.getValueAtPercentile(99),
    baseline: round(baseline),
    baseline_name: 'read the same events',
    ratio: round(throughput / baseline, 3),
    notes:
      `resting orders ${a.minResting}..${a.maxResting}; ${round(out / a.ops, 3)} matcher events and ` +
      `${round(fills / a.ops, 3)} fills per input event; placement p50 ${placeHist.getValueAtPercentile(50)} us ` +
      `p99 ${placeHist.getValueAtPercentile(99)} us (${placeHist.totalCount} sampled)`,
  };
  const base: BenchResult = {
    ...result,
    bench: `${name}.baseline`,
    throughput: round(baseline),
    p50_us: baseHist.getValueAtPercentile(50),
    p99_us: baseHist.getValueAtPercentile(99),
    ratio: 1,
    notes: 'the same events, fields read only',
  };
  return { result, base };
}

const fill = prefill();
const events = generate(42);
const results: BenchResult[] = [];
const cases: Array<[string, readonly Event[], number]> = [
  ['matching.order-events', events, 0.5],
  ['matching.trades-only', events.filter((e) => e.k === 0), 0.3],
];
for (const [name, stream, share] of cases) {
  log(`${name}: ${stream.length} events, ${RESTING} resting orders, for ${(SECONDS * share).toFixed(1)} s`);
  const { result } = runCase(name, stream, fill, SECONDS * share);
  results.push(result);
  report(result);
}
log(
  `matching.takers-depth50: market orders on a 50-level book vs modelled depth, for ${(SECONDS * 0.2).toFixed(1)} s`,
);
const takers = runTakerDepthCase(SECONDS * 0.2, INSTRUMENT);
results.push(takers);
report(takers);
log(table(results));
