import { describe, expect, it } from 'vitest';
import { BinanceBookSync } from '../../src/books/binance-book-sync.ts';
import {
  type BinanceDepthEvent,
  type BybitOrderbookMessage,
  parseBinanceDepthEvent,
  parseBinanceDepthSnapshot,
  parseBybitOrderbook,
  parseOkxBooks,
} from '../../src/books/book-parsers.ts';
import { BybitBookSync } from '../../src/books/bybit-book-sync.ts';
import { OkxBookSync } from '../../src/books/okx-book-sync.ts';
import { crc32Signed, okxChecksumString } from '../../src/books/okx-checksum.ts';
import { OrderBook } from '../../src/books/order-book.ts';
import {
  binanceDiffDoc,
  binanceSnapshotDoc,
  bybitDeltaDoc,
  bybitSnapshotDoc,
  okxSnapshotDoc,
} from './golden-frames.ts';

const diff = (
  U: number,
  u: number,
  b: Array<[string, string]> = [],
  a: Array<[string, string]> = [],
): BinanceDepthEvent => ({
  symbol: 'BNBBTC',
  eventTime: 1,
  firstId: U,
  lastId: u,
  bids: b,
  asks: a,
});

describe('golden frames (docs examples)', () => {
  it('parses Binance diff depth and the REST snapshot', () => {
    expect(parseBinanceDepthEvent(binanceDiffDoc)).toEqual({
      symbol: 'BNBBTC',
      eventTime: 1672515782136,
      firstId: 157,
      lastId: 160,
      bids: [['0.0024', '10']],
      asks: [['0.0026', '100']],
    });
    expect(parseBinanceDepthEvent(`{"stream":"bnbbtc@depth@100ms","data":${binanceDiffDoc}}`)?.lastId).toBe(
      160,
    );
    expect(parseBinanceDepthEvent('{"e":"trade","E":1}')).toBeNull();
    expect(parseBinanceDepthSnapshot(binanceSnapshotDoc)).toEqual({
      lastUpdateId: 1027024,
      bids: [['4.00000000', '431.00000000']],
      asks: [['4.00000200', '12.00000000']],
    });
    expect(() =>
      parseBinanceDepthEvent('{"e":"depthUpdate","E":1,"s":"X","U":5,"u":4,"b":[],"a":[]}'),
    ).toThrowError(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });

  it('parses the OKX books snapshot (4-field levels)', () => {
    const m = parseOkxBooks(okxSnapshotDoc);
    expect(m).toMatchObject({
      instId: 'BTC-USDT',
      action: 'snapshot',
      seqId: 123456,
      prevSeqId: -1,
      checksum: -855196043,
    });
    expect(m?.asks[0]).toEqual(['8476.98', '415']);
    expect(m?.bids).toHaveLength(8);
    expect(parseOkxBooks('pong')).toBeNull();
    expect(parseOkxBooks('{"event":"subscribe","arg":{"channel":"books","instId":"BTC-USDT"}}')).toBeNull();
  });

  it('parses Bybit orderbook.50 snapshot and delta', () => {
    expect(parseBybitOrderbook(bybitSnapshotDoc)).toMatchObject({
      symbol: 'BTCUSDT',
      depth: 50,
      type: 'snapshot',
      u: 18521288,
      seq: 7961638724,
    });
    expect(parseBybitOrderbook(bybitDeltaDoc)?.bids).toEqual([
      ['16493.50', '0'],
      ['16493.00', '0.200'],
    ]);
    expect(
      parseBybitOrderbook('{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1,"data":[]}'),
    ).toBeNull();
  });
});

describe('Binance: the documented procedure, step by step', () => {
  it('buffers, drops u <= lastUpdateId, applies the straddling event, then requires U == prev u + 1', () => {
    const s = new BinanceBookSync();
    expect(s.liveBook()).toBeNull();
    // 1. Buffer the stream's events.
    expect(s.onDiff(diff(100, 103, [['10', '1']]), 0)).toEqual({ type: 'buffered' });
    expect(s.onDiff(diff(104, 106, [['10', '2']], [['11', '1']]), 0)).toEqual({ type: 'buffered' });
    expect(s.onDiff(diff(107, 110, [['9', '5']]), 0)).toEqual({ type: 'buffered' });
    expect(s.wantsSnapshot()).toBe(true);
    // 2. Snapshot at 105: 100-103 is dropped (u <= 105), 104-106 straddles (U <= 106 <= u) and applies.
    const ev = s.onSnapshot(
      {
        lastUpdateId: 105,
        bids: [
          ['10', '7'],
          ['8', '1'],
        ],
        asks: [['12', '3']],
      },
      1,
    );
    expect(ev).toEqual({ type: 'synced' });
    const book = s.liveBook() as OrderBook;
    expect(book.top('bid', 5)).toEqual([
      { price: '10', quantity: '2' },
      { price: '9', quantity: '5' },
      { price: '8', quantity: '1' },
    ]);
    expect(book.best('ask')).toEqual({ price: '11', quantity: '1' });
    expect(s.lastUpdateId).toBe(110);
    // 3. Next events continue; an old one is ignored.
    expect(s.onDiff(diff(111, 111, [['8', '0']]), 2)).toEqual({ type: 'applied' });
    expect(s.onDiff(diff(100, 111), 2)).toEqual({ type: 'ignored' });
    // 4. A gap: resync, counted, the book is no longer served.
    expect(s.onDiff(diff(113, 115), 3)).toEqual({ type: 'resyncNeeded', reason: 'sequence-gap' });
    expect(s.liveBook()).toBeNull();
    expect(s.counters.resyncs['sequence-gap']).toBe(1);
    // The event after the gap is kept for the next snapshot.
    expect(s.buffered).toBe(1);
    expect(s.onSnapshot({ lastUpdateId: 114, bids: [['10', '1']], asks: [['11', '1']] }, 4)).toEqual({
      type: 'synced',
    });
    expect(s.lastUpdateId).toBe(115);
  });

  it('fetches again when the snapshot is older than the first buffered event', () => {
    const s = new BinanceBookSync();
    s.onDiff(diff(200, 205), 0);
    expect(s.onSnapshot({ lastUpdateId: 150, bids: [], asks: [] }, 0)).toEqual({
      type: 'resyncNeeded',
      reason: 'snapshot-too-old',
    });
    expect(s.wantsSnapshot()).toBe(true);
    expect(s.onSnapshot({ lastUpdateId: 202, bids: [['1', '1']], asks: [['2', '1']] }, 0)).toEqual({
      type: 'synced',
    });
  });

  it('a gap inside the buffer after the snapshot resyncs', () => {
    const s = new BinanceBookSync();
    s.onDiff(diff(100, 110), 0);
    s.onDiff(diff(115, 120), 0);
    expect(s.onSnapshot({ lastUpdateId: 105, bids: [], asks: [] }, 0)).toEqual({
      type: 'resyncNeeded',
      reason: 'sequence-gap',
    });
  });

  it('bounds the buffer and goes stale without frames', () => {
    const s = new BinanceBookSync({ maxBuffered: 2, staleAfterMs: 1000 });
    s.onDiff(diff(1, 1), 0);
    s.onDiff(diff(2, 2), 0);
    s.onDiff(diff(3, 3), 0);
    expect(s.buffered).toBe(2);
    expect(s.counters.bufferDropped).toBe(1);
    s.onSnapshot({ lastUpdateId: 2, bids: [['1', '1']], asks: [['2', '1']] }, 0);
    expect(s.status).toBe('synced');
    expect(s.checkStale(500)).toBeNull();
    expect(s.checkStale(1000)).toEqual({ type: 'stale' });
    expect(s.status).toBe('stale');
    expect(s.liveBook()).toBeNull();
    expect(s.counters.resyncs.stale).toBe(1);
  });

  it('a crossed book is known wrong', () => {
    const s = new BinanceBookSync();
    s.onDiff(diff(10, 11, [['3', '1']]), 0);
    expect(s.onSnapshot({ lastUpdateId: 10, bids: [['1', '1']], asks: [['2', '1']] }, 0)).toEqual({
      type: 'resyncNeeded',
      reason: 'crossed-book',
    });
  });
});

/** An OKX message for `book` after applying `bids`/`asks`, with the checksum OKX would send. */
function okxMsg(
  model: OrderBook,
  action: 'snapshot' | 'update',
  seqId: number,
  prevSeqId: number,
  bids: Array<[string, string]>,
  asks: Array<[string, string]>,
) {
  for (const [p, q] of bids) model.apply('bid', p, q);
  for (const [p, q] of asks) model.apply('ask', p, q);
  return {
    instId: 'BTC-USDT',
    action,
    ts: 1,
    checksum: crc32Signed(okxChecksumString(model)),
    seqId,
    prevSeqId,
    bids,
    asks,
  };
}

describe('OKX: snapshot, prevSeqId chain, checksum after every update', () => {
  it('syncs, applies, and resyncs on a broken chain or a checksum mismatch', () => {
    const s = new OkxBookSync();
    const model = new OrderBook();
    const snap = okxMsg(
      model,
      'snapshot',
      10,
      -1,
      [
        ['100', '1'],
        ['99', '2'],
      ],
      [['101', '3']],
    );
    expect(s.onMessage(snap, 0)).toEqual({ type: 'synced' });
    expect(s.onMessage(okxMsg(model, 'update', 12, 10, [['99', '0']], [['101.5', '1']]), 1)).toEqual({
      type: 'applied',
    });
    expect(s.liveBook()?.snapshot()).toEqual(model.snapshot());
    // prevSeqId does not link to 12: a message was lost.
    expect(s.onMessage(okxMsg(model, 'update', 15, 13, [], [['102', '1']]), 2)).toEqual({
      type: 'resyncNeeded',
      reason: 'sequence-gap',
    });
    expect(s.onMessage(okxMsg(model, 'update', 16, 15, [], []), 2)).toEqual({ type: 'ignored' });
    // A fresh snapshot carries the whole book.
    const full = (side: 'bid' | 'ask') =>
      model.top(side, 400).map((l) => [l.price, l.quantity] as [string, string]);
    const snap2 = okxMsg(model, 'snapshot', 20, -1, [], []);
    expect(s.onMessage({ ...snap2, bids: full('bid'), asks: full('ask') }, 3)).toEqual({ type: 'synced' });
    const bad = okxMsg(model, 'update', 21, 20, [['100', '5']], []);
    expect(s.onMessage({ ...bad, checksum: bad.checksum + 1 }, 4)).toEqual({
      type: 'resyncNeeded',
      reason: 'checksum-mismatch',
    });
    expect(s.liveBook()).toBeNull();
    expect(s.counters.resyncs).toMatchObject({ 'sequence-gap': 1, 'checksum-mismatch': 1 });
  });

  it('verifies the snapshot checksum too', () => {
    const s = new OkxBookSync();
    const m = okxMsg(new OrderBook(), 'snapshot', 1, -1, [['1', '1']], [['2', '1']]);
    expect(s.onMessage({ ...m, checksum: m.checksum ^ 1 }, 0)).toMatchObject({ reason: 'checksum-mismatch' });
  });
});

const bybit = (text: string) => parseBybitOrderbook(text) as BybitOrderbookMessage;

describe('Bybit: snapshot/delta by u, u = 1 resets', () => {
  it('applies the docs snapshot and delta, and resyncs on a u gap', () => {
    const s = new BybitBookSync();
    expect(s.onMessage(bybit(bybitSnapshotDoc), 0)).toEqual({ type: 'synced' });
    expect(s.onMessage(bybit(bybitDeltaDoc), 1)).toEqual({ type: 'applied' });
    const book = s.liveBook() as OrderBook;
    expect(book.top('bid', 5)).toEqual([{ price: '16493', quantity: '0.2' }]);
    expect(book.best('ask')).toEqual({ price: '16611', quantity: '0.001' });
    const delta = bybit(bybitDeltaDoc);
    expect(s.onMessage({ ...delta, u: 18521291 }, 2)).toEqual({
      type: 'resyncNeeded',
      reason: 'sequence-gap',
    });
    expect(s.onMessage({ ...delta, u: 18521292 }, 2)).toEqual({ type: 'ignored' });
    // u = 1: Bybit restarted; whatever the type says, it is a snapshot.
    expect(
      s.onMessage({ ...delta, type: 'delta', u: 1, bids: [['10', '1']], asks: [['11', '1']] }, 3),
    ).toEqual({
      type: 'synced',
    });
    expect(s.onMessage({ ...delta, u: 2, bids: [['9', '1']], asks: [] }, 4)).toEqual({ type: 'applied' });
    expect(s.liveBook()?.size('bid')).toBe(2);
  });

  it('keeps only the subscribed depth', () => {
    const s = new BybitBookSync({ depth: 2 });
    const base = bybit(bybitSnapshotDoc);
    s.onMessage(
      {
        ...base,
        bids: [
          ['3', '1'],
          ['2', '1'],
          ['1', '1'],
        ],
        asks: [['4', '1']],
      },
      0,
    );
    expect(
      s
        .liveBook()
        ?.top('bid', 5)
        .map((l) => l.price),
    ).toEqual(['3', '2']);
  });
});
