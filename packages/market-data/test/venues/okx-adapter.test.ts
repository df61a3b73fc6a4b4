import { quoteSchema, tradeSchema } from '@qt/shared';
import { describe, expect, it } from 'vitest';
import { createOkxAdapter } from '../../src/venues/okx/okx-adapter.ts';

// Golden frames from okx.com/docs-v5 (2025).
const trades =
  '{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","tradeId":"130639474","px":"42219.9","sz":"0.12060306","side":"buy","ts":"1630048897897","count":"3","seqId":1234}]}';
const tradesAll =
  '{"arg":{"channel":"trades-all","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","tradeId":"130639474","px":"42219.9","sz":"0.12060306","side":"sell","ts":"1630048897897","source":"0"}]}';
const bbo =
  '{"arg":{"channel":"bbo-tbt","instId":"BTC-USDT"},"data":[{"asks":[["8476.98","415","0","13"]],"bids":[["8476.97","256","0","12"]],"ts":"1597026383085","seqId":123456}]}';
const receiveTime = 1630048897999;

describe('OKX adapter', () => {
  const adapter = createOkxAdapter();

  it('normalises aggregated trades, with the id range `count` covers', () => {
    const msg = adapter.parse(trades, receiveTime);
    expect(msg).toEqual({
      kind: 'trades',
      ids: [130639472, 130639474],
      trades: [
        {
          venue: 'okx',
          symbol: 'BTC-USDT',
          venueSymbol: 'BTC-USDT',
          tradeId: '130639474',
          price: '42219.9',
          quantity: '0.12060306',
          takerSide: 'buy',
          exchangeTime: 1630048897897,
          receiveTime,
        },
      ],
    });
    if (msg.kind === 'trades') expect(tradeSchema.parse(msg.trades[0])).toBeTruthy();
  });

  it('reads trades-all (one id per trade) and tolerates extra fields', () => {
    const msg = adapter.parse(tradesAll, receiveTime);
    expect(msg.kind === 'trades' && msg.ids).toEqual([130639474, 130639474]);
    expect(msg.kind === 'trades' && msg.trades[0]?.takerSide).toBe('sell');
  });

  it('reads several trades in one frame', () => {
    const two = trades.replace(
      '}]}',
      '},{"instId":"BTC-USDT","tradeId":"130639475","px":"42220","sz":"1","side":"sell","ts":"1630048897898","count":"1"}]}',
    );
    const msg = adapter.parse(two, receiveTime);
    expect(msg.kind === 'trades' && msg.trades.map((t) => t.tradeId)).toEqual(['130639474', '130639475']);
    expect(msg.kind === 'trades' && msg.ids).toEqual([130639472, 130639474, 130639475, 130639475]);
  });

  it('reads bbo-tbt into a quote', () => {
    const quote = {
      venue: 'okx',
      symbol: 'BTC-USDT',
      bidPrice: '8476.97',
      bidSize: '256',
      askPrice: '8476.98',
      askSize: '415',
      exchangeTime: 1597026383085,
      receiveTime,
      updateId: '123456',
    };
    expect(adapter.parse(bbo, receiveTime)).toEqual({ kind: 'quote', quote });
    expect(quoteSchema.parse(quote)).toBeTruthy();
  });

  it('reads acks, errors, the pong and the 64008 service notice', () => {
    expect(
      adapter.parse(
        '{"id":"1512","event":"subscribe","arg":{"channel":"trades","instId":"BTC-USDT"},"connId":"a4d3ae55"}',
        receiveTime,
      ),
    ).toEqual({ kind: 'ack', requestId: '1512' });
    for (const code of ['60012', '60013', '60014', '60018', '64001']) {
      expect(
        adapter.parse(
          `{"id":"1512","event":"error","code":"${code}","msg":"Invalid request","connId":"a4d3ae55"}`,
          receiveTime,
        ),
      ).toEqual({ kind: 'error', requestId: '1512', code, message: 'Invalid request' });
    }
    expect(
      adapter.parse('{"event":"error","code":"60012","msg":"x","connId":"a"}', receiveTime),
    ).toMatchObject({
      requestId: null,
    });
    expect(adapter.parse('pong', receiveTime)).toEqual({ kind: 'pong' });
    expect(
      adapter.parse(
        '{"event":"notice","code":"64008","msg":"The connection will soon be closed for a service upgrade. Please reconnect.","connId":"a4d3ae55"}',
        receiveTime,
      ).kind,
    ).toBe('shutdown');
  });

  it('calls other channels unknown and broken frames malformed', () => {
    expect(
      adapter.parse('{"arg":{"channel":"tickers","instId":"BTC-USDT"},"data":[{}]}', receiveTime).kind,
    ).toBe('unknown');
    expect(
      adapter.parse('{"event":"channel-conn-count","channel":"x","connCount":"1"}', receiveTime).kind,
    ).toBe('unknown');
    expect(adapter.parse('pon', receiveTime).kind).toBe('malformed');
    expect(adapter.parse(trades.replace('"side":"buy"', '"side":"up"'), receiveTime).kind).toBe('malformed');
    expect(adapter.parse(trades.replace('"count":"3"', '"count":"0"'), receiveTime).kind).toBe('malformed');
    expect(
      adapter.parse(trades.replace('"tradeId":"130639474"', '"tradeId":130639474'), receiveTime).kind,
    ).toBe('malformed');
    expect(adapter.parse(trades.replaceAll('BTC-USDT', 'BTC-USDT-SWAP'), receiveTime).kind).toBe('malformed');
  });

  it('subscribes on /ws/v5/public, or /ws/v5/business for trades-all, with requests under 64 KB', () => {
    const subs = Array.from({ length: 3000 }, (_, i) => ({
      symbol: `COIN${i}-USDT`,
      channel: 'trades' as const,
    }));
    expect(adapter.connectUrl('wss://ws.okx.com:8443', subs.slice(0, 1)).url).toBe(
      'wss://ws.okx.com:8443/ws/v5/public',
    );
    let id = 0;
    const requests = adapter.subscribeRequests(subs, () => ++id);
    expect(requests.length).toBeGreaterThan(1);
    for (const r of requests) expect(Buffer.byteLength(r.text)).toBeLessThanOrEqual(64 * 1024);
    expect(requests.reduce((n, r) => n + r.subscriptions.length, 0)).toBe(3000);
    const first = JSON.parse(requests[0]?.text ?? '');
    expect(first).toMatchObject({ id: '1', op: 'subscribe' });
    expect(first.args[0]).toEqual({ channel: 'trades', instId: 'COIN0-USDT' });
    const all = createOkxAdapter({ tradesChannel: 'trades-all' });
    expect(all.pathOf({ symbol: 'BTC-USDT', channel: 'trades' })).toBe('/ws/v5/business');
    expect(all.pathOf({ symbol: 'BTC-USDT', channel: 'quotes' })).toBe('/ws/v5/public');
    expect(adapter.heartbeat).toEqual({
      kind: 'client-ping',
      intervalMs: 20_000,
      whenIdle: false,
      text: 'ping',
    });
    expect(adapter.limits.subscribeRequestsPerHour).toBe(480);
  });

  it('parses spot instruments', () => {
    const body = {
      code: '0',
      msg: '',
      data: [
        {
          instId: 'BTC-USDT',
          instType: 'SPOT',
          baseCcy: 'BTC',
          quoteCcy: 'USDT',
          tickSz: '0.1',
          lotSz: '0.00000001',
          minSz: '0.00001',
          state: 'live',
        },
        {
          instId: 'OLD-USDT',
          instType: 'SPOT',
          baseCcy: 'OLD',
          quoteCcy: 'USDT',
          tickSz: '0.0001',
          lotSz: '1',
          minSz: '1',
          state: 'suspend',
        },
      ],
    };
    expect(adapter.parseInstruments(body)).toEqual([
      {
        venue: 'okx',
        symbol: 'BTC-USDT',
        venueSymbol: 'BTC-USDT',
        base: 'BTC',
        quote: 'USDT',
        tickSize: '0.1',
        lotSize: '0.00000001',
        minNotional: '0',
        status: 'trading',
      },
      {
        venue: 'okx',
        symbol: 'OLD-USDT',
        venueSymbol: 'OLD-USDT',
        base: 'OLD',
        quote: 'USDT',
        tickSize: '0.0001',
        lotSize: '1',
        minNotional: '0',
        status: 'halted',
      },
    ]);
    expect(() => adapter.parseInstruments({ code: '50011', msg: 'Too Many Requests', data: [] })).toThrow(
      /50011/,
    );
  });
});
