import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AlertEvaluator, type Firing } from '../src/index.ts';
import { barStreamArb, type StreamEvent, streamArb } from './support/arbitraries.ts';
import { NaiveEvaluator, type NaiveFiring } from './support/naive-evaluator.ts';

const identity = (f: Firing): NaiveFiring => ({ id: f.id, at: f.at, price: f.price, final: f.final });

function runIndexed(events: readonly StreamEvent[], ev = new AlertEvaluator()): NaiveFiring[] {
  const out: NaiveFiring[] = [];
  for (const e of events) {
    if (e.type === 'add') ev.add(e.rule);
    else if (e.type === 'trade') out.push(...ev.onTrade(e.trade).map(identity));
    else out.push(...ev.onCandle(e.candle).map(identity));
  }
  return out;
}

function runNaive(events: readonly StreamEvent[]): NaiveFiring[] {
  const ev = new NaiveEvaluator();
  const out: NaiveFiring[] = [];
  for (const e of events) {
    if (e.type === 'add') ev.add(e.rule);
    else if (e.type === 'trade') out.push(...ev.onTrade(e.trade));
    else out.push(...ev.onCandle(e.candle));
  }
  return out;
}

describe('indexed evaluator against the naive one', () => {
  it('fires exactly what evaluating every alert on every event fires, for every condition and trigger', () => {
    fc.assert(
      fc.property(streamArb, (events) => {
        expect(runIndexed(events)).toEqual(runNaive(events));
      }),
      { numRuns: 400 },
    );
    // Hundreds of generated streams: seconds of CPU, more on a loaded 2-core CI machine.
  }, 60_000);

  it('agrees on bar-close alerts over long candle streams (indicators warm up and cross)', () => {
    fc.assert(
      fc.property(barStreamArb, (events) => {
        expect(runIndexed(events)).toEqual(runNaive(events));
      }),
      { numRuns: 300 },
    );
  }, 60_000);

  it('fires the same after a restart at any point (snapshot through JSON, alerts added again)', () => {
    fc.assert(
      fc.property(fc.oneof(streamArb, barStreamArb), fc.nat(), (events, cutSeed) => {
        const cut = cutSeed % (events.length + 1);
        const before = new AlertEvaluator();
        const first = runIndexed(events.slice(0, cut), before);
        const saved = JSON.parse(JSON.stringify(before.snapshot()));
        const after = new AlertEvaluator();
        for (const e of events.slice(0, cut)) if (e.type === 'add') after.add(e.rule);
        after.restore(saved);
        const second = runIndexed(events.slice(cut), after);
        expect([...first, ...second]).toEqual(runIndexed(events));
      }),
      { numRuns: 300 },
    );
  }, 60_000);

  it('sees firings at all (the generators reach every kind of firing)', () => {
    // Guards the two properties above against generators that never fire anything.
    const kinds = new Set<string>();
    fc.assert(
      fc.property(streamArb, (events) => {
        for (const f of runIndexed(events)) kinds.add(f.id.split(':')[1] as string);
        return true;
      }),
      { numRuns: 200 },
    );
    expect([...kinds].sort()).toEqual(['b', 't']);
  });
});
