import type { Trade } from '@qt/shared';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type TradeGap, TradeSequencer } from '../../src/sequence/trade-sequencer.ts';

const zero = { reordered: 0, pending: 0, idResets: 0 };

function trade(symbol: string, tradeId: string | number, exchangeTime = 0): Trade {
  return {
    venue: 'binance',
    symbol,
    venueSymbol: symbol.replace('-', ''),
    tradeId: String(tradeId),
    price: '1',
    quantity: '1',
    takerSide: 'buy',
    exchangeTime,
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
    expect(seq.stats()).toEqual({ gaps: 0, missing: 0, duplicates: 0, recovered: 0, ...zero });
  });

  it('drops repeats and reports a jump with the missing id range', () => {
    const seq = new TradeSequencer({ mode: 'consecutive' });
    const { kept, gaps } = run(seq, 'BTC-USDT', [10, 11, 11, 10, 15, 16]);
    expect(kept).toEqual([10, 11, 15, 16]);
    expect(gaps).toEqual([{ venue: 'binance', symbol: 'BTC-USDT', fromId: 12, toId: 14, missing: 3 }]);
    expect(seq.stats()).toEqual({ gaps: 1, missing: 3, duplicates: 2, recovered: 0, ...zero });
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
    expect(seq.stats()).toEqual({ gaps: 1, missing: 0, duplicates: 2, recovered: 3, ...zero });
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
          expect(seq.stats()).toEqual({ gaps, missing, duplicates: dups, recovered: 0, ...zero });
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

  it('keeps never-seen ids whose seq restarted below everything the window forgot (new connection)', () => {
    const seq = new TradeSequencer({ mode: 'unique', window: 2 });
    const feed = (id: string, s: number) => seq.accept([trade('BTC-USDT', id)], [s, s]).length;
    // a..c on one connection (seq 10..12, `a` forgotten); then `seq` starts over on the next connection.
    expect([feed('a', 10), feed('b', 11), feed('c', 12), feed('c', 12), feed('x', 1), feed('y', 2)]).toEqual([
      1, 1, 1, 0, 1, 1,
    ]);
    expect(seq.stats()).toMatchObject({ duplicates: 1 });
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

describe('TradeSequencer, gap grace and id restarts', () => {
  it('does not report a gap that out-of-order frames fill within the grace period', () => {
    const seq = new TradeSequencer({ mode: 'consecutive', gapGraceMs: 1000 });
    const gaps: TradeGap[] = [];
    const onGap = (g: TradeGap) => gaps.push(g);
    seq.accept([trade('BTC-USDT', 1)], [1, 1], onGap, 0);
    // The new socket runs ahead (5), the old one's late frames bring 2..4.
    seq.accept([trade('BTC-USDT', 5)], [5, 5], onGap, 10);
    expect(seq.stats()).toMatchObject({ gaps: 0, pending: 3 });
    seq.accept([trade('BTC-USDT', 2), trade('BTC-USDT', 3)], [2, 2, 3, 3], onGap, 200);
    seq.accept([trade('BTC-USDT', 4)], [4, 4], onGap, 300);
    seq.reportDueGaps(5_000, onGap);
    expect(gaps).toEqual([]);
    expect(seq.stats()).toEqual({
      gaps: 0,
      missing: 0,
      duplicates: 0,
      recovered: 0,
      reordered: 3,
      pending: 0,
      idResets: 0,
    });
  });

  it('reports what is still missing once the grace period ends, and counts later arrivals as recovered', () => {
    const seq = new TradeSequencer({ mode: 'consecutive', gapGraceMs: 1000 });
    const gaps: TradeGap[] = [];
    const onGap = (g: TradeGap) => gaps.push(g);
    run(seq, 'BTC-USDT', [1]);
    seq.accept([trade('BTC-USDT', 10)], [10, 10], onGap, 0);
    seq.accept([trade('BTC-USDT', 5)], [5, 5], onGap, 100);
    seq.reportDueGaps(999, onGap);
    expect(gaps).toEqual([]);
    seq.reportDueGaps(1000, onGap);
    expect(gaps).toEqual([
      { venue: 'binance', symbol: 'BTC-USDT', fromId: 2, toId: 4, missing: 3 },
      { venue: 'binance', symbol: 'BTC-USDT', fromId: 6, toId: 9, missing: 4 },
    ]);
    seq.accept([trade('BTC-USDT', 3)], [3, 3], onGap, 2000);
    expect(seq.stats()).toMatchObject({ gaps: 2, missing: 6, recovered: 1, reordered: 1, pending: 0 });
  });

  it('re-bases on a large backwards jump (venue id restart) and says so', () => {
    const seq = new TradeSequencer({ mode: 'consecutive', idResetJump: 100 });
    const resets: unknown[] = [];
    const kept: string[] = [];
    for (const id of [5_000, 5_001, 4_990, 1, 2, 3, 2]) {
      for (const t of seq.accept([trade('BTC-USDT', id)], [id, id], undefined, 0, (r) => resets.push(r)))
        kept.push(t.tradeId);
    }
    expect(kept).toEqual(['5000', '5001', '1', '2', '3']);
    expect(resets).toEqual([{ venue: 'binance', symbol: 'BTC-USDT', lastId: 5_001, firstId: 1 }]);
    expect(seq.stats()).toMatchObject({ duplicates: 2, idResets: 1, gaps: 0 });
  });

  it('re-bases on a small backwards jump whose trade is newer than every trade seen', () => {
    const seq = new TradeSequencer({ mode: 'consecutive' });
    const feed = (id: number, time: number) => seq.accept([trade('BTC-USDT', id, time)], [id, id]).length;
    // 40 is a repeat (same time as before); 1 at a later time can only be a new series.
    expect([feed(40, 100), feed(41, 101), feed(40, 100), feed(1, 102), feed(2, 102)]).toEqual([
      1, 1, 0, 1, 1,
    ]);
    expect(seq.stats()).toMatchObject({ duplicates: 1, idResets: 1 });
  });
});
