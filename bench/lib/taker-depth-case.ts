/**
 * matching.bench.ts's taker case: market orders walking a live 50-level L2 book (the engine's path:
 * OrderBook -> bookDepthSource -> the matcher's walk), against the same orders walking the modelled depth
 * (no book). The stream, generated up front with a fixed seed: market orders of 0.01..2 BTC, buys and
 * sells alternating at random (walking ~1..15 book levels), and every 10th order a book change (one
 * level's size, reported as a book reset so what our takers took is forgotten and the book never runs dry)
 * with a new quote.
 * Interleaved in rounds, so both cases see the same machine load; the ratio is depth / model.
 */
import { type Instrument, ManualClock, type Quote } from '@qt/shared';
import { bookDepthSource } from '../../apps/engine/src/trading/book-depth.ts';
import { OrderBook } from '../../packages/market-data/src/books/order-book.ts';
import { parseAmount } from '../../packages/trading/src/amounts.ts';
import { type MatchOrderRequest, PaperMatchingEngine } from '../../packages/trading/src/matching/index.ts';
import { type BenchResult, latencyHistogram, round } from './measure.ts';

const LEVELS = 50;
const ORDERS = 2_000;
const MID = 5_000_000; // 50,000.00 in cents
const T0 = 1_700_000_000_000;

const price = (c: number) => `${Math.floor(c / 100)}.${String(c % 100).padStart(2, '0')}`;
const size = (lots: number) => `${Math.floor(lots / 100_000)}.${String(lots % 100_000).padStart(5, '0')}`;

type Step = { k: 'order'; order: MatchOrderRequest } | { k: 'change'; level: number; lots: number };

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

function generate(): Step[] {
  const rnd = mulberry32(11);
  const out: Step[] = [];
  for (let i = 0; i < ORDERS; i++) {
    if (i % 10 === 0)
      out.push({ k: 'change', level: Math.floor(rnd() * LEVELS), lots: 5_000 + Math.floor(rnd() * 45_000) });
    out.push({
      k: 'order',
      order: {
        // A market order always fills completely and leaves the matcher's index: ids can repeat per pass.
        orderId: `m${i}`,
        accountId: 'acc-0',
        venue: 'binance',
        symbol: 'BTC-USDT',
        side: rnd() < 0.5 ? 'buy' : 'sell',
        type: 'market',
        quantity: parseAmount(size(1_000 + Math.floor(rnd() * 199_000))),
      },
    });
  }
  return out;
}

export function runTakerDepthCase(seconds: number, instrument: Instrument): BenchResult {
  const steps = generate();
  const quote = (t: number): Quote => ({
    venue: 'binance',
    symbol: 'BTC-USDT',
    bidPrice: price(MID - 1),
    bidSize: '0.2',
    askPrice: price(MID + 1),
    askSize: '0.2',
    exchangeTime: t,
    receiveTime: t,
  });
  const make = (withDepth: boolean) => {
    const clock = new ManualClock(T0);
    const book = new OrderBook();
    let version = 0;
    const rnd = mulberry32(3);
    // 50 levels a side, 1..3 ticks apart, 0.05..0.5 BTC each: all well within the 50 bps cap.
    for (let i = 0, a = MID + 1, b = MID - 1; i < LEVELS; i++) {
      book.apply('ask', price(a), size(5_000 + Math.floor(rnd() * 45_000)));
      book.apply('bid', price(b), size(5_000 + Math.floor(rnd() * 45_000)));
      a += 1 + Math.floor(rnd() * 3);
      b -= 1 + Math.floor(rnd() * 3);
    }
    let fills = 0;
    const m = new PaperMatchingEngine({
      clock,
      onEvent: (e) => {
        if (e.type === 'orderFilled') fills++;
      },
    });
    m.setInstrument(instrument);
    if (withDepth) {
      m.setDepthSource(
        'binance',
        'BTC-USDT',
        bookDepthSource(
          { liveBook: () => book, bookResets: () => version, bookAgeMs: () => 0 },
          'binance',
          'BTC-USDT',
        ),
      );
    }
    // Trade flow for the model's level depth and spacing.
    for (let i = 0; i < 60; i++) {
      m.onTrade({
        venue: 'binance',
        symbol: 'BTC-USDT',
        venueSymbol: 'BTCUSDT',
        tradeId: String(i),
        price: price(MID + (i % 5) - 2),
        quantity: '0.1',
        takerSide: i % 2 === 0 ? 'buy' : 'sell',
        exchangeTime: T0,
        receiveTime: T0,
      });
    }
    m.onQuote(quote(T0));
    const asks = book.top('ask', LEVELS).map((l) => l.price);
    const step = (s: Step) => {
      if (s.k === 'order') m.placeOrder(s.order);
      else {
        book.apply('ask', asks[s.level] as string, size(s.lots));
        version++;
        m.onQuote(quote(T0));
      }
    };
    return { step, fills: () => fills };
  };

  const hist = { depth: latencyHistogram(), model: latencyHistogram() };
  const time = { depth: 0, model: 0 };
  const orders = { depth: 0, model: 0 };
  const fillCount = { depth: 0, model: 0 };
  const ratios: number[] = [];
  // Warm-up, unmeasured: one pass of each.
  for (const withDepth of [false, true]) {
    const c = make(withDepth);
    for (const st of steps) c.step(st);
  }
  const rounds = 4;
  for (let r = 0; r < rounds; r++) {
    const perRound: Record<'depth' | 'model', number> = { depth: 0, model: 0 };
    for (const which of ['model', 'depth'] as const) {
      const end = performance.now() + (seconds * 500) / rounds;
      let n = 0;
      let ms = 0;
      while (performance.now() < end) {
        const c = make(which === 'depth');
        const t0 = performance.now();
        for (let i = 0; i < steps.length; i++) {
          const s = steps[i] as Step;
          if (s.k === 'order' && (i & 63) === 1) {
            const h0 = process.hrtime.bigint();
            c.step(s);
            hist[which].recordValue(Math.max(1, Number(process.hrtime.bigint() - h0) / 1000));
          } else c.step(s);
          if (s.k === 'order') n++;
        }
        ms += performance.now() - t0;
        fillCount[which] += c.fills();
      }
      time[which] += ms;
      orders[which] += n;
      perRound[which] = n / ms;
    }
    ratios.push(perRound.depth / perRound.model);
  }
  const depthRate = (orders.depth / time.depth) * 1000;
  const modelRate = (orders.model / time.model) * 1000;
  return {
    bench: 'matching.takers-depth50',
    throughput: round(depthRate),
    unit: 'market orders/s',
    p50_us: hist.depth.getValueAtPercentile(50),
    p99_us: hist.depth.getValueAtPercentile(99),
    baseline: round(modelRate),
    baseline_name: 'the same orders on modelled depth (no book)',
    ratio: round(depthRate / modelRate, 3),
    ratio_range: [round(Math.min(...ratios), 3), round(Math.max(...ratios), 3)],
    notes:
      `${round(fillCount.depth / orders.depth, 2)} fills per order on the book, ` +
      `${round(fillCount.model / orders.model, 2)} modelled; model p50 ${hist.model.getValueAtPercentile(50)} us ` +
      `p99 ${hist.model.getValueAtPercentile(99)} us`,
  };
}
