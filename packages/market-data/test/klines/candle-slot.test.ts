import { formatUnits } from '@qt/shared';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { formatUnitsFast } from '../../src/klines/candle-slot.ts';

it('formatUnitsFast spells every safe non-negative count of units exactly like formatUnits', () => {
  const edges = [0, 1, 9, 10, 99, 100, 2 ** 31, 2 ** 52, 2 ** 53 - 1e15 - 1, 2 ** 53 - 1e15, 2 ** 53 - 1];
  for (const units of edges) {
    for (let scale = 0; scale <= 15; scale++)
      expect(formatUnitsFast(units, scale)).toBe(formatUnits(units, scale));
  }
  fc.assert(
    fc.property(fc.nat({ max: Number.MAX_SAFE_INTEGER }), fc.integer({ min: 0, max: 15 }), (units, scale) => {
      expect(formatUnitsFast(units, scale)).toBe(formatUnits(units, scale));
    }),
    { numRuns: 20_000 },
  );
});
