import type { Trade } from '@qt/shared';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type TradeGap, TradeSequencer } from '../../src/sequence/trade-sequencer.ts';

function trade(symbol: string, tradeId: string | number): Trade {
  return {
    venue: 'binance',
    symbol,
    venueSymbol: symbol.replace('-', ''),
    tradeId: String(tradeId),
    price: '1',
    quantity: '1',
    takerSide: 'buy',
    exchangeTime: 0,
    receiveTime: 0,
  };
}

/** Feeds single-id trades one frame each; returns the kept ids and the gaps. */
function run(seq: TradeSequencer, symbol: string, ids: number[]) {
  const kept: number[] = [];
  const gaps: TradeGap[] = [];
  for (const id of ids) {
    for (const t of seq.accept([trade(symbol, id)], [id, id], (g) => gaps.push(g)))
      kept.push(Number(t.tradeId));
  }
  return { kept, gaps };
}

describe('TradeSequencer, consecutive ids', () => {
  it('passes an unbroken run through untouched', () => {
    const seq = new TradeSequencer({ mode: 'consecutive' });
    const batch = [trade('BTC-USDT', 5), trade('BTC-USDT', 6)];
    expect(seq.accept(batch, [5, 5, 6, 6])).toBe(batch);
    expect(seq.stats()).toEqual({ gaps: 0, missing: 0, duplicates: 0, recovered: 0 });
  });

  it('drops repeats and reports a jump with the missing id range', () => {
    const seq = new TradeSequencer({ mode: 'consecutive' });
    const { kept, gaps } = run(seq, 'BTC-USDT', [10, 11, 11, 10, 15, 16]);
    expect(kept).toEqual([10, 11, 15, 16]);
    expect(gaps).toEqual([{ venue: 'binance', symbol: 'BTC-USDT', fromId: 12, toId: 14, missing: 3 }]);
    expect(seq.stats()).toEqual({ gaps: 1, missing: 3, duplicates: 2, recovered: 0 });
  });

  it('keeps symbols apart', () => {
    const seq = new TradeSequencer({ mode: 'consecutive' });
    run(seq, 'BTC-USDT', [1, 2, 3]);
    const { kept } = run(seq, 'ETH-USDT', [1, 2]);
    expect(kept).toEqual([1, 2]);
    expect(seq.stats().duplicates).toBe(0);
  });

  it('uses OKX counts: an aggregated trade covering the next ids is no gap', () => {
    const seq = new TradeSequencer({ mode: 'consecutive' });
    // tradeId 123 with count 3 covers 121..123; then 124 alone; then 130 with count 2 covers 129..130.
    seq.accept([trade('BTC-USDT', 120)], [120, 120]);
    seq.accept([trade('BTC-USDT', 123), trade('BTC-USDT', 124)], [121, 123, 124, 124]);
    const gaps: TradeGap[] = [];
    seq.accept([trade('BTC-USDT', 130)], [129, 130], (g) => gaps.push(g));
    expect(gaps).toEqual([{ venue: 'binance', symbol: 'BTC-USDT', fromId: 125, toId: 128, missing: 4 }]);
  });

  it('accepts a late trade inside a reported gap (overlapping sockets) instead of dropping it', () => {
    const seq = new TradeSequencer({ mode: 'consecutive' });
    const { kept } = run(seq, 'BTC-USDT', [1, 2, 6, 4, 4, 3, 5, 5]);
    expect(kept).toEqual([1, 2, 6, 4, 3, 5]);
    expect(seq.stats()).toEqual({ gaps: 1, missing: 0, duplicates: 2, recovered: 3 });
  });

  it('drops only the duplicates of a mixed frame, keeping order', () => {
    const seq = new TradeSequencer({ mode: 'consecutive' });
    run(seq, 'BTC-USDT', [1, 2]);
    const frame = [trade('BTC-USDT', 2), trade('BTC-USDT', 3), trade('BTC-USDT', 3), trade('BTC-USDT', 4)];
    expect(seq.accept(frame, [2, 2, 3, 3, 3, 3, 4, 4]).map((t) => t.tradeId)).toEqual(['3', '4']);
  });

  it('counts injected duplicates and gaps exactly (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(fc.constant<'next'>('next'), fc.constant<'dup'>('dup'), fc.integer({ min: 1, max: 50 })),
          {
            minLength: 1,
            maxLength: 300,
          },
        ),
        fc.integer({ min: 0, max: 1_000_000 }),
        (ops, start) => {
          const ids: number[] = [start];
          let last = start;
          let dups = 0;
          let gaps = 0;
          let missing = 0;
          for (const op of ops) {
            if (op === 'next') ids.push(++last);
            else if (op === 'dup') {
              // A repeat of anything already delivered: the latest, or an older one.
              ids.push(ids[Math.floor((ids.length - 1) / 2)] as number);
              dups++;
            } else {
              last += op + 1;
              ids.push(last);
              gaps++;
              missing += op;
            }
          }
          const seq = new TradeSequencer({ mode: 'consecutive' });
          const { kept } = run(seq, 'BTC-USDT', ids);
          expect(seq.stats()).toEqual({ gaps, missing, duplicates: dups, recovered: 0 });
          expect(kept).toEqual([...new Set(ids)]);
        },
      ),
    );
  });
});

describe('TradeSequencer, unique ids (Bybit)', () => {
  it('drops an id seen within the window and forgets the oldest beyond it', () => {
    const seq = new TradeSequencer({ mode: 'unique', window: 3 });
    const feed = (id: string, s = Number.NaN) => seq.accept([trade('BTC-USDT', id)], [s, s]).length;
    expect([feed('a'), feed('b'), feed('a'), feed('c'), feed('d'), feed('a')]).toEqual([1, 1, 0, 1, 1, 1]);
    expect(seq.stats()).toMatchObject({ duplicates: 1, gaps: 0 });
  });

  it('treats a trade older (by seq) than everything the window forgot as a replay', () => {
    const seq = new TradeSequencer({ mode: 'unique', window: 2 });
    const feed = (id: string, s: number) => seq.accept([trade('BTC-USDT', id)], [s, s]).length;
    expect([feed('a', 10), feed('b', 11), feed('c', 12), feed('a', 10), feed('x', 9), feed('d', 12)]).toEqual(
      [1, 1, 1, 0, 0, 1],
    );
  });

  it('counts injected duplicates within the window exactly (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 400 }), (dupFlags) => {
        const seq = new TradeSequencer({ mode: 'unique', window: 1000 });
        const delivered: string[] = [];
        let next = 0;
        let dups = 0;
        let keptCount = 0;
        for (const dup of dupFlags) {
          let id: string;
          if (dup && delivered.length > 0) {
            id = delivered[delivered.length - 1 - (next % delivered.length)] as string;
            dups++;
          } else {
            id = `uuid-${next++}`;
            delivered.push(id);
          }
          keptCount += seq.accept([trade('BTC-USDT', id)], [Number.NaN, Number.NaN]).length;
        }
        expect(seq.stats().duplicates).toBe(dups);
        expect(keptCount).toBe(delivered.length);
      }),
    );
  });
});
