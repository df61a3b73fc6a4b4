import { quoteSchema, tradeSchema } from '@qt/shared';
import { describe, expect, it } from 'vitest';
import { createBybitAdapter } from '../../src/venues/bybit/bybit-adapter.ts';

// Golden frames from bybit-exchange.github.io/docs/v5 (websocket/public/trade, orderbook, connect).
const trade =
  '{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1672304486868,"data":[{"T":1672304486865,"s":"BTCUSDT","S":"Buy","v":"0.001","p":"16578.50","L":"PlusTick","i":"20f43950-d8dd-5b31-9112-a178eb6023af","BT":false}]}';
const book =
  '{"topic":"orderbook.1.BTCUSDT","type":"snapshot","ts":1672304484978,"data":{"s":"BTCUSDT","b":[["16493.50","0.006"]],"a":[["16611.00","0.029"]],"u":18521288,"seq":7961638724},"cts":1672304484976}';
const receiveTime = 1672304487000;

describe('Bybit adapter', () => {
  const adapter = createBybitAdapter();

  it('normalises public trades, taker side from S', () => {
    const msg = adapter.parse(trade, receiveTime);
    expect(msg.kind).toBe('trades');
    if (msg.kind !== 'trades') return;
    expect(msg.trades).toEqual([
      {
        venue: 'bybit',
        symbol: 'BTC-USDT',
        venueSymbol: 'BTCUSDT',
        tradeId: '20f43950-d8dd-5b31-9112-a178eb6023af',
        price: '16578.50',
        quantity: '0.001',
        takerSide: 'buy',
        exchangeTime: 1672304486865,
        receiveTime,
      },
    ]);
    expect(msg.ids).toEqual([Number.NaN, Number.NaN]);
    expect(tradeSchema.parse(msg.trades[0])).toBeTruthy();
  });

  it('carries the cross sequence when the trade has one', () => {
    const withSeq = trade.replace('"BT":false', '"BT":false,"seq":1783284617');
    const msg = adapter.parse(withSeq.replace('"S":"Buy"', '"S":"Sell"'), receiveTime);
    expect(msg.kind === 'trades' && msg.ids).toEqual([1783284617, 1783284617]);
    expect(msg.kind === 'trades' && msg.trades[0]?.takerSide).toBe('sell');
  });

  it('reads orderbook.1 into a quote, whatever the key order', () => {
    const quote = {
      venue: 'bybit',
      symbol: 'BTC-USDT',
      bidPrice: '16493.50',
      bidSize: '0.006',
      askPrice: '16611.00',
      askSize: '0.029',
      exchangeTime: 1672304484978,
      receiveTime,
      updateId: '18521288',
    };
    expect(adapter.parse(book, receiveTime)).toEqual({ kind: 'quote', quote });
    const reordered =
      '{"cts":1672304484976,"data":{"seq":7961638724,"u":18521288,"a":[["16611.00","0.029"]],"b":[["16493.50","0.006"]],"s":"BTCUSDT"},"ts":1672304484978,"type":"snapshot","topic":"orderbook.1.BTCUSDT"}';
    expect(adapter.parse(reordered, receiveTime)).toEqual({ kind: 'quote', quote });
    expect(quoteSchema.parse(quote)).toBeTruthy();
    expect(adapter.parse(book.replace('[["16611.00","0.029"]]', '[]'), receiveTime).kind).toBe('ignored');
  });

  it('reads acks, failures and every pong shape', () => {
    expect(
      adapter.parse(
        '{"success":true,"ret_msg":"subscribe","conn_id":"2324d924-aa4d-45b0","req_id":"1","op":"subscribe"}',
        receiveTime,
      ),
    ).toEqual({ kind: 'ack', requestId: '1' });
    expect(
      adapter.parse(
        '{"success":false,"ret_msg":"error:handler not found,topic:publicTrade.NOTASYMBOL","conn_id":"x","req_id":"","op":"subscribe"}',
        receiveTime,
      ),
    ).toEqual({
      kind: 'error',
      requestId: null,
      code: 'success:false',
      message: 'error:handler not found,topic:publicTrade.NOTASYMBOL',
    });
    expect(
      adapter.parse(
        '{"success":true,"ret_msg":"pong","conn_id":"0970e817-426e-429a","op":"ping"}',
        receiveTime,
      ),
    ).toEqual({
      kind: 'pong',
    });
    expect(
      adapter.parse('{"success":true,"ret_msg":"pong","conn_id":"x","req_id":"","op":"ping"}', receiveTime)
        .kind,
    ).toBe('pong');
    expect(adapter.parse('{"args":["1672916271846"],"op":"pong"}', receiveTime).kind).toBe('pong');
  });

  it('calls other topics unknown and broken frames malformed', () => {
    expect(
      adapter.parse('{"topic":"tickers.BTCUSDT","type":"snapshot","ts":1,"data":{}}', receiveTime).kind,
    ).toBe('unknown');
    expect(adapter.parse('{"topic":"publicTrade.BTCUSDT","data":{}}', receiveTime).kind).toBe('malformed');
    expect(adapter.parse(trade.replace('"S":"Buy"', '"S":"buy"'), receiveTime).kind).toBe('malformed');
    expect(adapter.parse(trade.replace('"p":"16578.50"', '"p":null'), receiveTime).kind).toBe('malformed');
    expect(adapter.parse('not json', receiveTime).kind).toBe('malformed');
  });

  it('subscribes at most 10 args per request on /v5/public/spot', () => {
    const subs = Array.from({ length: 25 }, (_, i) => ({ symbol: `C${i}-USDT`, channel: 'quotes' as const }));
    expect(adapter.connectUrl('ws://127.0.0.1:9/bybit', subs).url).toBe(
      'ws://127.0.0.1:9/bybit/v5/public/spot',
    );
    let id = 0;
    const requests = adapter.subscribeRequests(subs, () => ++id);
    expect(requests.map((r) => r.subscriptions.length)).toEqual([10, 10, 5]);
    expect(JSON.parse(requests[2]?.text ?? '')).toEqual({
      req_id: '3',
      op: 'subscribe',
      args: [
        'orderbook.1.C20USDT',
        'orderbook.1.C21USDT',
        'orderbook.1.C22USDT',
        'orderbook.1.C23USDT',
        'orderbook.1.C24USDT',
      ],
    });
    expect(adapter.heartbeat).toMatchObject({ kind: 'client-ping', intervalMs: 20_000, whenIdle: false });
    expect(JSON.parse(adapter.heartbeat.kind === 'client-ping' ? adapter.heartbeat.text : '')).toMatchObject({
      op: 'ping',
    });
  });

  it('parses spot instruments', () => {
    const body = {
      retCode: 0,
      retMsg: 'OK',
      result: {
        category: 'spot',
        list: [
          {
            symbol: 'BTCUSDT',
            baseCoin: 'BTC',
            quoteCoin: 'USDT',
            status: 'Trading',
            lotSizeFilter: {
              basePrecision: '0.000001',
              quotePrecision: '0.00000001',
              minOrderQty: '0.000048',
              maxOrderQty: '71.73956243',
              minOrderAmt: '1',
              maxOrderAmt: '2000000',
            },
            priceFilter: { tickSize: '0.01' },
          },
        ],
      },
    };
    expect(adapter.parseInstruments(body)).toEqual([
      {
        venue: 'bybit',
        symbol: 'BTC-USDT',
        venueSymbol: 'BTCUSDT',
        base: 'BTC',
        quote: 'USDT',
        tickSize: '0.01',
        lotSize: '0.000001',
        minNotional: '1',
        status: 'trading',
      },
    ]);
    expect(() => adapter.parseInstruments({ retCode: 10006, result: { list: [] } })).toThrow(/10006/);
  });
});
