import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExchangeSim, startExchangeSim } from '../src/index.ts';
import { shape, TestClient } from './client.ts';

// Example frames from Bybit's v5 documentation (spot).
const docTrade = {
  T: 1672304486865,
  s: 'BTCUSDT',
  S: 'Buy',
  v: '0.001',
  p: '16578.50',
  i: '20f43950-d8dd-5b31-9112-a178eb6023af',
  BT: false,
  seq: 1,
};
const docBook = {
  topic: 'orderbook.1.BTCUSDT',
  type: 'snapshot',
  ts: 1,
  data: {
    s: 'BTCUSDT',
    b: [['16493.50', '0.006']],
    a: [['16611.00', '0.029']],
    u: 18521288,
    seq: 7961638724,
  },
  cts: 1,
};

type TradePush = { topic: string; type: string; ts: number; data: Array<typeof docTrade> };

describe('Bybit protocol', () => {
  let sim: ExchangeSim;
  let ws: string;
  beforeAll(async () => {
    sim = await startExchangeSim({ symbols: ['BTC-USDT', 'ETH-USDT'], tradesPerSecond: 300, seed: 9 });
    ws = `${sim.urls[0]?.bybit.ws}/v5/public/spot`;
  });
  afterAll(() => sim.stop());

  it('acknowledges a subscribe and pushes trade batches with string ids and seq', async () => {
    const c = await TestClient.open(ws);
    c.send({ req_id: '1', op: 'subscribe', args: ['publicTrade.BTCUSDT'] });
    expect(await c.nextJson()).toEqual({
      success: true,
      ret_msg: 'subscribe',
      conn_id: expect.any(String),
      req_id: '1',
      op: 'subscribe',
    });
    const push = await c.nextJson<TradePush>();
    expect(push).toMatchObject({ topic: 'publicTrade.BTCUSDT', type: 'snapshot', ts: expect.any(Number) });
    expect(push.data.length).toBeGreaterThan(0);
    for (const t of push.data) {
      expect(shape(t)).toEqual(shape(docTrade));
      expect(t.p).toMatch(/^\d+\.\d{2}$/);
    }
    c.close();
  });

  it('sends an orderbook.1 snapshot on subscribe and on changes', async () => {
    const c = await TestClient.open(ws);
    c.send({ op: 'subscribe', args: ['orderbook.1.ETHUSDT'] });
    await c.next((t) => t.includes('"op":"subscribe"'));
    const first = await c.nextJson<typeof docBook>();
    expect(shape(first)).toEqual(shape(docBook));
    const second = await c.nextJson<typeof docBook>();
    expect(second.data.u).toBeGreaterThan(first.data.u);
    c.close();
  });

  it('fails an unknown topic with "handler not found" and more than 10 args', async () => {
    const c = await TestClient.open(ws);
    c.send({ op: 'subscribe', args: ['publicTrade.NOTASYMBOL'] });
    expect(await c.nextJson()).toEqual({
      success: false,
      ret_msg: 'error:handler not found,topic:publicTrade.NOTASYMBOL',
      conn_id: expect.any(String),
      req_id: '',
      op: 'subscribe',
    });
    c.send({ req_id: '2', op: 'subscribe', args: Array.from({ length: 11 }, (_, i) => `publicTrade.X${i}`) });
    expect(await c.nextJson()).toMatchObject({ success: false, req_id: '2', op: 'subscribe' });
    c.close();
  });

  it('answers the json ping with the spot pong', async () => {
    const c = await TestClient.open(ws);
    c.send({ req_id: '100001', op: 'ping' });
    expect(await c.nextJson()).toEqual({
      success: true,
      ret_msg: 'pong',
      conn_id: expect.any(String),
      op: 'ping',
    });
    expect(sim.stats().pingsReceived.bybit).toBeGreaterThanOrEqual(1);
    c.close();
  });

  it('lists spot instruments with tickSize and basePrecision', async () => {
    const res = await fetch(`${sim.urls[0]?.bybit.rest}/v5/market/instruments-info?category=spot`);
    const body = (await res.json()) as { retCode: number; result: { list: Array<Record<string, unknown>> } };
    expect(body.retCode).toBe(0);
    expect(body.result.list.find((x) => x.symbol === 'ETHUSDT')).toMatchObject({
      baseCoin: 'ETH',
      status: 'Trading',
      priceFilter: { tickSize: '0.01' },
      lotSizeFilter: expect.objectContaining({ basePrecision: '0.0001', minOrderAmt: '5' }),
    });
  });

  it('cuts a connection idle past the configured limit', async () => {
    const idle = await startExchangeSim({
      symbols: ['BTC-USDT'],
      tradesPerSecond: 0,
      timing: { bybitIdleTimeoutMs: 300 },
    });
    const c = await TestClient.open(`${idle.urls[0]?.bybit.ws}/v5/public/spot`);
    expect((await c.closed).code).toBe(1006);
    await idle.stop();
  });
});
