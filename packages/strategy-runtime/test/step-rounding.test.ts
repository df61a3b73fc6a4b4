import { compareDecimal, parseScaled } from '@qt/shared';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { doubleToDecimal, parseStep, roundToStep } from '../src/index.ts';

describe('doubleToDecimal', () => {
  it('prints a double as the shortest decimal that reads back as it, without an exponent', () => {
    expect(doubleToDecimal(0.1 + 0.2)).toBe('0.30000000000000004');
    expect(doubleToDecimal(1e21)).toBe('1000000000000000000000');
    expect(doubleToDecimal(1.5e-7)).toBe('0.00000015');
    expect(doubleToDecimal(-2.5e-8)).toBe('-0.000000025');
    expect(doubleToDecimal(1.234e22)).toBe('12340000000000000000000');
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        expect(Number(doubleToDecimal(x))).toBe(x === 0 ? 0 : x);
      }),
    );
  });
});

describe('roundToStep', () => {
  it('rounds to a whole multiple of the step, down for floor and up for ceil, within one step', () => {
    const steps = ['0.01', '0.05', '0.5', '1', '25', '0.00001', '0.001'];
    fc.assert(
      fc.property(
        fc.double({ min: 1e-9, max: 1e9, noNaN: true }),
        fc.constantFrom(...steps),
        fc.constantFrom('floor' as const, 'ceil' as const),
        (x, stepText, mode) => {
          const step = parseStep(stepText);
          const out = roundToStep(x, step, mode);
          const exact = doubleToDecimal(x);
          if (out === null) {
            expect(mode).toBe('floor'); // only rounding down can reach zero
            expect(compareDecimal(exact, stepText)).toBe(-1);
            return;
          }
          const units = parseScaled(out, step.scale);
          expect(units % step.units).toBe(0n);
          const scale = Math.max(step.scale, exact.length);
          const xs = parseScaled(exact, scale, mode);
          const os = parseScaled(out, scale);
          const ss = parseScaled(stepText, scale);
          if (mode === 'floor') expect(os <= xs && xs - os < ss).toBe(true);
          else expect(os >= xs && os - xs < ss).toBe(true);
        },
      ),
    );
  });

  it('refuses what is not a positive finite amount', () => {
    const lot = parseStep('0.001');
    for (const x of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0, -1, 0.0009]) {
      expect(roundToStep(x, lot, 'floor')).toBeNull();
    }
    expect(roundToStep(0.0009, lot, 'ceil')).toBe('0.001');
    expect(() => parseStep('0')).toThrow(/must be positive/);
  });
});
