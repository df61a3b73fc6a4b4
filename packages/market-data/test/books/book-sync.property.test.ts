import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BinanceBookSync } from '../../src/books/binance-book-sync.ts';
import type { BinanceDepthEvent, Level } from '../../src/books/book-parsers.ts';
import { OkxBookSync } from '../../src/books/okx-book-sync.ts';
import { crc32Signed, okxChecksumString } from '../../src/books/okx-checksum.ts';
import { OrderBook } from '../../src/books/order-book.ts';

/**
 * Property: a book kept by applying the venue's deltas equals the book rebuilt from a snapshot of the
 * same state, wherever the snapshot falls and however the changes are grouped into messages.
 */

interface Change {
  bid: boolean;
  tick: number;
  qty: number;
}

// Bids on ticks 1..100, asks on 101..200: never crossed.
const change = fc.record({
  bid: fc.boolean(),
  tick: fc.integer({ min: 1, max: 100 }),
  qty: fc.integer({ min: 0, max: 9 }),
});
const px = (c: Change) => String(c.bid ? c.tick : 100 + c.tick);

function stateAfter(changes: readonly Change[]): { bids: Level[]; asks: Level[] } {
  const book = new OrderBook();
  for (const c of changes) book.apply(c.bid ? 'bid' : 'ask', px(c), String(c.qty));
  const side = (s: 'bid' | 'ask') => book.top(s, 1000).map((l) => [l.price, l.quantity] as const);
  return { bids: side('bid'), asks: side('ask') };
}

/** Group changes 1..n into events of `sizes`, each level at its last size within the event (as Binance sends). */
function events(changes: readonly Change[], sizes: readonly number[]): BinanceDepthEvent[] {
  const out: BinanceDepthEvent[] = [];
  let i = 0;
  let k = 0;
  while (i < changes.length) {
    const n = Math.min(sizes[k++ % sizes.length] as number, changes.length - i);
    const bids = new Map<string, string>();
    const asks = new Map<string, string>();
    for (const c of changes.slice(i, i + n)) (c.bid ? bids : asks).set(px(c), String(c.qty));
    out.push({ symbol: 'X', eventTime: 0, firstId: i + 1, lastId: i + n, bids: [...bids], asks: [...asks] });
    i += n;
  }
  return out;
}

describe('book synchronisers, property', () => {
  it('Binance: buffered diffs + a snapshot anywhere in them = the venue book', () => {
    fc.assert(
      fc.property(
        fc.array(change, { minLength: 1, maxLength: 300 }),
        fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 10 }),
        fc.nat(),
        fc.nat(),
        (changes, sizes, a, b) => {
          const evs = events(changes, sizes);
          // The socket opens before event `start`; the snapshot is taken after change `snapAt` >= its U - 1.
          const start = a % evs.length;
          const first = evs[start] as BinanceDepthEvent;
          const snapAt = first.firstId + (b % (changes.length - first.firstId + 1));
          const s = new BinanceBookSync();
          let k = start;
          // Buffer the events the venue sent before the snapshot answer came back.
          for (; k < evs.length && (evs[k] as BinanceDepthEvent).firstId <= snapAt; k++)
            s.onDiff(evs[k] as BinanceDepthEvent, 0);
          expect(s.onSnapshot({ lastUpdateId: snapAt, ...stateAfter(changes.slice(0, snapAt)) }, 0)).toEqual({
            type: 'synced',
          });
          for (; k < evs.length; k++) expect(s.onDiff(evs[k] as BinanceDepthEvent, 0).type).toBe('applied');
          expect((s.liveBook() as OrderBook).snapshot()).toEqual(snapshotOf(changes));
          expect(s.counters.totalResyncs()).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('OKX: every update verifies against the checksum and the result equals the rebuilt book', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(change, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 60 }),
        (batches) => {
          const venue = new OrderBook();
          const s = new OkxBookSync();
          venue.apply('bid', '50', '1');
          venue.apply('ask', '150', '1');
          const msg = (action: 'snapshot' | 'update', seqId: number, bids: Level[], asks: Level[]) => ({
            instId: 'X',
            action,
            ts: 0,
            checksum: crc32Signed(okxChecksumString(venue)),
            seqId,
            prevSeqId: action === 'snapshot' ? -1 : seqId - 1,
            bids,
            asks,
          });
          expect(s.onMessage(msg('snapshot', 1, [['50', '1']], [['150', '1']]), 0).type).toBe('synced');
          let seq = 1;
          for (const batch of batches) {
            const bids: Level[] = [];
            const asks: Level[] = [];
            for (const c of batch) {
              venue.apply(c.bid ? 'bid' : 'ask', px(c), String(c.qty));
              (c.bid ? bids : asks).push([px(c), String(c.qty)]);
            }
            seq += 1;
            expect(s.onMessage(msg('update', seq, bids, asks), 0).type).toBe('applied');
          }
          expect((s.liveBook() as OrderBook).snapshot()).toEqual(venue.snapshot());
        },
      ),
      { numRuns: 200 },
    );
  });
});

function snapshotOf(changes: readonly Change[]) {
  const book = new OrderBook();
  for (const c of changes) book.apply(c.bid ? 'bid' : 'ask', px(c), String(c.qty));
  return book.snapshot();
}
