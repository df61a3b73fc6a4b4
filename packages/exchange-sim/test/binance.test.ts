import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExchangeSim, startExchangeSim } from '../src/index.ts';
import { shape, TestClient } from './client.ts';

// Example frames from Binance's WebSocket Streams documentation.
const docTrade = {
  e: 'trade',
  E: 1672515782136,
  s: 'BNBBTC',
  t: 12345,
  p: '0.001',
  q: '100',
  T: 1672515782136,
  m: true,
  M: true,
};
const docAggTrade = {
  e: 'aggTrade',
  E: 1672515782136,
  s: 'BNBBTC',
  a: 12345,
  p: '0.001',
  q: '100',
  f: 100,
  l: 105,
  T: 1672515782136,
  m: true,
  M: true,
};
const docBookTicker = {
  u: 400900217,
  s: 'BNBUSDT',
  b: '25.35190000',
  B: '31.21000000',
  a: '25.36520000',
  A: '40.66000000',
};
const padded8 = /^\d+\.\d{8}$/;

describe('Binance protocol', () => {
  let sim: ExchangeSim;
  let ws: string;
  beforeAll(async () => {
    sim = await startExchangeSim({ symbols: ['BTC-USDT', 'ETH-USDT'], tradesPerSecond: 300, seed: 3 });
    ws = sim.urls[0]?.binance.ws ?? '';
  });
  afterAll(() => sim.stop());

  it('serves a raw trade stream with the documented frame shape, 8-decimal strings and consecutive ids', async () => {
    const c = await TestClient.open(`${ws}/ws/btcusdt@trade`);
    const first = await c.nextJson<typeof docTrade>();
    expect(shape(first)).toEqual(shape(docTrade));
    expect(first.s).toBe('BTCUSDT');
    expect(first.p).toMatch(padded8);
    expect(first.q).toMatch(padded8);
    const second = await c.nextJson<typeof docTrade>();
    expect(second.t).toBe(first.t + 1);
    c.close();
  });

  it('wraps combined streams as {"stream","data"} and serves aggTrade and bookTicker', async () => {
    const c = await TestClient.open(`${ws}/stream?streams=ethusdt@aggTrade/ethusdt@bookTicker`);
    const agg = await c.nextJson<{ stream: string; data: typeof docAggTrade }>((t) =>
      t.includes('@aggTrade'),
    );
    expect(agg.stream).toBe('ethusdt@aggTrade');
    expect(shape(agg.data)).toEqual(shape(docAggTrade));
    expect(agg.data.l).toBeGreaterThanOrEqual(agg.data.f);
    const book = await c.nextJson<{ stream: string; data: typeof docBookTicker }>((t) =>
      t.includes('@bookTicker'),
    );
    expect(shape(book.data)).toEqual(shape(docBookTicker));
    expect(Number(book.data.a)).toBeGreaterThan(Number(book.data.b));
    c.close();
  });

  it('acknowledges SUBSCRIBE with {"result":null,"id"} and lists subscriptions', async () => {
    const c = await TestClient.open(`${ws}/ws`);
    c.send({ method: 'SUBSCRIBE', params: ['btcusdt@trade'], id: 1 });
    expect(await c.next()).toBe('{"result":null,"id":1}');
    await c.nextJson((t) => t.includes('"e":"trade"'));
    c.send({ method: 'LIST_SUBSCRIPTIONS', id: 'x' });
    expect(await c.next((t) => t.includes('"id":"x"'))).toBe('{"result":["btcusdt@trade"],"id":"x"}');
    c.send({ method: 'UNSUBSCRIBE', params: ['btcusdt@trade'], id: 2 });
    await c.next((t) => t === '{"result":null,"id":2}');
    c.close();
  });

  it('acknowledges an unknown symbol and never sends it data', async () => {
    const c = await TestClient.open(`${ws}/ws`);
    c.send({ method: 'SUBSCRIBE', params: ['notasymbolusdt@trade'], id: 7 });
    expect(await c.next()).toBe('{"result":null,"id":7}');
    await expect(c.next(() => true, 300)).rejects.toThrow(/no matching message/);
    c.close();
  });

  it('answers bad JSON with code 3 and an unknown method with code 2', async () => {
    const c = await TestClient.open(`${ws}/ws`);
    c.send('{not json');
    expect((await c.nextJson<{ error: { code: number } }>()).error.code).toBe(3);
    c.send({ method: 'SUBSCRIBEX', params: [], id: 4 });
    const err = await c.nextJson<{ error: { code: number; msg: string }; id: number }>();
    expect(err).toMatchObject({ error: { code: 2 }, id: 4 });
    c.close();
  });

  it('closes with 1008 a connection that sends more than 5 messages a second', async () => {
    const c = await TestClient.open(`${ws}/ws`);
    for (let i = 1; i <= 6; i += 1) c.send({ method: 'LIST_SUBSCRIPTIONS', id: i });
    expect((await c.closed).code).toBe(1008);
  });

  it('refuses a subscription beyond the stream limit', async () => {
    const small = await startExchangeSim({ symbols: ['BTC-USDT'], limits: { binanceMaxStreams: 2 } });
    const c = await TestClient.open(`${small.urls[0]?.binance.ws}/ws`);
    c.send({ method: 'SUBSCRIBE', params: ['a@trade', 'b@trade', 'c@trade'], id: 1 });
    expect((await c.nextJson<{ error: { code: number } }>()).error.code).toBe(2);
    c.close();
    await small.stop();
  });

  it('lists instruments in exchangeInfo with tick, step and min notional filters', async () => {
    const res = await fetch(`${sim.urls[0]?.binance.rest}/api/v3/exchangeInfo`);
    const body = (await res.json()) as {
      symbols: Array<{ symbol: string; status: string; filters: Array<Record<string, unknown>> }>;
    };
    const btc = body.symbols.find((s) => s.symbol === 'BTCUSDT');
    expect(btc?.status).toBe('TRADING');
    expect(btc?.filters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ filterType: 'PRICE_FILTER', tickSize: '0.01000000' }),
        expect.objectContaining({ filterType: 'LOT_SIZE', stepSize: '0.00001000' }),
        expect.objectContaining({ filterType: 'NOTIONAL', minNotional: '5.00000000' }),
      ]),
    );
    const bad = await fetch(`${sim.urls[0]?.binance.rest}/api/v3/exchangeInfo?symbol=NOPE`);
    expect(bad.status).toBe(400);
  });
});

describe('Binance heartbeat', () => {
  let sim: ExchangeSim;
  beforeAll(async () => {
    sim = await startExchangeSim({
      symbols: ['BTC-USDT'],
      tradesPerSecond: 0,
      timing: { binancePingIntervalMs: 250, binancePongTimeoutMs: 600 },
    });
  });
  afterAll(() => sim.stop());

  it('pings every interval and keeps a client that answers with pongs', async () => {
    const c = await TestClient.open(`${sim.urls[0]?.binance.ws}/ws/btcusdt@trade`);
    let pings = 0;
    c.ws.on('ping', () => {
      pings += 1;
    });
    const outcome = await Promise.race([c.closed, new Promise((r) => setTimeout(() => r('open'), 1_300))]);
    expect(outcome).toBe('open');
    expect(pings).toBeGreaterThanOrEqual(3);
    expect(sim.stats().pongsReceived.binance).toBeGreaterThanOrEqual(3);
    c.close();
  });

  it('disconnects a client that does not answer pings', async () => {
    const c = await TestClient.open(`${sim.urls[0]?.binance.ws}/ws/btcusdt@trade`, { autoPong: false });
    const started = performance.now();
    const { code } = await c.closed;
    expect(code).toBe(1006);
    expect(performance.now() - started).toBeGreaterThanOrEqual(600);
  });

  it('does not count unsolicited pongs as answers', async () => {
    const c = await TestClient.open(`${sim.urls[0]?.binance.ws}/ws/btcusdt@trade`, { autoPong: false });
    const timer = setInterval(() => c.ws.pong('unsolicited'), 200);
    await c.closed;
    clearInterval(timer);
  });
});
