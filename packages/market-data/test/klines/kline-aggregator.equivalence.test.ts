import { type Kline, type KlineInterval, klineInterval, type Trade } from '@qt/shared';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareKlines, KlineAggregator, type KlineSink, recomputeKlines } from '../../src/klines/index.ts';
import { PerIntervalKlineAggregator } from './per-interval-aggregator.ts';

const T0 = 1_700_000_000_000;
const allIntervals: KlineInterval[] = [...klineInterval.options];

/** Every call's output, in order: what a consumer of the sink (publisher, persister, chart) sees. */
class Log implements KlineSink {
  readonly events: string[] = [];
  readonly closed = new Map<string, Kline>();
  klineUpdated(k: Kline): void {
    this.events.push(`u ${JSON.stringify(k)}`);
  }
  klineClosed(k: Kline, revision: number): void {
    this.events.push(`c${revision} ${JSON.stringify(k)}`);
    this.closed.set(`${k.venue}|${k.symbol}|${k.interval}|${k.openTime}`, k);
  }
  mark(what: string): void {
    this.events.push(`-- ${what}`);
  }
}

const priceArb = fc.constantFrom(
  '64000.12',
  '64000.1',
  '64000.10',
  '63999.99',
  '0.00001234',
  '1',
  '1.0',
  '7',
);
const qtyArb = fc.constantFrom(
  '0.00100000',
  '0.015',
  '1',
  '2.5',
  '0.00000001',
  '12345.678',
  '0',
  '9007199254',
);
const idArb = fc.oneof(
  { weight: 8, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constantFrom('a1', 'b', '007', '12345678901234567890') },
);

type Step =
  | { kind: 'trade'; trade: Trade }
  | { kind: 'flush' }
  | { kind: 'advance'; now: number }
  | { kind: 'snapshot'; symbol: string };

/** Trades over many symbols, mostly in time order, some late (some beyond the lateness), with time jumps. */
function scriptArb(lateness: number) {
  return fc
    .array(
      fc.oneof(
        {
          weight: 20,
          arbitrary: fc.record({
            kind: fc.constant('trade' as const),
            symbol: fc.integer({ min: 0, max: 39 }),
            venue: fc.constantFrom('binance', 'okx'),
            dt: fc.oneof(
              { weight: 10, arbitrary: fc.integer({ min: 0, max: 120 }) },
              { weight: 1, arbitrary: fc.integer({ min: 0, max: 400_000 }) },
            ),
            late: fc.oneof(
              { weight: 6, arbitrary: fc.constant(0) },
              { weight: 2, arbitrary: fc.integer({ min: 0, max: lateness }) },
              { weight: 1, arbitrary: fc.integer({ min: 0, max: lateness + 2000 }) },
            ),
            price: priceArb,
            quantity: qtyArb,
            buy: fc.boolean(),
            id: idArb,
          }),
        },
        { weight: 3, arbitrary: fc.constant({ kind: 'flush' as const }) },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant('advance' as const), ahead: fc.nat(5000) }) },
        {
          weight: 1,
          arbitrary: fc.record({
            kind: fc.constant('snapshot' as const),
            symbol: fc.integer({ min: 0, max: 39 }),
          }),
        },
      ),
      { minLength: 1, maxLength: 400 },
    )
    .map((rows) => {
      let t = T0 + 59_500;
      let seq = 0;
      return rows.map((r): Step => {
        if (r.kind === 'flush') return r;
        if (r.kind === 'advance') return { kind: 'advance', now: t + r.ahead };
        if (r.kind === 'snapshot') return { kind: 'snapshot', symbol: `S${r.symbol}-USDT` };
        t += r.dt;
        seq += 1;
        const symbol = `S${r.symbol}-USDT`;
        return {
          kind: 'trade',
          trade: {
            venue: r.venue,
            symbol,
            venueSymbol: symbol.replace('-', ''),
            tradeId: r.id ?? String(1000 + seq),
            price: r.price,
            quantity: r.quantity,
            takerSide: r.buy ? 'buy' : 'sell',
            exchangeTime: Math.max(0, t - r.late),
            receiveTime: t,
          },
        };
      });
    });
}

const configArb = fc
  .record({
    lateness: fc.integer({ min: 0, max: 3000 }),
    delayShare: fc.oneof(fc.constant(1), fc.constant(0), fc.double({ min: 0, max: 1, noNaN: true })),
    clockGrace: fc.integer({ min: 0, max: 2000 }),
    intervals: fc.subarray(allIntervals, { minLength: 1 }),
  })
  .map((c) => ({ ...c, closeDelay: Math.floor(c.lateness * c.delayShare) }));

function run(
  agg: Pick<KlineAggregator, 'onTrade' | 'flush' | 'advanceTo' | 'snapshot' | 'metrics'>,
  log: Log,
  steps: Step[],
) {
  for (const step of steps) {
    if (step.kind === 'trade') log.mark(`trade ${agg.onTrade(step.trade)}`);
    else if (step.kind === 'flush') agg.flush();
    else if (step.kind === 'advance') agg.advanceTo(step.now);
    else log.mark(JSON.stringify(agg.snapshot('binance', step.symbol)));
  }
  agg.advanceTo(T0 + 30 * 86_400_000);
  log.mark(JSON.stringify(agg.metrics));
}

describe('KlineAggregator (coarser intervals folded from the finest)', () => {
  it('emits, call for call, exactly what the per-interval aggregator emits', () => {
    fc.assert(
      fc.property(
        configArb.chain((c) => fc.tuple(fc.constant(c), scriptArb(c.lateness))),
        ([c, steps]) => {
          const options = {
            intervals: c.intervals,
            allowedLatenessMs: c.lateness,
            closeDelayMs: c.closeDelay,
            clockGraceMs: c.clockGrace,
          };
          const want = new Log();
          const got = new Log();
          run(new PerIntervalKlineAggregator({ ...options, sink: want }), want, steps);
          run(new KlineAggregator({ ...options, sink: got }), got, steps);
          expect(got.events).toEqual(want.events);
        },
      ),
      { numRuns: 300 },
    );
  }, 120_000);

  it('closes, over many symbols, the candles a naive per-interval recomputation makes', () => {
    fc.assert(
      fc.property(
        configArb.chain((c) => fc.tuple(fc.constant(c), scriptArb(c.lateness))),
        ([c, steps]) => {
          const log = new Log();
          const agg = new KlineAggregator({
            sink: log,
            intervals: c.intervals,
            allowedLatenessMs: c.lateness,
            closeDelayMs: c.closeDelay,
            clockGraceMs: c.clockGrace,
          });
          const accepted: Trade[] = [];
          for (const step of steps) {
            if (step.kind === 'trade' && agg.onTrade(step.trade)) accepted.push(step.trade);
            else if (step.kind === 'advance') agg.advanceTo(step.now);
            else if (step.kind === 'flush') agg.flush();
          }
          agg.advanceTo(T0 + 30 * 86_400_000);
          for (const interval of c.intervals) {
            const closed = [...log.closed.values()]
              .filter((k) => k.interval === interval)
              .sort(compareKlines);
            expect(closed).toEqual(recomputeKlines(accepted, interval));
          }
        },
      ),
      { numRuns: 200 },
    );
  }, 120_000);
});
