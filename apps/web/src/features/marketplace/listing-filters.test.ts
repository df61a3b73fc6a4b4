import { describe, expect, it } from 'vitest';
import {
  drawdownText,
  emptyFilters,
  filtersToInput,
  percentText,
  sharpeText,
  shortHash,
} from './listing-filters';

describe('filtersToInput', () => {
  it('sends only what was filled in, with the default sort and page size', () => {
    expect(filtersToInput(emptyFilters)).toEqual({ ok: true, input: { sort: 'return', limit: 12 } });
  });
  it('turns percentages into fractions and dollars into integer cents', () => {
    const r = filtersToInput({
      ...emptyFilters,
      q: '  momentum ',
      market: 'binance:BTC-USDT',
      tag: 'Trend',
      minReturnPct: '12.5',
      maxDrawdownPct: '20%',
      minSharpe: '1.5',
      maxPrice: '19.99',
      sort: 'sharpe',
    });
    expect(r).toEqual({
      ok: true,
      input: {
        q: 'momentum',
        market: 'binance:BTC-USDT',
        tag: 'trend',
        minReturn: 0.125,
        maxDrawdown: 0.2,
        minSharpe: 1.5,
        maxPriceCents: 1_999,
        sort: 'sharpe',
        limit: 12,
      },
    });
  });
  it('free only means a price cap of zero, whatever the price field says', () => {
    const r = filtersToInput({ ...emptyFilters, freeOnly: true, maxPrice: '50' });
    expect(r.ok && r.input.maxPriceCents).toBe(0);
  });
  it('allows a negative minimum return but not a negative drawdown cap', () => {
    expect(filtersToInput({ ...emptyFilters, minReturnPct: '-5' })).toMatchObject({
      ok: true,
      input: { minReturn: -0.05 },
    });
    expect(filtersToInput({ ...emptyFilters, maxDrawdownPct: '-5' })).toEqual({
      ok: false,
      errors: { maxDrawdownPct: 'A percentage, like 20.' },
    });
  });
  it('names every field that does not parse', () => {
    expect(
      filtersToInput({ ...emptyFilters, minReturnPct: 'lots', minSharpe: 'x', maxPrice: '1.234' }),
    ).toEqual({
      ok: false,
      errors: {
        minReturnPct: 'A percentage, like 10 or -5.',
        minSharpe: 'A number, like 1.5.',
        maxPrice: 'At most two decimals (cents).',
      },
    });
  });
  it('refuses a search text the API would refuse', () => {
    const r = filtersToInput({ ...emptyFilters, q: 'x'.repeat(101) });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors.q).toBeTruthy();
  });
});

describe('labels', () => {
  it('formats the verified statistics', () => {
    expect(percentText(0.1234, true)).toBe('+12.34%');
    expect(percentText(-0.05, true)).toBe('-5.00%');
    expect(percentText(null)).toBe('—');
    expect(drawdownText(0.2)).toBe('-20.00%');
    expect(drawdownText(-0.2)).toBe('-20.00%');
    expect(sharpeText(1.234)).toBe('1.23');
    expect(shortHash('ab'.repeat(32))).toBe('abababababab');
  });
});
