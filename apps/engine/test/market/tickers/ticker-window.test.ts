import { addDecimal, canonicalDecimal, compareDecimal, type Kline, subtractDecimal } from '@qt/shared';
import { describe, expect, it } from 'vitest';
import {
  MINUTE_MS,
  TickerWindow,
  WINDOW_MINUTES,
  windowStartOf,
} from '../../../src/market/tickers/ticker-window.ts';

const T0 = Date.UTC(2026, 11, 7, 0, 0, 0);

function candle(
  minute: number,
  o: string,
  h: string,
  l: string,
  c: string,
  base: string,
  quote: string,
  trades = 1,
): Kline {
  const openTime = T0 + minute * MINUTE_MS;
  return {
    venue: 'binance',
    symbol: 'BTC-USDT',
    interval: '1m',
    openTime,
    closeTime: openTime + MINUTE_MS - 1,
    open: o,
    high: h,
    low: l,
    close: c,
    baseVolume: base,
    quoteVolume: quote,
    takerBuyBaseVolume: '0',
    tradeCount: trades,
    closed: true,
  };
}

describe('TickerWindow (rolling 24h from 1m candles)', () => {
  it('sums volumes exactly and reports last, change, percent, high and low', () => {
    const w = new TickerWindow();
    const now = T0 + 10 * MINUTE_MS + 5_000;
    w.apply(candle(0, '100', '110', '95', '105', '0.1', '10.000000000000000001'), now);
    w.apply(candle(3, '105', '130.5', '90.25', '120.00', '0.2', '20'), now);
    w.apply(candle(10, '120', '121', '119', '118.5', '0.000000000000000001', '0.3'), now);
    const f = w.figures(now);
    // 0.1 + 0.2 in binary floating point is 0.30000000000000004.
    expect(f.baseVolume).toBe('0.300000000000000001');
    expect(f.quoteVolume).toBe('30.300000000000000001');
    expect(f).toMatchObject({
      open: '100',
      last: '118.5',
      change: '18.5',
      changePercent: '18.5',
      high: '130.5',
      low: '90.25',
      tradeCount: 3,
      windowStart: windowStartOf(now),
    });
  });

  it('rounds the percentage half-up to 2 decimals and handles a fall', () => {
    const w = new TickerWindow();
    const now = T0 + MINUTE_MS;
    w.apply(candle(0, '3', '3', '2', '2', '1', '1'), now);
    // (2 - 3) / 3 = -33.333...%
    expect(w.figures(now)).toMatchObject({ change: '-1', changePercent: '-33.33' });
    w.apply(candle(1, '2', '3.00005', '2', '3.00005', '1', '1'), now);
    // (3.00005 - 3) / 3 = 0.0016666...% -> 0
    expect(w.figures(now).changePercent).toBe('0');
  });

  it('a later version of a minute replaces it; an older one (fewer trades) is ignored', () => {
    const w = new TickerWindow();
    const now = T0 + 5 * MINUTE_MS;
    expect(w.apply(candle(2, '10', '11', '9', '10', '1', '10', 5), now)).toBe(true);
    expect(w.apply(candle(2, '10', '12', '9', '12', '2', '21', 7), now)).toBe(true);
    expect(w.apply(candle(2, '10', '11', '9', '10', '1', '10', 5), now)).toBe(false);
    expect(w.figures(now)).toMatchObject({
      last: '12',
      high: '12',
      baseVolume: '2',
      quoteVolume: '21',
      tradeCount: 7,
    });
  });

  it('drops minutes as they leave the window, also without new candles', () => {
    const w = new TickerWindow();
    let now = T0 + 30_000;
    w.apply(candle(0, '1', '5', '1', '2', '1', '2'), now);
    w.apply(candle(1, '2', '3', '0.5', '3', '4', '12'), now);
    now = T0 + WINDOW_MINUTES * MINUTE_MS; // minute 1440: minute 0 has left, minute 1 is the oldest
    expect(w.figures(now)).toMatchObject({
      open: '2',
      high: '3',
      low: '0.5',
      baseVolume: '4',
      windowStart: T0 + MINUTE_MS,
    });
    now += MINUTE_MS;
    expect(w.figures(now)).toMatchObject({
      open: null,
      last: null,
      high: null,
      baseVolume: '0',
      tradeCount: 0,
    });
    // A candle from before the window is ignored.
    expect(w.apply(candle(0, '1', '1', '1', '1', '1', '1'), now)).toBe(false);
  });

  it('matches a recomputation from all candles over three days of random minutes', () => {
    let seed = 42;
    const rnd = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    // Canonical strings, as candles carry them once stored ("0.50" is read back "0.5").
    const dec = (max: number, places: number) => canonicalDecimal((rnd() * max).toFixed(places));
    const all = new Map<number, Kline>();
    const w = new TickerWindow();
    for (let minute = 0; minute < 3 * WINDOW_MINUTES; minute++) {
      const now = T0 + minute * MINUTE_MS + 59_000;
      if (rnd() < 0.7) {
        const lo = dec(100, 2);
        const k = candle(
          minute,
          addDecimal(lo, '1'),
          addDecimal(lo, dec(5, 2)),
          lo,
          addDecimal(lo, '0.5'),
          dec(3, 8),
          dec(300, 10),
        );
        all.set(minute, k);
        w.apply(k, now);
      }
      if (minute % 97 !== 0) continue;
      const inWindow = [...all.values()]
        .filter((k) => k.openTime >= windowStartOf(now))
        .sort((a, b) => a.openTime - b.openTime);
      const f = w.figures(now);
      const sum = (get: (k: Kline) => string) => inWindow.reduce((s, k) => addDecimal(s, get(k)), '0');
      const ext = (get: (k: Kline) => string, sign: 1 | -1) =>
        inWindow.map(get).reduce((a, b) => (compareDecimal(b, a) === sign ? b : a));
      expect(f.baseVolume).toBe(sum((k) => k.baseVolume));
      expect(f.quoteVolume).toBe(sum((k) => k.quoteVolume));
      expect(f.tradeCount).toBe(inWindow.length);
      expect(f.high).toBe(ext((k) => k.high, 1));
      expect(f.low).toBe(ext((k) => k.low, -1));
      const first = inWindow[0] as Kline;
      const last = inWindow[inWindow.length - 1] as Kline;
      expect(f.open).toBe(first.open);
      expect(f.last).toBe(last.close);
      expect(f.change).toBe(subtractDecimal(last.close, first.open));
    }
  });
});
