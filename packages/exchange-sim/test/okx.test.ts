import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExchangeSim, startExchangeSim } from '../src/index.ts';
import { shape, TestClient } from './client.ts';

// Example frames from the OKX v5 API documentation.
const docTrade = {
  instId: 'BTC-USDT',
  tradeId: '130639474',
  px: '42219.9',
  sz: '0.12060306',
  side: 'buy',
  ts: '1630048897897',
  count: '3',
  seqId: 1234,
};
const docTradeAll = {
  instId: 'BTC-USDT',
  tradeId: '130639474',
  px: '42219.9',
  sz: '0.12060306',
  side: 'buy',
  ts: '1630048897897',
};
const docBbo = {
  asks: [['8476.98', '415', '0', '13']],
  bids: [['8476.97', '256', '0', '12']],
  ts: '1597026383085',
  seqId: 123456,
};
const trimmed = /^\d+(\.\d*[1-9])?$/;

type Push<T> = { arg: { channel: string; instId: string }; data: T[] };

describe('OKX protocol', () => {
  let sim: ExchangeSim;
  let ws: string;
  beforeAll(async () => {
    sim = await startExchangeSim({ symbols: ['BTC-USDT', 'ETH-USDT'], tradesPerSecond: 300, seed: 5 });
    ws = sim.urls[0]?.okx.ws ?? '';
  });
  afterAll(() => sim.stop());

  it('acknowledges a subscribe with the id echoed and pushes aggregated trades whose count covers the ids', async () => {
    const c = await TestClient.open(`${ws}/ws/v5/public`);
    c.send({ id: '1512', op: 'subscribe', args: [{ channel: 'trades', instId: 'BTC-USDT' }] });
    const ack = await c.nextJson();
    expect(ack).toEqual({
      id: '1512',
      event: 'subscribe',
      arg: { channel: 'trades', instId: 'BTC-USDT' },
      connId: expect.any(String),
    });
    let lastId: number | null = null;
    for (let i = 0; i < 20; i += 1) {
      const push = await c.nextJson<Push<typeof docTrade>>();
      expect(push.arg).toEqual({ channel: 'trades', instId: 'BTC-USDT' });
      for (const t of push.data) {
        expect(shape(t)).toMatchObject(shape(docTrade) as object);
        expect(t.px).toMatch(trimmed);
        expect(t.sz).toMatch(trimmed);
        const id = Number(t.tradeId);
        if (lastId !== null) expect(id - Number(t.count)).toBe(lastId);
        lastId = id;
      }
    }
    c.close();
  });

  it('serves trades-all one trade per message on the business URL only', async () => {
    const pub = await TestClient.open(`${ws}/ws/v5/public`);
    pub.send({ op: 'subscribe', args: [{ channel: 'trades-all', instId: 'BTC-USDT' }] });
    expect(await pub.nextJson()).toMatchObject({ event: 'error', code: '64001' });
    pub.close();
    const biz = await TestClient.open(`${ws}/ws/v5/business`);
    biz.send({
      op: 'subscribe',
      args: [
        { channel: 'trades-all', instId: 'ETH-USDT' },
        { channel: 'trades', instId: 'ETH-USDT' },
      ],
    });
    expect(await biz.nextJson()).toEqual({
      event: 'subscribe',
      arg: { channel: 'trades-all', instId: 'ETH-USDT' },
      connId: expect.any(String),
    });
    expect(await biz.nextJson()).toMatchObject({ event: 'error', code: '64002' });
    const push = await biz.nextJson<Push<typeof docTradeAll>>();
    expect(push.data).toHaveLength(1);
    expect(shape(push.data[0])).toMatchObject(shape(docTradeAll) as object);
    biz.close();
  });

  it('pushes bbo-tbt at once on subscribe, in the documented shape', async () => {
    const c = await TestClient.open(`${ws}/ws/v5/public`);
    c.send({ op: 'subscribe', args: [{ channel: 'bbo-tbt', instId: 'BTC-USDT' }] });
    await c.nextJson((t) => t.includes('"event":"subscribe"'));
    const push = await c.nextJson<Push<typeof docBbo>>();
    expect(shape(push.data[0])).toEqual(shape(docBbo));
    c.close();
  });

  it('answers an unknown instrument with 60018 and bad JSON with 60012', async () => {
    const c = await TestClient.open(`${ws}/ws/v5/public`);
    c.send({ id: '9', op: 'subscribe', args: [{ channel: 'trades', instId: 'NOPE-USDT' }] });
    const err = await c.nextJson<{ msg: string }>();
    expect(err).toMatchObject({ id: '9', event: 'error', code: '60018', connId: expect.any(String) });
    expect(err.msg).toContain("channel:trades,instId:NOPE-USDT doesn't exist");
    c.send('{oops');
    expect(await c.nextJson()).toMatchObject({ event: 'error', code: '60012' });
    c.close();
  });

  it('lists SPOT instruments with tickSz, lotSz and minSz', async () => {
    const res = await fetch(`${sim.urls[0]?.okx.rest}/api/v5/public/instruments?instType=SPOT`);
    const body = (await res.json()) as { code: string; data: Array<Record<string, string>> };
    expect(body.code).toBe('0');
    expect(body.data.find((d) => d.instId === 'BTC-USDT')).toMatchObject({
      baseCcy: 'BTC',
      quoteCcy: 'USDT',
      tickSz: '0.01',
      lotSz: '0.00001',
      state: 'live',
    });
  });
});

describe('OKX heartbeat', () => {
  let sim: ExchangeSim;
  beforeAll(async () => {
    sim = await startExchangeSim({
      symbols: ['BTC-USDT'],
      tradesPerSecond: 50,
      timing: { okxIdleTimeoutMs: 400 },
    });
  });
  afterAll(() => sim.stop());

  it('answers the text ping with the text pong', async () => {
    const c = await TestClient.open(`${sim.urls[0]?.okx.ws}/ws/v5/public`);
    c.send('ping');
    expect(await c.next()).toBe('pong');
    c.close();
  });

  it('keeps a pinging client and closes with 4004 one that sends nothing, even while data flows', async () => {
    const quiet = await TestClient.open(`${sim.urls[0]?.okx.ws}/ws/v5/public`);
    const pinging = await TestClient.open(`${sim.urls[0]?.okx.ws}/ws/v5/public`);
    quiet.send({ op: 'subscribe', args: [{ channel: 'trades', instId: 'BTC-USDT' }] });
    const timer = setInterval(() => pinging.send('ping'), 150);
    expect((await quiet.closed).code).toBe(4004);
    expect(pinging.ws.readyState).toBe(pinging.ws.OPEN);
    clearInterval(timer);
    pinging.close();
  });
});
