import { createIndicator } from '@qt/indicators';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { captureIndicator, restoreIndicator } from '../src/evaluate/indicator-state.ts';

const kinds = [
  ['rsi', { period: 5 }],
  ['macd', { fast: 3, slow: 6, signal: 2 }],
  ['bbands', { period: 4, nbDevUp: 2, nbDevDn: 2 }],
  ['ema', { period: 4 }],
] as const;

describe('indicator snapshots', () => {
  it('a restored instance continues exactly like the original, for every indicator the alerts use', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...kinds),
        fc.array(fc.double({ min: 1, max: 1_000, noNaN: true }), { minLength: 0, maxLength: 40 }),
        fc.array(fc.double({ min: 1, max: 1_000, noNaN: true }), { minLength: 1, maxLength: 40 }),
        ([kind, params], head, tail) => {
          const original = createIndicator(kind, params);
          for (const x of head) original.push(x, x, x, 1);
          const copy = createIndicator(kind, params);
          restoreIndicator(copy, JSON.parse(JSON.stringify(captureIndicator(original))));
          for (const x of tail) {
            original.push(x, x, x, 1);
            copy.push(x, x, x, 1);
            for (let i = 0; i < original.outputs.length; i++) expect(copy.value(i)).toBe(original.value(i));
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
