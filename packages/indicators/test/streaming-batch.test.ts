import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  computeIndicator,
  createIndicator,
  type IndicatorName,
  indicatorCatalog,
  indicatorNames,
  type StreamingIndicator,
} from '../src/index.ts';
import { randomOhlcv } from './fixtures.ts';

/** Small parameters (periods 1..12 within each parameter's range) so warm-ups end inside short series. */
function paramsArb(kind: IndicatorName): fc.Arbitrary<Record<string, number>> {
  const spec = indicatorCatalog[kind];
  const entries = spec.params.map((p) => {
    const arb = p.integer
      ? fc.integer({ min: p.min, max: Math.max(p.min, 12) })
      : p.name === 'anchorMs'
        ? fc.constantFrom(0, 300_000, 3_600_000)
        : fc.double({ min: Math.max(p.min, 0.01), max: Math.min(p.max, 3), noNaN: true });
    return [p.name, arb] as const;
  });
  return fc
    .record(Object.fromEntries(entries))
    .filter((p) => kind !== 'macd' || (p.fast as number) < (p.slow as number));
}

const caseArb = fc.constantFrom(...indicatorNames).chain((kind) =>
  fc.record({
    kind: fc.constant(kind),
    params: paramsArb(kind),
    seed: fc.integer({ min: 1, max: 1_000_000 }),
    length: fc.integer({ min: 1, max: 250 }),
  }),
);

function streamAll(ind: StreamingIndicator, d: ReturnType<typeof randomOhlcv>, n: number): number[][] {
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) {
    const main = ind.push(
      d.high[i] as number,
      d.low[i] as number,
      d.close[i] as number,
      d.volume[i] as number,
      d.time[i],
    );
    const row = ind.outputs.map((_, j) => ind.value(j));
    expect(Object.is(main, row[0])).toBe(true);
    rows.push(row);
  }
  return rows;
}

describe('streaming and batch forms', () => {
  it('agree bar by bar for every indicator, and push returns the main output', () => {
    fc.assert(
      fc.property(caseArb, ({ kind, params, seed, length }) => {
        const d = randomOhlcv(seed, length);
        const batch = computeIndicator(kind, params, d);
        const rows = streamAll(createIndicator(kind, params), d, length);
        const outputs = indicatorCatalog[kind].outputs;
        for (let i = 0; i < length; i++) {
          for (const [j, name] of outputs.entries()) {
            expect(Object.is(batch[name]?.[i], rows[i]?.[j]), `${kind} ${name}[${i}]`).toBe(true);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('reset() brings an indicator back to a fresh state', () => {
    fc.assert(
      fc.property(caseArb, fc.integer({ min: 0, max: 120 }), ({ kind, params, seed, length }, prefix) => {
        const before = randomOhlcv(seed + 1, prefix);
        const d = randomOhlcv(seed, length);
        const used = createIndicator(kind, params);
        streamAll(used, before, prefix);
        used.reset();
        for (let j = 0; j < used.outputs.length; j++) expect(used.value(j)).toBeNaN();
        expect(streamAll(used, d, length)).toEqual(streamAll(createIndicator(kind, params), d, length));
      }),
      { numRuns: 200 },
    );
  });

  it('outputs NaN for exactly the first `lookback` bars, then values, on every output', () => {
    for (const kind of indicatorNames) {
      const ind = createIndicator(kind);
      const d = randomOhlcv(7, ind.lookback + 50);
      const rows = streamAll(ind, d, ind.lookback + 50);
      for (const [i, row] of rows.entries()) {
        for (const [j, v] of row.entries()) {
          expect(Number.isNaN(v), `${kind} ${ind.outputs[j]}[${i}] (lookback ${ind.lookback})`).toBe(
            i < ind.lookback,
          );
        }
      }
    }
  });

  it('each instance reports the kind and outputs its catalog entry lists', () => {
    for (const kind of indicatorNames) {
      const ind = createIndicator(kind);
      expect(ind.kind).toBe(kind);
      expect([...ind.outputs]).toEqual([...indicatorCatalog[kind].outputs]);
    }
  });
});
