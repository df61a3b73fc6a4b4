import { quoteSchema, tradeSchema } from '@qt/shared';
import { describe, expect, it } from 'vitest';
import { createBinanceAdapter } from '../../src/venues/binance/binance-adapter.ts';

// Golden frames copied from binance-spot-api-docs `web-socket-streams.md` (2026 text where it differs
// from the 2023-12-04 one).
const trade2026 =
  '{"e":"trade","E":1672515782136,"s":"BNBBTC","t":12345,"p":"0.001","q":"100","T":1672515782136,"m":true,"M":true}';
const trade2023 =
  '{"e":"trade","E":1672515782136,"s":"BNBBTC","t":12345,"p":"0.001","q":"100","b":88,"a":50,"T":1672515782136,"m":true,"M":true}';
const aggTrade =
  '{"e":"aggTrade","E":1672515782136,"s":"BNBBTC","a":12345,"p":"0.001","q":"100","f":100,"l":105,"T":1672515782136,"m":true,"M":true}';
const bookTicker =
  '{"u":400900217,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}';
const receiveTime = 1672515782200;

describe('Binance adapter', () => {
  const adapter = createBinanceAdapter();

  it('normalises a trade, keeping decimals as printed and reading m:true as a taker sell', () => {
    const msg = adapter.parse(trade2026, receiveTime);
    expect(msg).toEqual({
      kind: 'trades',
      ids: [12345, 12345],
      trades: [
        {
          venue: 'binance',
          symbol: 'BNB-BTC',
          venueSymbol: 'BNBBTC',
          tradeId: '12345',
          price: '0.001',
          quantity: '100',
          takerSide: 'sell',
          exchangeTime: 1672515782136,
          receiveTime,
        },
      ],
    });
    if (msg.kind === 'trades') expect(tradeSchema.parse(msg.trades[0])).toBeTruthy();
  });

  it('accepts the pre-2025 trade with buyer and seller order ids', () => {
    expect(adapter.parse(trade2023, receiveTime)).toEqual(adapter.parse(trade2026, receiveTime));
  });

  it('unwraps combined-stream frames', () => {
    const wrapped = `{"stream":"bnbbtc@trade","data":${trade2026.replace('"m":true', '"m":false')}}`;
    const msg = adapter.parse(wrapped, receiveTime);
    expect(msg.kind === 'trades' && msg.trades[0]?.takerSide).toBe('buy');
  });

  it('reads an aggTrade with the trade id range it covers', () => {
    const msg = adapter.parse(`{"stream":"bnbbtc@aggTrade","data":${aggTrade}}`, receiveTime);
    expect(msg.kind).toBe('trades');
    if (msg.kind === 'trades') {
      expect(msg.ids).toEqual([100, 105]);
      expect(msg.trades[0]).toMatchObject({ tradeId: '12345', price: '0.001', takerSide: 'sell' });
    }
  });

  it('reads a bookTicker by its stream name, and on a raw stream by its shape', () => {
    const expected = {
      venue: 'binance',
      symbol: 'BNB-USDT',
      bidPrice: '25.35190000',
      bidSize: '31.21000000',
      askPrice: '25.36520000',
      askSize: '40.66000000',
      exchangeTime: receiveTime,
      receiveTime,
      updateId: '400900217',
    };
    const combined = adapter.parse(`{"stream":"bnbusdt@bookTicker","data":${bookTicker}}`, receiveTime);
    expect(combined).toEqual({ kind: 'quote', quote: expected });
    expect(adapter.parse(bookTicker, receiveTime)).toEqual({ kind: 'quote', quote: expected });
    expect(quoteSchema.parse(expected)).toBeTruthy();
  });

  it('reads acks and both error shapes with their request ids', () => {
    expect(adapter.parse('{"result":null,"id":1}', receiveTime)).toEqual({ kind: 'ack', requestId: '1' });
    expect(
      adapter.parse('{"error":{"code":2,"msg":"Invalid request: too many parameters"},"id":7}', receiveTime),
    ).toEqual({ kind: 'error', requestId: '7', code: '2', message: 'Invalid request: too many parameters' });
    expect(adapter.parse('{"code": 0, "msg": "Unknown property","id": 5}', receiveTime)).toEqual({
      kind: 'error',
      requestId: '5',
      code: '0',
      message: 'Unknown property',
    });
    expect(
      adapter.parse('{"code":3,"msg":"Invalid JSON: expected value at line 1 column 1"}', receiveTime),
    ).toMatchObject({
      kind: 'error',
      code: '3',
    });
  });

  it('reads the serverShutdown notice, raw and combined', () => {
    expect(adapter.parse('{"e":"serverShutdown","E":1770123456789}', receiveTime).kind).toBe('shutdown');
    expect(
      adapter.parse(
        '{"stream":"!serverShutdown","data":{"e":"serverShutdown","E":1770123456789}}',
        receiveTime,
      ).kind,
    ).toBe('shutdown');
  });

  it('calls other events unknown and broken frames malformed, without throwing', () => {
    const kline =
      '{"e":"kline","E":1672515782136,"s":"BNBBTC","k":{"t":1672515780000,"T":1672515839999,"s":"BNBBTC","i":"1m"}}';
    expect(adapter.parse(kline, receiveTime).kind).toBe('unknown');
    expect(adapter.parse('{"e":"trade","s":"BNBBTC"', receiveTime)).toEqual({
      kind: 'malformed',
      reason: 'invalid JSON',
    });
    expect(adapter.parse('[1,2]', receiveTime).kind).toBe('malformed');
    expect(adapter.parse(trade2026.replace('"p":"0.001"', '"p":0.001'), receiveTime).kind).toBe('malformed');
    expect(adapter.parse(trade2026.replace('"t":12345', '"t":"12345"'), receiveTime).kind).toBe('malformed');
    expect(adapter.parse(trade2026.replace('"p":"0.001"', '"p":"1e-3"'), receiveTime).kind).toBe('malformed');
  });

  it('maps symbols both ways, preferring registered splits over the suffix guess', () => {
    const a = createBinanceAdapter();
    expect(a.toVenueSymbol('BTC-USDT')).toBe('BTCUSDT');
    expect(a.toCanonicalSymbol('btcusdt')).toBe('BTC-USDT');
    expect(a.toCanonicalSymbol('ETHBTC')).toBe('ETH-BTC');
    a.registerSymbols(['USDC-USDT']);
    expect(a.toCanonicalSymbol('USDCUSDT')).toBe('USDC-USDT');
  });

  it('puts streams in the combined URL and subscribes the rest in batches of at most 200', () => {
    const a = createBinanceAdapter({ urlStreams: 2 });
    const subs = Array.from({ length: 450 }, (_, i) => ({
      symbol: `C${i}-USDT`,
      channel: 'trades' as const,
    }));
    const { url, pending } = a.connectUrl('ws://127.0.0.1:1/binance/', subs);
    expect(url).toBe('ws://127.0.0.1:1/binance/stream?streams=c0usdt@trade/c1usdt@trade');
    expect(pending).toHaveLength(448);
    let id = 0;
    const requests = a.subscribeRequests(pending, () => ++id);
    expect(requests.map((r) => r.subscriptions.length)).toEqual([200, 200, 48]);
    expect(JSON.parse(requests[0]?.text ?? '')).toMatchObject({ method: 'SUBSCRIBE', id: 1 });
    expect(JSON.parse(requests[0]?.text ?? '').params[0]).toBe('c2usdt@trade');
    expect(
      JSON.parse(a.unsubscribeRequests([{ symbol: 'BTC-USDT', channel: 'quotes' }], () => 9)[0]?.text ?? ''),
    ).toEqual({
      method: 'UNSUBSCRIBE',
      params: ['btcusdt@bookTicker'],
      id: 9,
    });
  });

  it('declares the documented limits and heartbeat', () => {
    expect(adapter.limits).toMatchObject({
      maxSubscriptionsPerConnection: 1024,
      connectAttempts: { max: 300, windowMs: 300_000 },
      maxConnectionLifetimeMs: 86_400_000,
    });
    expect(adapter.limits.maxOutgoingPerSecond).toBeLessThan(5);
    expect(adapter.heartbeat).toEqual({ kind: 'server-ping', serverIntervalMs: 20_000 });
  });

  it('parses exchangeInfo filters into instruments', () => {
    const body = {
      symbols: [
        {
          symbol: 'ETHBTC',
          status: 'TRADING',
          baseAsset: 'ETH',
          quoteAsset: 'BTC',
          filters: [
            {
              filterType: 'PRICE_FILTER',
              minPrice: '0.00000100',
              maxPrice: '100000.00000000',
              tickSize: '0.00000100',
            },
            {
              filterType: 'LOT_SIZE',
              minQty: '0.00100000',
              maxQty: '100000.00000000',
              stepSize: '0.00100000',
            },
            { filterType: 'NOTIONAL', minNotional: '0.00010000', applyMinToMarket: true },
          ],
        },
        {
          symbol: 'OLDUSDT',
          status: 'BREAK',
          baseAsset: 'OLD',
          quoteAsset: 'USDT',
          filters: [
            { filterType: 'PRICE_FILTER', tickSize: '0.01' },
            { filterType: 'LOT_SIZE', stepSize: '1.00' },
          ],
        },
        { symbol: 'BROKEN', status: 'TRADING', baseAsset: 'X', quoteAsset: 'Y', filters: [] },
      ],
    };
    expect(adapter.parseInstruments(body)).toEqual([
      {
        venue: 'binance',
        symbol: 'ETH-BTC',
        venueSymbol: 'ETHBTC',
        base: 'ETH',
        quote: 'BTC',
        tickSize: '0.000001',
        lotSize: '0.001',
        minNotional: '0.0001',
        status: 'trading',
      },
      {
        venue: 'binance',
        symbol: 'OLD-USDT',
        venueSymbol: 'OLDUSDT',
        base: 'OLD',
        quote: 'USDT',
        tickSize: '0.01',
        lotSize: '1',
        minNotional: '0',
        status: 'halted',
      },
    ]);
    expect(() => adapter.parseInstruments({ code: -1 })).toThrow(/symbols/);
  });
});
