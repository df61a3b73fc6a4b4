import { describe, expect, it } from 'vitest';
import {
  annualisedGate,
  buyAndHold,
  computeMetrics,
  describeSpan,
  MIN_ANNUALISED_SPAN_MS,
  runBacktest,
} from '../src/index.ts';
import { place, ScriptedDriver } from './fixtures/drivers.ts';
import { candle, MINUTE, spec, T0 } from './fixtures/market.ts';

const DAY = 86_400_000;
const flat = (i: number, cents: number) => candle(0, T0 + i * MINUTE, cents, cents, cents, cents);
const E18 = 10n ** 18n;

/** Daily equity samples growing 1 % a day, `n` of them. */
function daily(n: number) {
  const times = Array.from({ length: n }, (_, i) => T0 + i * DAY);
  const equity = times.map((_, i) => 100 * 1.01 ** i + (i % 2) * 0.3);
  return computeMetrics({ times, equity, intervalMs: DAY, tripPnls: [], barsWithPosition: 0, bars: n });
}

describe('the short-run rule', () => {
  it('withholds CAGR, Sharpe and Sortino below 30 days or 30 returns, and says why', () => {
    const short = daily(30); // 29 days, 29 returns
    expect(short.cagr).toBeNull();
    expect(short.sharpe).toBeNull();
    expect(short.sortino).toBeNull();
    expect(short.totalReturn).not.toBeNull();
    expect(short.notes).toEqual([
      expect.objectContaining({
        code: 'RUN_TOO_SHORT',
        details: { spanMs: 29 * DAY, returns: 29, minSpanMs: 30 * DAY, minReturns: 30 },
      }),
    ]);
    expect(short.notes[0]?.message).toContain('29 days with 29 returns');

    const enough = daily(31); // 30 days, 30 returns: exactly at both bounds
    expect(enough.notes).toEqual([]);
    expect(enough.cagr).not.toBeNull();
    expect(enough.sharpe).not.toBeNull();
    expect(enough.sortino).toBeNull(); // no down bar
  });

  it('needs both bounds: 30 days of only 2 returns is still too short', () => {
    expect(annualisedGate(MIN_ANNUALISED_SPAN_MS * 2, 2)?.code).toBe('RUN_TOO_SHORT');
    expect(annualisedGate(MIN_ANNUALISED_SPAN_MS - 1, 10_000)?.code).toBe('RUN_TOO_SHORT');
    expect(annualisedGate(MIN_ANNUALISED_SPAN_MS, 30)).toBeNull();
  });

  it('describes spans in words', () => {
    expect(describeSpan(6 * MINUTE)).toBe('6 min');
    expect(describeSpan(125 * MINUTE)).toBe('2 h 5 min');
    expect(describeSpan(3.5 * DAY)).toBe('3.5 days');
    expect(describeSpan(42_000)).toBe('42 s');
  });
});

describe('buy and hold', () => {
  it('values the start equity held in the first instrument, exactly (half-even at 18 decimals)', () => {
    const p = (s: string) => BigInt(s) * E18;
    const b = buyAndHold(
      { venue: 'binance', symbol: 'BTC-USDT' },
      [1, 2, 3, 4],
      [p('3'), p('7'), null, p('2')],
      p('10000'),
    );
    // 10,000 x 7 / 3 = 23,333.33..., the null sample keeps the last price, 10,000 x 2 / 3 = 6,666.66...7
    expect(b).toMatchObject({
      venue: 'binance',
      symbol: 'BTC-USDT',
      startPrice: '3',
      endPrice: '2',
      startEquity: '10000',
      endEquity: '6666.666666666666666667',
    });
    // The curve is for drawing: floating point, close to the exact values.
    expect(b?.curve.map(([t]) => t)).toEqual([1, 2, 3, 4]);
    const values = b?.curve.map(([, v]) => v) ?? [];
    expect(values[0]).toBe(10_000);
    for (const [i, v] of [70_000 / 3, 70_000 / 3, 20_000 / 3].entries())
      expect(values[i + 1]).toBeCloseTo(v, 8);
    expect(buyAndHold({ venue: 'v', symbol: 's' }, [1], [null], p('1'))).toBeNull();
    expect(buyAndHold({ venue: 'v', symbol: 's' }, [1], [p('1')], 0n)).toBeNull();
  });
});

describe('the report of a run', () => {
  it('tables round trips (one grown, one small) with fees, PnL % and exact totals', async () => {
    // 1 tick half-spread: buys fill at price + 0.01, sells at price - 0.01; taker fee 10 bps of the quote.
    const prices = [5_000_000, 5_100_000, 5_200_000, 5_000_000, 5_000_000, 5_100_000, 5_100_000];
    const bars = prices.map((p, i) => flat(i, p));
    const driver = new ScriptedDriver({
      0: [place(1, 'buy', 'market', '0.5')], // 51,000.01 on bar 1: quote 25,500.005, fee 25.500005
      1: [place(2, 'buy', 'market', '0.5')], // 52,000.01 on bar 2: quote 26,000.005, fee 26.000005
      2: [place(3, 'sell', 'market', '1')], // 49,999.99 on bar 3: quote 49,999.99, fee 49.99999
      3: [place(4, 'buy', 'market', '0.5')], // 50,000.01 on bar 4: quote 25,000.005, fee 25.000005
      4: [place(5, 'sell', 'market', '0.5')], // 50,999.99 on bar 5: quote 25,499.995, fee 25.499995
    });
    const r = await runBacktest(spec(7), driver, bars);
    expect(r.status).toBe('completed');
    // Trip 1: 49,999.99 - 51,500.01 - fees 101.5 = -1,601.52; / 51,500.01 paid = -3.1097 %.
    // Trip 2: 25,499.995 - 25,000.005 - fees 50.5 = 449.49; / 25,000.005 = 1.7980 %.
    expect(r.roundTrips).toEqual([
      {
        venue: 'binance',
        symbol: 'BTC-USDT',
        side: 'long',
        entryTime: T0 + MINUTE,
        exitTime: T0 + 3 * MINUTE,
        quantity: '1',
        entryPrice: '51500.01',
        exitPrice: '49999.99',
        pnl: '-1601.52',
        pnlPercent: '-3.11',
        fees: '101.5',
      },
      {
        venue: 'binance',
        symbol: 'BTC-USDT',
        side: 'long',
        entryTime: T0 + 4 * MINUTE,
        exitTime: T0 + 5 * MINUTE,
        quantity: '0.5',
        entryPrice: '50000.01',
        exitPrice: '50999.99',
        pnl: '449.49',
        pnlPercent: '1.80',
        fees: '50.5',
      },
    ]);
    expect(r.report.tradeTotals).toEqual({ trips: 2, wins: 1, losses: 1, pnl: '-1152.03', fees: '152' });
    // The totals agree with the ledger: 100,000 - 1,152.03.
    expect(r.metrics.finalEquity).toBe('98847.97');
    expect(r.metrics.feesPaid).toEqual({ USDT: '152' });

    // Buy and hold from the first open (50,000) with the same 100,000: 2 BTC, worth 102,000 at the end.
    expect(r.report.buyAndHold).toMatchObject({
      startPrice: '50000',
      endPrice: '51000',
      endEquity: '102000',
    });
    expect(r.report.buyAndHold?.curve.map(([, v]) => v)).toEqual([
      100_000, 100_000, 102_000, 104_000, 100_000, 100_000, 102_000, 102_000,
    ]);
    expect(r.report.buyAndHold?.curve.map(([t]) => t)).toEqual(r.equityCurve.map((p) => p.time));

    // Seven minutes: no annualised figures, and the note says why.
    expect([r.metrics.cagr, r.metrics.sharpe, r.metrics.sortino]).toEqual([null, null, null]);
    expect(r.report.notes.map((n) => n.code)).toEqual(['RUN_TOO_SHORT']);
    expect(r.report.notes[0]?.details).toMatchObject({ spanMs: 7 * MINUTE - 1, returns: 7 });
    expect(r.report.firstOrderAfterCandles).toBe(1);
    expect(r.report.coverage).toEqual([
      {
        venue: 'binance',
        symbol: 'BTC-USDT',
        firstCandle: T0,
        lastCandle: T0 + 6 * MINUTE,
        candles: 7,
        missing: 0,
        gaps: 0,
        largestGaps: [],
      },
    ]);
  });

  it('compares the requested range with the candles used, lists gaps and warns about warm-up', async () => {
    // Range of 8 bars; data starts at bar 1, skips bars 3 and 4, ends at bar 5.
    const bars = [flat(1, 5_000_000), flat(2, 5_000_000), flat(5, 5_000_000)];
    const r = await runBacktest(spec(8), new ScriptedDriver({}), bars);
    expect(r.report.coverage[0]).toMatchObject({
      firstCandle: T0 + MINUTE,
      lastCandle: T0 + 5 * MINUTE,
      candles: 3,
      missing: 2,
      gaps: 1,
      largestGaps: [{ from: T0 + 3 * MINUTE, to: T0 + 5 * MINUTE, missing: 2 }],
    });
    const byCode = Object.fromEntries(r.report.notes.map((n) => [n.code, n]));
    expect(Object.keys(byCode)).toEqual(['RUN_TOO_SHORT', 'RANGE_NOT_COVERED', 'DATA_GAPS', 'NO_ORDERS']);
    expect(byCode.RANGE_NOT_COVERED?.details).toEqual({
      candles: 3,
      expected: 8,
      missingBefore: 1,
      missingAfter: 2,
    });
    expect(byCode.RANGE_NOT_COVERED?.message).toBe(
      'The stored data of binance BTC-USDT starts 1 min after the requested start and ends 2 min before the requested end: 3 of 8 candles used.',
    );
    expect(byCode.NO_ORDERS?.message).toContain('no orders over 3 candles');
    expect(r.report.firstOrderAfterCandles).toBeNull();
  });

  it('says when the first order came late (most of the run went to warming up)', async () => {
    const bars = Array.from({ length: 10 }, (_, i) => flat(i, 5_000_000));
    const r = await runBacktest(
      spec(10),
      new ScriptedDriver({ 6: [place(1, 'buy', 'market', '0.1')] }),
      bars,
    );
    expect(r.report.firstOrderAfterCandles).toBe(7);
    expect(r.report.notes.find((n) => n.code === 'LATE_FIRST_ORDER')?.details).toEqual({
      firstOrderAfterCandles: 7,
      candles: 10,
    });
  });
});
