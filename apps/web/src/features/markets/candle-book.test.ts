import type { Kline } from '@qt/shared';
import { describe, expect, it } from 'vitest';
import { CandleBook } from './candle-book';

const key = { venue: 'binance', symbol: 'BTC-USDT', interval: '1m' } as const;

function candle(minute: number, close: string, extra: Partial<Kline> = {}): Kline {
  const openTime = minute * 60_000;
  return {
    ...key,
    openTime,
    closeTime: openTime + 59_999,
    open: '100',
    high: '110',
    low: '90',
    close,
    baseVolume: '1',
    quoteVolume: '100',
    takerBuyBaseVolume: '0.5',
    tradeCount: 1,
    closed: false,
    ...extra,
  };
}

const closes = (book: CandleBook) => book.candles.map((k) => `${k.openTime / 60_000}:${k.close}`);

describe('CandleBook', () => {
  it('updates the open candle in place and appends when a new interval opens', () => {
    const book = new CandleBook(key);
    book.setHistory({ candles: [candle(1, '100'), candle(2, '101')], nextBefore: 60_000 });
    book.applyLive(candle(2, '102'));
    book.applyLive(candle(3, '103'));
    expect(closes(book)).toEqual(['1:100', '2:102', '3:103']);
    expect(book.liveUpdates).toBe(2);
  });

  it('replaces a corrected closed candle that arrives again for the same open time', () => {
    const book = new CandleBook(key);
    book.setHistory({ candles: [candle(1, '100'), candle(2, '101'), candle(3, '102')], nextBefore: null });
    book.applyLive(candle(2, '99', { closed: true, tradeCount: 5 }));
    expect(closes(book)).toEqual(['1:100', '2:99', '3:102']);
    expect(book.candles[1]?.closed).toBe(true);
  });

  it('keeps live candles that arrived before the history when they are newer', () => {
    const book = new CandleBook(key);
    book.applyLive(candle(3, '105', { tradeCount: 9 }));
    book.setHistory({
      candles: [candle(2, '101'), candle(3, '104', { tradeCount: 3 })],
      nextBefore: 120_000,
    });
    expect(closes(book)).toEqual(['2:101', '3:105']);
    expect(book.historyLoaded).toBe(true);
  });

  it('prepends older pages, counts the shift, and stops when a page does not move back', () => {
    const book = new CandleBook(key);
    book.setHistory({ candles: [candle(5, '105'), candle(6, '106')], nextBefore: 300_000 });
    expect(
      book.prependOlder({ candles: [candle(3, '103'), candle(4, '104')], nextBefore: 180_000 }, 300_000),
    ).toBe(2);
    expect(book.frontShift).toBe(2);
    expect(book.nextBefore).toBe(180_000);
    book.prependOlder({ candles: [], nextBefore: 180_000 }, 180_000);
    expect(book.nextBefore).toBeNull();
    expect(closes(book)).toEqual(['3:103', '4:104', '5:105', '6:106']);
  });

  it('ignores updates for another chart and lone candles older than the unloaded history', () => {
    const book = new CandleBook(key);
    book.setHistory({ candles: [candle(5, '105')], nextBefore: 300_000 });
    expect(book.applyLive({ ...candle(6, '1'), venue: 'okx' })).toBe(false);
    expect(book.applyLive(candle(1, '1'))).toBe(false);
    expect(book.length).toBe(1);
  });

  it('drops the oldest candles past its cap and lets paging bring them back', () => {
    const book = new CandleBook(key, 3);
    book.setHistory({ candles: [candle(1, '1'), candle(2, '2'), candle(3, '3')], nextBefore: null });
    book.applyLive(candle(4, '4'));
    expect(closes(book)).toEqual(['2:2', '3:3', '4:4']);
    expect(book.frontShift).toBe(-1);
    expect(book.nextBefore).toBe(120_000);
  });
});
