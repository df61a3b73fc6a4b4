import type { Kline } from '@qt/shared';
import { describe, expect, it } from 'vitest';
import { CandleBook } from './candle-book';
import { foldCandles } from './chart-intervals';
import { chartBookFor, FoldedCandleBook } from './folded-candle-book';

const MIN = 60_000;
const key = { venue: 'binance', symbol: 'BTC-USDT', interval: '3m' } as const;

function part(m: number, close: string, extra: Partial<Kline> = {}): Kline {
  const openTime = m * MIN;
  return {
    venue: 'binance',
    symbol: 'BTC-USDT',
    interval: '1m',
    openTime,
    closeTime: openTime + MIN - 1,
    open: close,
    high: close,
    low: close,
    close,
    baseVolume: '1',
    quoteVolume: '1',
    takerBuyBaseVolume: '0',
    tradeCount: 1,
    closed: true,
    ...extra,
  };
}

const view = (book: FoldedCandleBook) =>
  book.candles.map((k) => `${k.openTime / MIN}:${k.close}:${k.baseVolume}`);

describe('FoldedCandleBook', () => {
  it('asks the engine for the served interval and folds what it gets', () => {
    const book = new FoldedCandleBook(key);
    expect(book.source).toEqual({ venue: 'binance', symbol: 'BTC-USDT', interval: '1m' });
    book.setHistory({ candles: [3, 4, 5, 6, 7].map((m) => part(m, String(m))), nextBefore: null });
    expect(view(book)).toEqual(['3:5:3', '6:7:2']);
    expect(book.historyLoaded).toBe(true);
  });

  it('refolds only the live bucket, appends a new one, and ignores other intervals', () => {
    const book = new FoldedCandleBook(key);
    book.setHistory({ candles: [3, 4, 5, 6].map((m) => part(m, String(m))), nextBefore: null });
    expect(book.applyLive(part(6, '60', { baseVolume: '2.5', closed: false }))).toBe(true);
    expect(view(book)).toEqual(['3:5:3', '6:60:2.5']);
    expect(book.applyLive(part(7, '70', { closed: false }))).toBe(true);
    expect(view(book)).toEqual(['3:5:3', '6:70:3.5']);
    expect(book.last()?.closed).toBe(false);
    expect(book.applyLive(part(9, '90', { closed: false }))).toBe(true);
    expect(view(book)).toEqual(['3:5:3', '6:70:3.5', '9:90:1']);
    expect(book.applyLive({ ...part(10, '1'), interval: '5m' })).toBe(false);
    expect(book.liveUpdates).toBe(3);
    expect(book.frontShift).toBe(0);
  });

  it('leaves out a partial first bucket until the older page completes it, and counts the shift', () => {
    const book = new FoldedCandleBook(key);
    book.setHistory({ candles: [4, 5, 6, 7].map((m) => part(m, String(m))), nextBefore: 4 * MIN });
    expect(view(book)).toEqual(['6:7:2']);
    // A live correction inside the partial bucket does not bring it back.
    book.applyLive(part(5, '55'));
    expect(view(book)).toEqual(['6:7:2']);
    const added = book.prependOlder(
      { candles: [0, 1, 2, 3].map((m) => part(m, String(m))), nextBefore: null },
      4 * MIN,
    );
    expect(view(book)).toEqual(['0:2:3', '3:55:3', '6:7:2']);
    expect(added).toBe(2);
    expect(book.frontShift).toBe(2);
    expect(book.nextBefore).toBe(null);
  });

  it('drops buckets trimmed from the front and keeps the shift in step', () => {
    const book = new FoldedCandleBook(key, 6);
    book.setHistory({ candles: [0, 1, 2, 3, 4, 5].map((m) => part(m, String(m))), nextBefore: null });
    expect(view(book)).toEqual(['0:2:3', '3:5:3']);
    book.applyLive(part(6, '6', { closed: false }));
    // Part 0 trimmed: bucket 0 is no longer whole and goes; 3 and 6 remain.
    expect(view(book)).toEqual(['3:5:3', '6:6:1']);
    expect(book.frontShift).toBe(-1);
    book.applyLive(part(7, '7', { closed: false }));
    expect(view(book)).toEqual(['3:5:3', '6:7:2']);
    expect(book.frontShift).toBe(-1);
  });

  it('matches a fold from scratch after any sequence of updates', () => {
    const book = new FoldedCandleBook({ ...key, interval: '5s' }, 50);
    const flat = new CandleBook({ ...key, interval: '1s' }, 50);
    const page = { candles: [] as Kline[], nextBefore: null };
    book.setHistory(page);
    flat.setHistory(page);
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    let t = 100;
    for (let n = 0; n < 400; n++) {
      t += rand(3);
      const price = String(100 + rand(50));
      const k: Kline = {
        ...part(0, price),
        interval: '1s',
        openTime: t * 1_000,
        closeTime: t * 1_000 + 999,
        high: String(150 + rand(10)),
        low: String(90 - rand(10)),
        baseVolume: `0.${rand(1000)}`,
        closed: rand(2) === 0,
      };
      book.applyLive(k);
      flat.applyLive(k);
      expect(book.candles).toEqual(foldCandles(flat.candles, '5s', flat.nextBefore !== null));
    }
  });

  it('picks a plain book for served intervals', () => {
    expect(chartBookFor({ ...key, interval: '1m' })).toBeInstanceOf(CandleBook);
    expect(chartBookFor(key)).toBeInstanceOf(FoldedCandleBook);
  });
});
