import { canonicalDecimal, type Kline } from '@qt/shared';
import { describe, expect, it } from 'vitest';
import { mergeLive } from '../../src/market/market-service.ts';

// The live overlay of market.candles: the aggregator's candles carry the venue's printed scale, stored
// ones are read back canonical (packages/db/src/timeseries/README.md, "Decimals"); the API answers one form.

const T0 = Date.UTC(2026, 11, 7, 12, 0);

function candle(openTime: number, over: Partial<Kline> = {}): Kline {
  return {
    venue: 'binance',
    symbol: 'BTC-USDT',
    interval: '1m',
    openTime,
    closeTime: openTime + 59_999,
    open: '65068.88',
    high: '65070',
    low: '65000.1',
    close: '65069.5',
    baseVolume: '1.25',
    quoteVolume: '81336.1',
    takerBuyBaseVolume: '0.5',
    tradeCount: 10,
    closed: true,
    ...over,
  };
}

const decimalFields = [
  'open',
  'high',
  'low',
  'close',
  'baseVolume',
  'quoteVolume',
  'takerBuyBaseVolume',
] as const;

describe('mergeLive (the live overlay of market.candles)', () => {
  it('returns the live candle with canonical decimals, as the stored candles are', () => {
    const stored = [candle(T0), candle(T0 + 60_000, { closed: false, tradeCount: 3 })];
    const live = candle(T0 + 60_000, {
      open: '65068.88000000',
      high: '65070.00000000',
      low: '0065000.10',
      close: '65069.50000000',
      baseVolume: '1.00000000',
      quoteVolume: '65068.88000000',
      takerBuyBaseVolume: '0.00000000',
      tradeCount: 4,
      closed: false,
    });
    const merged = mergeLive(stored, [live], 10);
    expect(merged).toHaveLength(2);
    expect(merged[1]).toEqual({
      ...live,
      open: '65068.88',
      high: '65070',
      low: '65000.1',
      close: '65069.5',
      baseVolume: '1',
      quoteVolume: '65068.88',
      takerBuyBaseVolume: '0',
    });
    for (const k of merged) for (const f of decimalFields) expect(k[f]).toBe(canonicalDecimal(k[f]));
  });

  it('keeps the stored candle when it has more trades than the live one, and the newest `limit`', () => {
    const stored = [candle(T0, { tradeCount: 9 }), candle(T0 + 60_000, { tradeCount: 7 })];
    const stale = candle(T0 + 60_000, { tradeCount: 6, close: '1.000' });
    const fresh = candle(T0 + 120_000, { tradeCount: 1, closed: false, close: '2.50' });
    const merged = mergeLive(stored, [stale, fresh], 2);
    expect(merged.map((k) => [k.openTime, k.close])).toEqual([
      [T0 + 60_000, '65069.5'],
      [T0 + 120_000, '2.5'],
    ]);
  });
});
