import { describe, expect, it } from 'vitest';
import { sizeForPercent, sizeFromQuote } from './percent-size';

const base = { freeQuote: '10000', freeBase: '0.123456', price: '64000', lotSize: '0.00001' };

describe('size as a percent of the free balance', () => {
  it('buys free quote / (price x 1.001), rounded down to the lot', () => {
    // 5000 / (64000 x 1.001) = 0.078047... -> 0.07804
    expect(sizeForPercent({ ...base, side: 'buy', percent: 50 })).toBe('0.07804');
    // 10000 / 64064 = 0.156093... -> 0.15609; the lock (0.15609 x 64000 x 1.001) fits in 10000
    expect(sizeForPercent({ ...base, side: 'buy', percent: 100 })).toBe('0.15609');
    expect(0.15609 * 64000 * 1.001).toBeLessThanOrEqual(10000);
  });

  it('sells a share of the free base, rounded down to the lot, never up', () => {
    expect(sizeForPercent({ ...base, side: 'sell', percent: 25 })).toBe('0.03086'); // 0.030864
    expect(sizeForPercent({ ...base, side: 'sell', percent: 75 })).toBe('0.09259'); // 0.092592
    expect(sizeForPercent({ ...base, side: 'sell', percent: 100 })).toBe('0.12345');
  });

  it('is exact where floats are not (0.1 + 0.2 territory) and honours whole lots', () => {
    expect(sizeForPercent({ ...base, side: 'sell', freeBase: '0.3', percent: 100, lotSize: '0.1' })).toBe(
      '0.3',
    );
    expect(sizeForPercent({ ...base, side: 'sell', freeBase: '7', percent: 50, lotSize: '1' })).toBe('3');
  });

  it('answers null when nothing can be sized', () => {
    expect(sizeForPercent({ ...base, side: 'buy', percent: 50, price: null })).toBeNull();
    expect(sizeForPercent({ ...base, side: 'buy', percent: 50, freeQuote: '0' })).toBeNull();
    expect(sizeForPercent({ ...base, side: 'sell', percent: 25, freeBase: '0.00003' })).toBeNull();
    expect(sizeForPercent({ ...base, side: 'sell', percent: 0 })).toBeNull();
    expect(sizeForPercent({ ...base, side: 'sell', percent: 101 })).toBeNull();
  });
});

describe('size in the quote currency', () => {
  it('converts at the price, down to the lot', () => {
    expect(sizeFromQuote('500', '64000', '0.00001')).toBe('0.00781'); // 0.0078125
    expect(sizeFromQuote('640', '64000', '0.001')).toBe('0.01');
  });
  it('answers null for a missing price, a malformed amount or nothing on the grid', () => {
    expect(sizeFromQuote('500', null, '0.00001')).toBeNull();
    expect(sizeFromQuote('abc', '64000', '0.00001')).toBeNull();
    expect(sizeFromQuote('0.1', '64000', '0.00001')).toBeNull();
  });
});
