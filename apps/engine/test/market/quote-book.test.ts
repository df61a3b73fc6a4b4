import { liveClock, type Quote } from '@qt/shared';
import { describe, expect, it } from 'vitest';
import { QuoteBook } from '../../src/market/live/quote-book.ts';

let n = 0;
function quote(bid: string, ask: string, symbol = 'BTC-USDT'): Quote {
  n++;
  return {
    venue: 'binance',
    symbol,
    bidPrice: bid,
    bidSize: '1',
    askPrice: ask,
    askSize: '1',
    exchangeTime: n,
    receiveTime: n,
  };
}

describe('quote book', () => {
  it('keeps the latest best bid/ask per instrument', () => {
    const book = new QuoteBook(liveClock);
    expect(book.latest('binance', 'BTC-USDT')).toBeNull();
    book.onQuote(quote('100', '101'));
    book.onQuote(quote('100.5', '101'));
    book.onQuote(quote('20', '21', 'ETH-USDT'));
    expect(book.latest('binance', 'BTC-USDT')?.bidPrice).toBe('100.5');
    expect(book.latest('binance', 'ETH-USDT')?.bidPrice).toBe('20');
  });

  it('streams the current quote at once, then only the newest, at most once per interval', async () => {
    const book = new QuoteBook(liveClock);
    book.onQuote(quote('100', '101'));
    const abort = new AbortController();
    const stream = book.stream('binance', 'BTC-USDT', abort.signal, 100);
    const first = await stream.next();
    const t0 = performance.now();
    expect(first.value?.bidPrice).toBe('100');
    for (let i = 1; i <= 50; i++) book.onQuote(quote(`${100 + i}`, `${101 + i}`));
    const second = await stream.next();
    // Fifty quotes in a burst: the subscriber gets one, the newest, after the interval.
    expect(second.value?.bidPrice).toBe('150');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(95);
    expect(book.subscriberCount('binance', 'BTC-USDT')).toBe(1);
    abort.abort();
    book.onQuote(quote('1', '2'));
    expect((await stream.next()).done).toBe(true);
    expect(book.subscriberCount('binance', 'BTC-USDT')).toBe(0);
  });

  it('ends a waiting stream when its subscriber leaves', async () => {
    const book = new QuoteBook(liveClock);
    const abort = new AbortController();
    const stream = book.stream('binance', 'BTC-USDT', abort.signal);
    const pending = stream.next();
    abort.abort();
    expect((await pending).done).toBe(true);
    expect(book.subscriberCount('binance', 'BTC-USDT')).toBe(0);
  });
});
