import type { Ticker } from '@qt/shared';
import { describe, expect, it } from 'vitest';
import { MAX_OPTIONS, moveHighlight, symbolOptions, tickerKey } from './symbol-options';
import { changeTone, formatChange, shortDecimal } from './ticker-text';

function ticker(venue: string, symbol: string, changePercent: string | null): Ticker {
  return {
    venue,
    symbol,
    last: '1',
    open: '1',
    change: '0',
    changePercent,
    high: '1',
    low: '1',
    baseVolume: '0',
    quoteVolume: '0',
    tradeCount: 0,
    windowStart: 0,
    asOf: 0,
    configured: true,
  };
}

const tickers = new Map(
  [
    ticker('binance', 'ETH-USDT', '-1.5'),
    ticker('binance', 'BTC-USDT', '2'),
    ticker('okx', 'SOL-USDT', '3'),
  ].map((t) => [tickerKey(t.venue, t.symbol), t] as const),
);
const listed = ['ADA-USDT', 'BTC-USDT', 'ETH-USDT', 'ETHFI-USDT', 'SOL-USDT', 'WETH-USDT'];

describe('symbolOptions', () => {
  it('lists followed markets first with their 24h change, then the followable ones', () => {
    expect(symbolOptions('binance', listed, tickers, '')).toEqual([
      { symbol: 'BTC-USDT', followed: true, changePercent: '2' },
      { symbol: 'ETH-USDT', followed: true, changePercent: '-1.5' },
      { symbol: 'ADA-USDT', followed: false, changePercent: null },
      { symbol: 'ETHFI-USDT', followed: false, changePercent: null },
      { symbol: 'SOL-USDT', followed: false, changePercent: null },
      { symbol: 'WETH-USDT', followed: false, changePercent: null },
    ]);
  });

  it('filters by what was typed, ignoring case and separators; prefixes rank first', () => {
    const syms = (q: string) => symbolOptions('binance', listed, tickers, q).map((o) => o.symbol);
    expect(syms('eth')).toEqual(['ETH-USDT', 'ETHFI-USDT', 'WETH-USDT']);
    expect(syms('ETH/usdt')).toEqual(['ETH-USDT', 'WETH-USDT']);
    expect(syms('ethu')).toEqual(['ETH-USDT', 'WETH-USDT']);
    expect(syms('zzz')).toEqual([]);
  });

  it('a followed market the instrument list does not hold still shows; at most MAX_OPTIONS rows', () => {
    expect(symbolOptions('okx', [], tickers, 'so')).toEqual([
      { symbol: 'SOL-USDT', followed: true, changePercent: '3' },
    ]);
    const many = Array.from({ length: 80 }, (_, i) => `T${i}-USDT`);
    expect(symbolOptions('bybit', many, new Map(), 't')).toHaveLength(MAX_OPTIONS);
  });
});

describe('keyboard and figures', () => {
  it('moves the highlight with wrap-around', () => {
    expect(moveHighlight(-1, 'ArrowDown', 3)).toBe(0);
    expect(moveHighlight(2, 'ArrowDown', 3)).toBe(0);
    expect(moveHighlight(0, 'ArrowUp', 3)).toBe(2);
    expect(moveHighlight(1, 'End', 3)).toBe(2);
    expect(moveHighlight(2, 'Home', 3)).toBe(0);
    expect(moveHighlight(0, 'ArrowDown', 0)).toBe(-1);
  });

  it('formats changes with their sign and cuts volumes without rounding', () => {
    expect(formatChange('1.25')).toBe('+1.25%');
    expect(formatChange('-0.4')).toBe('-0.4%');
    expect(formatChange('0')).toBe('0%');
    expect(formatChange(null)).toBe('—');
    expect(changeTone('-0.01')).toBe('down');
    expect(changeTone('0')).toBe('flat');
    expect(shortDecimal('1234567.999', 0)).toBe('1,234,567');
    expect(shortDecimal('1234.56789', 2)).toBe('1,234.56');
    expect(shortDecimal('65000', 18)).toBe('65,000');
    expect(shortDecimal(null, 2)).toBe('—');
  });
});
