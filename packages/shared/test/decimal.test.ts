import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addDecimal,
  canonicalDecimal,
  compareDecimal,
  DecimalError,
  divRound,
  formatScaled,
  formatUnits,
  isDecimalError,
  isDecimalString,
  mulDecimal,
  mulScaled,
  parseScaled,
  parseUnits,
  type RoundingMode,
  rescale,
  scaleOf,
  significantScaleOf,
  subtractDecimal,
  tryParseUnits,
} from '../src/decimal/index.ts';

/** Any decimal string the helpers accept, including leading and trailing zeros and negatives. */
const decimalArb = fc
  .tuple(
    fc.boolean(),
    fc.stringMatching(/^\d{1,20}$/),
    fc.option(fc.stringMatching(/^\d{1,18}$/), { nil: undefined }),
  )
  .map(([neg, int, frac]) => `${neg ? '-' : ''}${int}${frac === undefined ? '' : `.${frac}`}`);

/** Reference: the value as a fraction units / 10^scale, with plain bigint arithmetic. */
function ref(s: string): { units: bigint; scale: number } {
  const neg = s.startsWith('-');
  const body = neg ? s.slice(1) : s;
  const [int = '0', frac = ''] = body.split('.');
  const units = BigInt(int + frac);
  return { units: neg ? -units : units, scale: frac.length };
}

const modes: RoundingMode[] = ['down', 'up', 'floor', 'ceil', 'halfUp', 'halfEven'];

describe('decimal strings', () => {
  it('counts decimals as written and as significant', () => {
    expect(scaleOf('0.00100000')).toBe(8);
    expect(scaleOf('64000')).toBe(0);
    expect(significantScaleOf('0.00100000')).toBe(3);
    expect(significantScaleOf('10.0')).toBe(0);
  });

  it.each(['', '-', '.5', '5.', '1e5', '+1', '1.2.3', ' 1', '1,5', '--1', 'NaN', 'Infinity', '0x10'])(
    'refuses %j with a typed, readable error',
    (bad) => {
      expect(isDecimalString(bad)).toBe(false);
      const err = (() => {
        try {
          parseScaled(bad, 2);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(DecimalError);
      expect(isDecimalError(err) && err.reason).toBe('malformed');
      expect(isDecimalError(err) && err.code).toBe('VALIDATION_FAILED');
      expect(Number.isNaN(tryParseUnits(bad, 2))).toBe(true);
    },
  );

  it('refuses to drop significant decimals unless told how to round', () => {
    expect(() => parseScaled('1.005', 2)).toThrow(expect.objectContaining({ reason: 'too-many-decimals' }));
    expect(parseScaled('1.00500', 3)).toBe(1005n);
    expect(parseScaled('1.005', 2, 'halfEven')).toBe(100n);
    expect(parseScaled('1.015', 2, 'halfEven')).toBe(102n);
    expect(parseScaled('-1.005', 2, 'halfUp')).toBe(-101n);
    expect(parseScaled('-1.001', 2, 'floor')).toBe(-101n);
    expect(() => parseUnits('1.005', 2)).toThrow(expect.objectContaining({ reason: 'too-many-decimals' }));
  });

  it('formats canonically: no exponent, no float artefacts, no "-0"', () => {
    expect(formatScaled(30n, 1)).toBe('3');
    expect(formatScaled(3n, 1)).toBe('0.3');
    expect(formatScaled(-5n, 3)).toBe('-0.005');
    expect(formatScaled(0n, 8)).toBe('0');
    expect(formatScaled(100000n, 8, 8)).toBe('0.00100000');
    expect(formatScaled(15n, 0, 2)).toBe('15.00');
    expect(formatScaled(10n ** 30n, 2)).toBe(`1${'0'.repeat(28)}`);
    expect(canonicalDecimal('-000.000')).toBe('0');
    expect(canonicalDecimal('0012.3400')).toBe('12.34');
    expect(formatUnits(1, 15)).toBe('0.000000000000001');
  });

  it('adds 0.1 and 0.2 to exactly 0.3', () => {
    expect(addDecimal('0.1', '0.2')).toBe('0.3');
    expect(formatUnits(parseUnits('0.1', 1) + parseUnits('0.2', 1), 1)).toBe('0.3');
    expect(subtractDecimal('0.3', '0.1')).toBe('0.2');
    expect(mulDecimal('1.1', '1.1')).toBe('1.21');
    expect(mulDecimal('64000.12', '0.00100000')).toBe('64.00012');
    expect(mulDecimal('2.675', '1', 2, 'halfEven')).toBe('2.68');
    expect(mulDecimal('2.665', '1', 2, 'halfEven')).toBe('2.66');
  });

  it('compares by value, not by spelling', () => {
    expect(compareDecimal('1.50', '1.5')).toBe(0);
    expect(compareDecimal('-0.0', '0')).toBe(0);
    expect(compareDecimal('010', '9.999')).toBe(1);
    expect(compareDecimal('-2', '-10')).toBe(1);
    expect(compareDecimal('0.0001', '0.001')).toBe(-1);
  });

  it('keeps the number fast path below 2^53', () => {
    expect(parseUnits('90071992547409.91', 2)).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => parseUnits('90071992547409.92', 2)).toThrow(
      expect.objectContaining({ reason: 'out-of-range' }),
    );
    expect(Number.isNaN(tryParseUnits('9007199254740993', 0))).toBe(true);
    expect(Number.isNaN(tryParseUnits('900719925474099.3', 2))).toBe(true);
    expect(tryParseUnits('0.00100000', 3)).toBe(1);
    expect(tryParseUnits('-0', 2)).toBe(0);
    expect(Object.is(tryParseUnits('-0.00', 2), 0)).toBe(true);
  });

  it('rounds every mode as specified on the half and either side of it', () => {
    const table: Array<[bigint, Record<RoundingMode, bigint>]> = [
      [15n, { down: 1n, up: 2n, floor: 1n, ceil: 2n, halfUp: 2n, halfEven: 2n }],
      [25n, { down: 2n, up: 3n, floor: 2n, ceil: 3n, halfUp: 3n, halfEven: 2n }],
      [-25n, { down: -2n, up: -3n, floor: -3n, ceil: -2n, halfUp: -3n, halfEven: -2n }],
      [-14n, { down: -1n, up: -2n, floor: -2n, ceil: -1n, halfUp: -1n, halfEven: -1n }],
      [16n, { down: 1n, up: 2n, floor: 1n, ceil: 2n, halfUp: 2n, halfEven: 2n }],
      [20n, { down: 2n, up: 2n, floor: 2n, ceil: 2n, halfUp: 2n, halfEven: 2n }],
    ];
    for (const [n, want] of table)
      for (const m of modes) expect(divRound(n, 10n, m), `${n} ${m}`).toBe(want[m]);
    expect(() => divRound(1n, 0n, 'down')).toThrow(expect.objectContaining({ reason: 'invalid-argument' }));
  });
});

describe('decimal properties', () => {
  it('round-trips: parse at the written scale, format, equals the canonical form', () => {
    fc.assert(
      fc.property(decimalArb, (s) => {
        const scale = scaleOf(s);
        const out = formatScaled(parseScaled(s, scale), scale);
        expect(out).toMatch(/^-?(0|[1-9]\d*)(\.\d*[1-9])?$/);
        expect(compareDecimal(out, s)).toBe(0);
        expect(parseScaled(out, scale)).toBe(parseScaled(s, scale));
        const padded = formatScaled(parseScaled(s, scale), scale, scale);
        expect(scaleOf(padded)).toBe(scale);
        expect(compareDecimal(padded, s)).toBe(0);
      }),
    );
  });

  it('adds and multiplies like a bigint reference', () => {
    fc.assert(
      fc.property(decimalArb, decimalArb, (a, b) => {
        const ra = ref(a);
        const rb = ref(b);
        const scale = Math.max(ra.scale, rb.scale);
        const sum = ra.units * 10n ** BigInt(scale - ra.scale) + rb.units * 10n ** BigInt(scale - rb.scale);
        expect(parseScaled(addDecimal(a, b), scale)).toBe(sum);
        const product = ra.units * rb.units;
        expect(parseScaled(mulDecimal(a, b), ra.scale + rb.scale)).toBe(product);
        expect(mulScaled(ra.units, ra.scale, rb.units, rb.scale, ra.scale + rb.scale, 'down')).toBe(product);
        const diff = ra.units * 10n ** BigInt(scale - ra.scale) - rb.units * 10n ** BigInt(scale - rb.scale);
        expect(compareDecimal(a, b)).toBe(diff === 0n ? 0 : diff > 0n ? 1 : -1);
      }),
    );
  });

  it('rounds to within one unit, in the direction each mode promises', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 25n), max: 10n ** 25n }),
        fc.integer({ min: 0, max: 12 }),
        (n, k) => {
          const d = 10n ** BigInt(k);
          for (const m of modes) {
            const q = rescale(n, k, 0, m);
            const err = q * d - n; // how far the rounded value is from the exact one, in input units
            expect(err < 0n ? -err : err).toBeLessThan(d === 1n ? 1n : d);
            if (m === 'floor') expect(err <= 0n).toBe(true);
            if (m === 'ceil') expect(err >= 0n).toBe(true);
            if (m === 'down') expect(q * d <= (n < 0n ? -n : n) || q <= 0n).toBe(true);
            if (m === 'halfUp' || m === 'halfEven') expect((err < 0n ? -err : err) * 2n <= d).toBe(true);
          }
        },
      ),
    );
  });

  it('the number fast path agrees with the bigint path, or refuses', () => {
    fc.assert(
      fc.property(decimalArb, fc.integer({ min: 0, max: 15 }), (s, scale) => {
        const n = tryParseUnits(s, scale);
        let exact: bigint | undefined;
        try {
          exact = parseScaled(s, scale);
        } catch {
          exact = undefined;
        }
        if (Number.isNaN(n)) {
          expect(
            exact === undefined ||
              exact > BigInt(Number.MAX_SAFE_INTEGER) ||
              -exact > BigInt(Number.MAX_SAFE_INTEGER),
          ).toBe(true);
        } else {
          expect(exact).toBe(BigInt(n));
          expect(formatUnits(n, scale)).toBe(formatScaled(BigInt(n), scale));
        }
      }),
    );
  });

  it('never prints a float artefact for sums of prices', () => {
    const price = fc.integer({ min: 0, max: 10_000_000 }).map((n) => formatScaled(BigInt(n), 4));
    fc.assert(
      fc.property(fc.array(price, { minLength: 1, maxLength: 50 }), (prices) => {
        const total = prices.reduce((acc, p) => addDecimal(acc, p), '0');
        expect(total).toMatch(/^\d+(\.\d{1,4})?$/);
        const units = prices.reduce((acc, p) => acc + parseUnits(p, 4), 0);
        expect(formatUnits(units, 4)).toBe(total);
      }),
    );
  });
});
