import { describe, expect, it } from 'vitest';
import { formatCents, formatPrice, monthlyCents, parseDollars } from './money';

describe('formatCents', () => {
  it('splits integer cents into dollars and cents without floats', () => {
    expect(formatCents(4_900, 'usd')).toBe('$49.00');
    expect(formatCents(5, 'usd')).toBe('$0.05');
    expect(formatCents(299_000, 'USD')).toBe('$2,990.00');
    expect(formatCents(-250, 'eur')).toBe('-€2.50');
    expect(formatCents(0, 'usd')).toBe('$0.00');
  });
  it('keeps exact digits for amounts a float would round', () => {
    // 2^53 - 1 cents: a float division by 100 would not give these digits back.
    expect(formatCents(9_007_199_254_740_991, 'usd')).toBe('$90,071,992,547,409.91');
  });
  it('names unknown currencies and leaves zero-decimal ones whole', () => {
    expect(formatCents(1_234, 'chf')).toBe('12.34 CHF');
    expect(formatCents(1_234, 'jpy')).toBe('¥1,234');
  });
  it('refuses non-integers', () => {
    expect(() => formatCents(1.5, 'usd')).toThrow(RangeError);
  });
});

describe('formatPrice', () => {
  it('shows Free, or the amount per interval', () => {
    expect(formatPrice(0, 'usd', null)).toBe('Free');
    expect(formatPrice(1_999, 'usd', 'month')).toBe('$19.99 / month');
    expect(formatPrice(19_900, 'usd', 'year')).toBe('$199.00 / year');
  });
});

describe('parseDollars', () => {
  it('turns typed dollars into integer cents from the digits', () => {
    expect(parseDollars('49')).toEqual({ ok: true, cents: 4_900 });
    expect(parseDollars('49.9')).toEqual({ ok: true, cents: 4_990 });
    expect(parseDollars(' $0.29 ')).toEqual({ ok: true, cents: 29 });
    expect(parseDollars('1,200.50')).toEqual({ ok: true, cents: 120_050 });
    expect(parseDollars('19.')).toEqual({ ok: true, cents: 1_900 });
    // 0.1 + 0.2 style inputs stay exact.
    expect(parseDollars('0.30')).toEqual({ ok: true, cents: 30 });
  });
  it('refuses what it would have to guess', () => {
    expect(parseDollars('19.999')).toEqual({ ok: false, message: 'At most two decimals (cents).' });
    for (const bad of ['', '-5', '1e3', 'abc', '5 dollars', '1,2,3', '0x10'])
      expect(parseDollars(bad).ok, bad).toBe(false);
    expect(parseDollars('12345678901').ok).toBe(false);
  });
});

describe('monthlyCents', () => {
  it('divides a yearly price into whole cents per month', () => {
    expect(monthlyCents(4_900, 'month')).toBe(4_900);
    expect(monthlyCents(49_000, 'year')).toBe(4_083);
  });
});
