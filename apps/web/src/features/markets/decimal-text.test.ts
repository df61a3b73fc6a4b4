import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareDecimal, decimalsOf, formatDecimal } from './decimal-text';

/** The reference: both values scaled to integers with BigInt. */
function referenceCompare(a: string, b: string): number {
  const scale = (v: string) => {
    const [int = '0', frac = ''] = v.replace('-', '').split('.');
    const n = BigInt(int + frac.padEnd(18, '0'));
    return v.startsWith('-') ? -n : n;
  };
  const d = scale(a) - scale(b);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

const decimal = fc
  .tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.nat({ max: 8 }), fc.nat({ max: 3 }))
  .map(([neg, units, scale, zeros]) => {
    const digits = units.toString().padStart(scale + 1, '0');
    const int = digits.slice(0, digits.length - scale);
    const frac = digits.slice(digits.length - scale) + '0'.repeat(scale > 0 ? zeros : 0);
    return `${neg ? '-' : ''}${int}${frac ? `.${frac}` : ''}`;
  });

describe('compareDecimal', () => {
  it('orders decimal strings as exact numbers, trailing zeros and signs included', () => {
    fc.assert(fc.property(decimal, decimal, (a, b) => compareDecimal(a, b) === referenceCompare(a, b)));
  });

  it('tells apart prices a float would round to the same number', () => {
    expect(compareDecimal('0.10000000000000000001', '0.1')).toBe(1);
    expect(compareDecimal('65000.10', '65000.1')).toBe(0);
    expect(compareDecimal('-0', '0')).toBe(0);
  });
});

describe('formatDecimal', () => {
  it('pads to the tick, groups thousands and never drops a digit', () => {
    expect(formatDecimal('65000.1', 2)).toBe('65,000.10');
    expect(formatDecimal('0.15', 5)).toBe('0.15000');
    expect(formatDecimal('1234567', 0)).toBe('1,234,567');
    expect(formatDecimal('-1000.5', 1)).toBe('-1,000.5');
    expect(formatDecimal('0.02907000', 5)).toBe('0.02907');
    expect(formatDecimal('1.123456', 2)).toBe('1.123456');
  });

  it('reads the number of decimals from a tick size', () => {
    expect(decimalsOf('0.01')).toBe(2);
    expect(decimalsOf('0.500')).toBe(1);
    expect(decimalsOf('1')).toBe(0);
  });
});
