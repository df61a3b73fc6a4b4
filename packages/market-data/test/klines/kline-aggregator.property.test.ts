import { compareDecimal, type KlineInterval, klineInterval, klineSchema, type Trade } from '@qt/shared';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareKlines, intervalMs, KlineAggregator, recomputeKlines } from '../../src/klines/index.ts';
import { RecordingSink } from './fixtures.ts';

const T0 = 1_700_000_000_000;
const allIntervals: KlineInterval[] = [...klineInterval.options];

const priceArb = fc.constantFrom(
  '64000.12',
  '64000.1',
  '64000.10',
  '63999.99',
  '0.00001234',
  '1',
  '1.0',
  '250.5',
);
const qtyArb = fc.constantFrom('0.00100000', '0.015', '1', '2.5', '0.00000001', '12345.678', '0');

interface Planned {
  trade: Trade;
  arrival: number;
}

/** Trades with random exchange times, each delayed by up to `maxDelay` before it arrives. */
function streamArb(maxDelay: number) {
  return fc
    .array(
      fc.record({
        symbol: fc.constantFrom('BTC-USDT', 'ETH-USDT', 'SOL-USDT'),
        venue: fc.constantFrom('binance', 'okx'),
        dt: fc.integer({ min: 0, max: 700 }),
        delay: fc.integer({ min: 0, max: maxDelay }),
        price: priceArb,
        quantity: qtyArb,
        buy: fc.boolean(),
      }),
      { minLength: 1, maxLength: 200, size: 'medium' },
    )
    .map((rows) => {
      let t = T0 + 59_000;
      return rows.map((r, i): Planned => {
        t += r.dt;
        return {
          trade: {
            venue: r.venue,
            symbol: r.symbol,
            venueSymbol: r.symbol.replace('-', ''),
            tradeId: String(1000 + i),
            price: r.price,
            quantity: r.quantity,
            takerSide: r.buy ? 'buy' : 'sell',
            exchangeTime: t,
            receiveTime: t + r.delay,
          },
          arrival: t + r.delay,
        };
      });
    });
}

function finalCandles(sink: RecordingSink, interval: KlineInterval) {
  return [...sink.finalClosed().values()].filter((k) => k.interval === interval).sort(compareKlines);
}

function checkInvariants(sink: RecordingSink, accepted: number) {
  for (const e of sink.events) expect(klineSchema.parse(e.kline)).toEqual(e.kline);
  for (const interval of allIntervals) {
    const candles = finalCandles(sink, interval);
    expect(candles.reduce((n, k) => n + k.tradeCount, 0)).toBe(accepted);
    for (const k of candles) {
      expect(k.closeTime).toBe(k.openTime + intervalMs[interval] - 1);
      expect(k.openTime % intervalMs[interval]).toBe(0);
      for (const p of [k.open, k.close, k.low]) expect(compareDecimal(k.high, p)).toBeGreaterThanOrEqual(0);
      for (const p of [k.open, k.close]) expect(compareDecimal(k.low, p)).toBeLessThanOrEqual(0);
      expect(compareDecimal(k.takerBuyBaseVolume, k.baseVolume)).toBeLessThanOrEqual(0);
    }
  }
}

describe('KlineAggregator properties', () => {
  it('closes, for any arrival order within the lateness, exactly the candles recomputed from the trades', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 0, max: 3000 })
          .chain((lateness) =>
            fc.tuple(
              fc.constant(lateness),
              fc.oneof(fc.constant(0), fc.integer({ min: 0, max: lateness })),
              streamArb(lateness),
              fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 20 }),
              fc.option(fc.integer({ min: 0, max: 3000 }), { nil: undefined }),
            ),
          ),
        ([lateness, closeDelay, planned, batchSizes, clockGrace]) => {
          const sink = new RecordingSink();
          const agg = new KlineAggregator({
            sink,
            intervals: allIntervals,
            allowedLatenessMs: lateness,
            closeDelayMs: closeDelay,
            clockGraceMs: clockGrace ?? 1000,
          });
          const arrivals = [...planned].sort((a, b) => a.arrival - b.arrival);
          let i = 0;
          let b = 0;
          while (i < arrivals.length) {
            const size = batchSizes[b++ % batchSizes.length] ?? 1;
            const batch = arrivals.slice(i, i + size);
            i += size;
            agg.onTrades(batch.map((p) => p.trade));
            // The engine clock ticks at the latest arrival: a quiet symbol may be closed early.
            if (clockGrace !== undefined) agg.advanceTo((batch.at(-1) as Planned).arrival);
          }
          agg.advanceTo(T0 + 10 * 86_400_000);
          const trades = planned.map((p) => p.trade);
          expect(agg.metrics).toMatchObject({
            accepted: trades.length,
            tooLate: 0,
            malformed: 0,
            unsupported: 0,
          });
          for (const interval of allIntervals) {
            expect(finalCandles(sink, interval)).toEqual(recomputeKlines(trades, interval));
          }
          checkInvariants(sink, trades.length);
        },
      ),
      { numRuns: 100 },
    );
  }, 60_000);

  it('drops exactly the trades older than the lateness and agrees with the recomputation over the rest', () => {
    fc.assert(
      fc.property(
        streamArb(0),
        fc.integer({ min: 0, max: 2000 }),
        fc.array(fc.nat(), { minLength: 1 }),
        (planned, lateness, keys) => {
          // An arbitrary arrival order: a random permutation.
          const arrivals = planned
            .map((p, i) => ({ p, key: keys[i % keys.length] ?? 0, i }))
            .sort((a, b) => a.key - b.key || a.i - b.i)
            .map((x) => x.p.trade);
          const newest = new Map<string, number>();
          const accepted: Trade[] = [];
          for (const t of arrivals) {
            const key = `${t.venue}|${t.symbol}`;
            const max = newest.get(key) ?? Number.NEGATIVE_INFINITY;
            if (t.exchangeTime >= max - lateness) accepted.push(t);
            newest.set(key, Math.max(max, t.exchangeTime));
          }
          const sink = new RecordingSink();
          const agg = new KlineAggregator({ sink, intervals: allIntervals, allowedLatenessMs: lateness });
          agg.onTrades(arrivals);
          agg.advanceTo(T0 + 10 * 86_400_000);
          expect(agg.metrics.tooLate).toBe(arrivals.length - accepted.length);
          for (const interval of allIntervals) {
            expect(finalCandles(sink, interval)).toEqual(recomputeKlines(accepted, interval));
          }
          checkInvariants(sink, accepted.length);
        },
      ),
      { numRuns: 100 },
    );
  }, 60_000);
});
