import { klineSchema } from '@qt/shared';
import { describe, expect, it } from 'vitest';
import { KlineAggregator, recomputeKlines } from '../../src/klines/index.ts';
import { RecordingSink, trade } from './fixtures.ts';

const T0 = 1_700_000_040_000; // a minute boundary (1_700_000_040_000 % 60_000 === 0)

function setup(opts: Partial<ConstructorParameters<typeof KlineAggregator>[0]> = {}) {
  const sink = new RecordingSink();
  const agg = new KlineAggregator({ sink, intervals: ['1s', '1m'], allowedLatenessMs: 500, ...opts });
  return { sink, agg };
}

describe('KlineAggregator', () => {
  it('cuts candles by exchange time, like Binance: closeTime = openTime + interval - 1', () => {
    const { sink, agg } = setup();
    agg.onTrades([
      trade(T0 + 10, '100.5', '1'),
      trade(T0 + 999, '101', '2', { takerSide: 'sell' }),
      trade(T0 + 1000, '99', '1'),
      trade(T0 + 2600, '98', '1'),
    ]);
    const [first, second] = sink.closed('1s');
    expect(first).toMatchObject({
      interval: '1s',
      openTime: T0,
      closeTime: T0 + 999,
      open: '100.5',
      high: '101',
      low: '100.5',
      close: '101',
      baseVolume: '3',
      quoteVolume: '302.5',
      takerBuyBaseVolume: '1',
      tradeCount: 2,
      closed: true,
    });
    expect(second).toMatchObject({ openTime: T0 + 1000, open: '99', tradeCount: 1 });
    for (const e of sink.events) expect(klineSchema.parse(e.kline)).toEqual(e.kline);
  });

  it('closes a candle only once the watermark (newest exchange time - lateness) passes its end', () => {
    const { sink, agg } = setup();
    agg.onTrades([trade(T0 + 100, '1', '1'), trade(T0 + 1499, '1', '1')]);
    expect(sink.closed()).toEqual([]); // watermark T0 + 999: the first second is not over yet
    agg.onTrades([trade(T0 + 1500, '1', '1')]); // watermark T0 + 1000
    expect(sink.closed().map((k) => k.openTime)).toEqual([T0]);
  });

  it('sends at most one update per candle per batch, and none for a candle closed in the batch', () => {
    const { sink, agg } = setup();
    agg.onTrades([trade(T0 + 1, '1', '1'), trade(T0 + 2, '2', '1'), trade(T0 + 3, '3', '1')]);
    expect(sink.updated('1s')).toHaveLength(1);
    expect(sink.updated('1m')).toHaveLength(1);
    expect(sink.updated('1s')[0]).toMatchObject({ close: '3', tradeCount: 3, closed: false });
    sink.clear();
    agg.onTrades([trade(T0 + 4, '4', '1'), trade(T0 + 2000, '5', '1')]);
    expect(sink.updated('1s').map((k) => k.openTime)).toEqual([T0 + 2000]);
    expect(sink.closed('1s')).toMatchObject([{ openTime: T0, close: '4', tradeCount: 4 }]);
  });

  it('accepts a trade within the allowed lateness into its candle, in event-time order', () => {
    const { sink, agg } = setup({ allowedLatenessMs: 1000 });
    agg.onTrades([trade(T0 + 400, '2', '1'), trade(T0 + 100, '1', '1'), trade(T0 + 900, '3', '1')]);
    agg.onTrades([trade(T0 + 50, '0.5', '1')]); // 850 ms behind the newest, but the candle is open
    agg.advanceTo(T0 + 10_000);
    expect(sink.closed('1s')[0]).toMatchObject({ open: '0.5', close: '3', low: '0.5', tradeCount: 4 });
  });

  it('drops and counts a trade older than the allowed lateness', () => {
    const { sink, agg } = setup();
    agg.onTrades([trade(T0 + 2000, '2', '1')]);
    expect(agg.onTrade(trade(T0 + 1499, '1', '1'))).toBe(false);
    expect(agg.onTrade(trade(T0 + 1500, '1', '1'))).toBe(true);
    expect(agg.metrics).toMatchObject({ accepted: 2, tooLate: 1 });
    agg.advanceTo(T0 + 100_000);
    expect(sink.closed('1m')[0]?.tradeCount).toBe(2);
  });

  it('corrects a candle the watermark already closed and re-emits it with the next revision', () => {
    const { sink, agg } = setup({ closeDelayMs: 0, allowedLatenessMs: 2000 });
    agg.onTrades([trade(T0 + 500, '10', '1'), trade(T0 + 1200, '11', '1')]);
    expect(sink.events.filter((e) => e.kind === 'closed')).toMatchObject([
      { revision: 0, kline: { openTime: T0, tradeCount: 1 } },
    ]);
    sink.clear();
    agg.onTrades([trade(T0 + 700, '9', '2', { takerSide: 'sell' }), trade(T0 + 800, '12', '1')]);
    expect(sink.events.filter((e) => e.kind === 'closed')).toMatchObject([
      {
        revision: 1,
        kline: { openTime: T0, close: '12', low: '9', high: '12', tradeCount: 3, closed: true },
      },
    ]);
    expect(agg.metrics.correctionsEmitted).toBe(1);
    sink.clear();
    agg.onTrades([trade(T0 + 900, '10', '1')]);
    expect(sink.closed('1s')[0]).toMatchObject({ tradeCount: 4 });
    expect(sink.events.find((e) => e.kind === 'closed')?.revision).toBe(2);
  });

  it('a late trade in an interval the watermark passed with no candle yields a closed candle, not an update', () => {
    const { sink, agg } = setup({ closeDelayMs: 0, allowedLatenessMs: 3000 });
    agg.onTrades([trade(T0 + 100, '1', '1'), trade(T0 + 2500, '2', '1')]);
    sink.clear();
    agg.onTrades([trade(T0 + 1500, '3', '1')]);
    expect(sink.updated('1s')).toEqual([]);
    expect(sink.events.filter((e) => e.kind === 'closed')).toMatchObject([
      { revision: 0, kline: { openTime: T0 + 1000, open: '3', tradeCount: 1 } },
    ]);
  });

  it('closes candles of a quiet symbol when the clock advances, and corrects them if a trade was in flight', () => {
    const { sink, agg } = setup({ clockGraceMs: 1000 });
    agg.onTrades([trade(T0 + 100, '1', '1'), trade(T0 + 100, '1', '1', { symbol: 'ETH-USDT' })]);
    agg.advanceTo(T0 + 2499); // 2499 - 500 - 1000 = 999: not past T0 + 1000 yet
    expect(sink.closed()).toEqual([]);
    agg.advanceTo(T0 + 2500);
    expect(
      sink
        .closed('1s')
        .map((k) => k.symbol)
        .sort(),
    ).toEqual(['BTC-USDT', 'ETH-USDT']);
    sink.clear();
    agg.onTrades([trade(T0 + 900, '2', '1')]); // within lateness of BTC's newest (T0 + 100)
    expect(sink.events.filter((e) => e.kind === 'closed')).toMatchObject([
      { revision: 1, kline: { symbol: 'BTC-USDT', interval: '1s', close: '2', tradeCount: 2 } },
    ]);
    expect(sink.updated('1m')).toMatchObject([{ tradeCount: 2, closed: false }]);
    agg.advanceTo(T0 + 62_000);
    expect(
      sink
        .closed('1m')
        .map((k) => k.symbol)
        .sort(),
    ).toEqual(['BTC-USDT', 'ETH-USDT']);
  });

  it('stores no candle for an interval without trades (a gap)', () => {
    const { sink, agg } = setup();
    agg.onTrades([trade(T0 + 100, '1', '1'), trade(T0 + 5100, '2', '1')]);
    agg.advanceTo(T0 + 100_000);
    expect(sink.closed('1s').map((k) => k.openTime - T0)).toEqual([0, 5000]);
  });

  it('keeps sub-second candles when configured', () => {
    const { sink, agg } = setup({ intervals: ['100ms', '1s'], allowedLatenessMs: 250 });
    agg.onTrades([
      trade(T0 + 5, '1', '1'),
      trade(T0 + 99, '2', '1'),
      trade(T0 + 100, '3', '1'),
      trade(T0 + 450, '4', '1'),
    ]);
    expect(sink.closed('100ms')).toMatchObject([
      { openTime: T0, closeTime: T0 + 99, open: '1', close: '2', tradeCount: 2 },
      { openTime: T0 + 100, closeTime: T0 + 199, open: '3', tradeCount: 1 },
    ]);
    expect(agg.intervals).toEqual(['100ms', '1s']);
  });

  it('sums volumes exactly: ten trades of 0.1 at 0.2 make 1 and 0.2, not 0.30000000000000004', () => {
    const { sink, agg } = setup();
    const trades = Array.from({ length: 10 }, (_, i) => trade(T0 + i, '0.2', '0.1'));
    trades.push(trade(T0 + 20, '0.1', '0.2', { takerSide: 'sell' }));
    agg.onTrades(trades);
    agg.advanceTo(T0 + 100_000);
    expect(sink.closed('1s')[0]).toMatchObject({
      baseVolume: '1.2',
      quoteVolume: '0.22',
      takerBuyBaseVolume: '1',
      low: '0.1',
    });
  });

  it('widens a symbol scale when a string shows more decimals, without losing what was summed', () => {
    const { sink, agg } = setup();
    agg.onTrades([
      trade(T0 + 1, '64000.1', '1.00000000'),
      trade(T0 + 2, '64000.12', '0.00100000'),
      trade(T0 + 3, '64000', '0.00000001'),
    ]);
    agg.advanceTo(T0 + 100_000);
    const [k] = sink.closed('1s');
    expect(k).toMatchObject({
      high: '64000.12',
      low: '64000',
      baseVolume: '1.00100001',
      quoteVolume: '64064.10076',
    });
  });

  it('keeps volumes exact beyond 2^53 units (large notional, many trades)', () => {
    const { sink, agg } = setup();
    const trades = Array.from({ length: 1000 }, (_, i) =>
      trade(T0 + i, '1234567.12345678', '9876543.87654321'),
    );
    agg.onTrades(trades);
    agg.advanceTo(T0 + 100_000);
    const want = recomputeKlines(trades, '1m')[0];
    expect(sink.closed('1m')[0]).toEqual(want);
    expect(want).toMatchObject({
      quoteVolume: '12193256363358625.6668122374638',
      baseVolume: '9876543876.54321',
    });
  });

  it('drops and counts malformed prices and quantities', () => {
    const { agg } = setup();
    expect(agg.onTrade(trade(T0, '1e5', '1'))).toBe(false);
    expect(agg.onTrade(trade(T0, '-1', '1'))).toBe(false);
    expect(agg.onTrade(trade(T0, '1', 'abc'))).toBe(false);
    expect(agg.onTrade(trade(-1, '1', '1'))).toBe(false);
    expect(agg.onTrade(trade(T0, '1.0000000000000001', '1'))).toBe(false);
    expect(agg.metrics).toMatchObject({ malformed: 4, unsupported: 1, accepted: 0 });
  });

  it('picks open and close by exchange time, then trade id, and high/low spelling deterministically', () => {
    const { sink, agg } = setup();
    agg.onTrades([
      trade(T0 + 5, '2.50', '1', { tradeId: '10' }),
      trade(T0 + 5, '2.5', '1', { tradeId: '9' }),
      trade(T0 + 5, '1', '1', { tradeId: '11' }),
    ]);
    agg.advanceTo(T0 + 100_000);
    expect(sink.closed('1s')[0]).toMatchObject({ open: '2.5', close: '1', high: '2.5' });
  });

  it('refuses a configuration that cannot work', () => {
    const sink = new RecordingSink();
    expect(() => new KlineAggregator({ sink, allowedLatenessMs: -1 })).toThrow(/allowedLatenessMs/);
    expect(() => new KlineAggregator({ sink, allowedLatenessMs: 100, closeDelayMs: 200 })).toThrow(
      /closeDelayMs/,
    );
    expect(() => new KlineAggregator({ sink, intervals: [] })).toThrow(/intervals/);
  });

  it('uses the instrument scales when given and shows the candles it holds', () => {
    const sink = new RecordingSink();
    const agg = new KlineAggregator({ sink, intervals: ['1m'], scales: () => ({ price: 2, quantity: 8 }) });
    agg.onTrades([trade(T0, '64000.12', '0.00100000')]);
    expect(agg.snapshot('binance', 'BTC-USDT')).toMatchObject([{ quoteVolume: '64.00012', closed: false }]);
    expect(agg.snapshot('binance', 'NOPE-USDT')).toEqual([]);
  });
});
