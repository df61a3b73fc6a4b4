import { describe, expect, it } from 'vitest';
import { createBinanceAdapter } from '../../src/venues/binance/binance-adapter.ts';
import { binanceDepthWeight } from '../../src/venues/binance/binance-depth-snapshot.ts';
import { createBybitAdapter } from '../../src/venues/bybit/bybit-adapter.ts';
import { createOkxAdapter } from '../../src/venues/okx/okx-adapter.ts';
import type { Subscription } from '../../src/venues/venue-adapter.ts';
import { binanceDiffDoc, bybitDeltaDoc, bybitSnapshotDoc, okxSnapshotDoc } from '../books/golden-frames.ts';

/**
 * The `depth` channel in the adapters: each venue's depth topic is subscribed, and its frames (golden
 * frames from the venues' docs) come out as `depth` messages for the book synchronisers, while trade and
 * quote frames keep their own parsers.
 */

const depth = (symbol: string): Subscription => ({ symbol, channel: 'depth' });
let id = 0;
const nextId = () => ++id;

describe('depth channel in the adapters', () => {
  it('Binance: `<sym>@depth@100ms` in the URL and in SUBSCRIBE; depthUpdate routed with the canonical symbol', () => {
    const a = createBinanceAdapter();
    a.registerSymbols(['BNB-BTC', 'BTC-USDT']);
    expect(a.connectUrl('ws://x', [depth('BTC-USDT')]).url).toBe('ws://x/stream?streams=btcusdt@depth@100ms');
    expect(JSON.parse(a.subscribeRequests([depth('BNB-BTC')], nextId)[0]?.text ?? '').params).toEqual([
      'bnbbtc@depth@100ms',
    ]);
    const msg = a.parse(binanceDiffDoc, 1);
    expect(msg).toMatchObject({ kind: 'depth', symbol: 'BNB-BTC', depth: { venue: 'binance' } });
    if (msg.kind !== 'depth' || msg.depth.venue !== 'binance') return;
    expect(msg.depth.event).toMatchObject({ firstId: 157, lastId: 160, bids: [['0.0024', '10']] });
    // Combined-stream envelope too.
    const combined = a.parse(`{"stream":"bnbbtc@depth@100ms","data":${binanceDiffDoc}}`, 1);
    expect(combined.kind).toBe('depth');
    // A broken depth frame is malformed (the next one shows the gap), never thrown.
    expect(a.parse('{"e":"depthUpdate","E":1,"s":"BNBBTC","U":"x"}', 1).kind).toBe('malformed');
    expect(a.parse(binanceDiffDoc.replace('BNBBTC', 'ZZZQQQ'), 1).kind).toBe('malformed');
    // Trades still take their own path.
    const trade =
      '{"e":"trade","E":1672515782136,"s":"BNBBTC","t":12345,"p":"0.001","q":"100","T":1672515782136,"m":true,"M":true}';
    expect(a.parse(trade, 1).kind).toBe('trades');
  });

  it('OKX: `books` args; snapshot and update pushes routed, acks and other channels untouched', () => {
    const a = createOkxAdapter();
    expect(JSON.parse(a.subscribeRequests([depth('BTC-USDT')], nextId)[0]?.text ?? '').args).toEqual([
      { channel: 'books', instId: 'BTC-USDT' },
    ]);
    expect(a.pathOf(depth('BTC-USDT'))).toBe('/ws/v5/public');
    const msg = a.parse(okxSnapshotDoc, 1);
    expect(msg).toMatchObject({ kind: 'depth', symbol: 'BTC-USDT', depth: { venue: 'okx' } });
    if (msg.kind !== 'depth' || msg.depth.venue !== 'okx') return;
    expect(msg.depth.message.action).toBe('snapshot');
    expect(msg.depth.message.bids[0]).toEqual(['8476.97', '256']);
    const ack =
      '{"event":"subscribe","arg":{"channel":"books","instId":"BTC-USDT"},"connId":"a4d3ae55","id":"7"}';
    expect(a.parse(ack, 1)).toEqual({ kind: 'ack', requestId: '7' });
    expect(a.parse(okxSnapshotDoc.replace('"action":"snapshot"', '"action":"nope"'), 1).kind).toBe(
      'malformed',
    );
  });

  it('Bybit: `orderbook.50.<SYM>` topics; snapshots and deltas routed, `orderbook.1` stays the quote', () => {
    const a = createBybitAdapter();
    a.registerSymbols(['BTC-USDT']);
    expect(JSON.parse(a.subscribeRequests([depth('BTC-USDT')], nextId)[0]?.text ?? '').args).toEqual([
      'orderbook.50.BTCUSDT',
    ]);
    for (const [frame, type] of [
      [bybitSnapshotDoc, 'snapshot'],
      [bybitDeltaDoc, 'delta'],
    ] as const) {
      const msg = a.parse(frame, 1);
      expect(msg).toMatchObject({ kind: 'depth', symbol: 'BTC-USDT', depth: { venue: 'bybit' } });
      if (msg.kind === 'depth' && msg.depth.venue === 'bybit') expect(msg.depth.message.type).toBe(type);
    }
    const quote = bybitSnapshotDoc.replace('orderbook.50.', 'orderbook.1.');
    expect(a.parse(quote, 1).kind).toBe('quote');
  });

  it('Binance snapshot weight follows the published table', () => {
    expect([100, 101, 500, 501, 1000, 1001, 5000].map(binanceDepthWeight)).toEqual([
      5, 25, 25, 50, 50, 250, 250,
    ]);
  });
});
