import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExchangeSim, startExchangeSim } from '../src/index.ts';
import { TestClient, until } from './client.ts';

type BinanceTrade = { e: string; t: number; p: string };
const isTrade = (t: string) => t.includes('"e":"trade"');

describe('faults', () => {
  let sim: ExchangeSim;
  const binance = (i = 0) => `${sim.urls[i]?.binance.ws}/ws/btcusdt@trade`;
  beforeAll(async () => {
    sim = await startExchangeSim({
      symbols: ['BTC-USDT'],
      tradesPerSecond: 400,
      endpoints: 2,
      timing: { shutdownCloseDelayMs: 150 },
    });
  });
  afterAll(() => sim.stop());

  it('serves the same trades on every endpoint', async () => {
    const a = await TestClient.open(binance(0));
    const b = await TestClient.open(binance(1));
    const tb = await b.nextJson<BinanceTrade>(isTrade);
    const ta = await a.nextJson<BinanceTrade>((t) => t.includes(`"t":${tb.t},`));
    expect(ta.p).toBe(tb.p);
    a.close();
    b.close();
  });

  it('drops connections abruptly, or with a close code', async () => {
    const a = await TestClient.open(binance());
    const b = await TestClient.open(binance(1));
    sim.faults.dropConnections('binance', { endpoint: 0 });
    expect((await a.closed).code).toBe(1006);
    expect(b.ws.readyState).toBe(b.ws.OPEN);
    sim.faults.dropConnections('binance', { code: 4000 });
    expect((await b.closed).code).toBe(4000);
  });

  it('goes silent (no data, no pongs) and then resumes', async () => {
    const c = await TestClient.open(`${sim.urls[0]?.okx.ws}/ws/v5/public`);
    c.send({ op: 'subscribe', args: [{ channel: 'trades', instId: 'BTC-USDT' }] });
    await c.next((t) => t.includes('"channel":"trades"') && t.includes('"data"'));
    sim.faults.goSilent('okx', 400);
    await new Promise((r) => setTimeout(r, 20));
    const before = c.messages.length;
    c.send('ping');
    await new Promise((r) => setTimeout(r, 250));
    expect(c.messages.length).toBe(before);
    await c.next((t) => t.includes('"data"'), 2_000);
    c.close();
  });

  it('refuses upgrades with 503 for a while', async () => {
    sim.faults.refuseConnections('bybit', 300, { endpoint: 0 });
    await expect(TestClient.open(`${sim.urls[0]?.bybit.ws}/v5/public/spot`)).rejects.toThrow('HTTP 503');
    (await TestClient.open(`${sim.urls[1]?.bybit.ws}/v5/public/spot`)).close();
    await new Promise((r) => setTimeout(r, 350));
    (await TestClient.open(`${sim.urls[0]?.bybit.ws}/v5/public/spot`)).close();
  });

  it('re-sends the next trades with the same ids', async () => {
    const c = await TestClient.open(binance());
    await c.next(isTrade);
    sim.faults.duplicateTrades('binance', 'BTC-USDT', 3);
    const ids: number[] = [];
    for (let i = 0; i < 150; i += 1) ids.push((await c.nextJson<BinanceTrade>(isTrade)).t);
    const repeats = ids.filter((id, i) => i > 0 && id === ids[i - 1]).length;
    expect(repeats).toBe(3);
    c.close();
  });

  it('skips trade ids, leaving a gap', async () => {
    // Its own simulator in manual mode: the market moves only when stepped, so the trades before and
    // after the fault are exactly known, whatever the machine's load or the earlier tests' faults.
    const own = await startExchangeSim({ symbols: ['BTC-USDT'], tradesPerSecond: 400, manual: true });
    try {
      const c = await TestClient.open(`${own.urls[0]?.binance.ws}/ws/btcusdt@trade`);
      await until(() => {
        own.step(50);
        return c.messages.some(isTrade);
      });
      own.faults.skipTradeIds('binance', 'BTC-USDT', 50);
      own.step(500);
      const ids: number[] = [];
      for (;;) {
        const text = await c.next(isTrade, 1_000).catch(() => null);
        if (text === null) break;
        ids.push((JSON.parse(text) as BinanceTrade).t);
      }
      const gaps = ids
        .slice(1)
        .map((id, i) => id - (ids[i] as number))
        .filter((d) => d !== 1);
      expect(gaps).toEqual([51]);
      c.close();
    } finally {
      await own.stop();
    }
  });

  it('sends one malformed frame of each kind to every socket', async () => {
    const c = await TestClient.open(`${sim.urls[0]?.bybit.ws}/v5/public/spot`);
    const other = await TestClient.open(`${sim.urls[1]?.bybit.ws}/v5/public/spot`);
    sim.faults.sendMalformed('bybit', 'garbage');
    const garbage = await c.next();
    expect(() => JSON.parse(garbage)).toThrow();
    await other.next();
    sim.faults.sendMalformed('bybit', 'truncated');
    expect(() => JSON.parse(c.messages.at(-1) ?? '')).toThrow();
    await c.next();
    sim.faults.sendMalformed('bybit', 'unknown-event');
    expect(await c.nextJson()).toMatchObject({ topic: expect.stringMatching(/^simUnknown\./) });
    c.close();
    other.close();
  });

  it('sends the Binance serverShutdown event, raw and combined, then closes', async () => {
    const raw = await TestClient.open(binance());
    const combined = await TestClient.open(`${sim.urls[0]?.binance.ws}/stream?streams=btcusdt@trade`);
    sim.faults.sendShutdownNotice('binance');
    expect(await raw.nextJson((t) => t.includes('serverShutdown'))).toEqual({
      e: 'serverShutdown',
      E: expect.any(Number),
    });
    expect(await combined.nextJson((t) => t.includes('serverShutdown'))).toEqual({
      stream: '!serverShutdown',
      data: { e: 'serverShutdown', E: expect.any(Number) },
    });
    expect((await raw.closed).code).toBe(1001);
    await combined.closed;
  });

  it('sends the OKX 64008 notice then closes; Bybit just drops', async () => {
    const okx = await TestClient.open(`${sim.urls[0]?.okx.ws}/ws/v5/public`);
    const bybit = await TestClient.open(`${sim.urls[0]?.bybit.ws}/v5/public/spot`);
    sim.faults.sendShutdownNotice('okx');
    sim.faults.sendShutdownNotice('bybit');
    expect(await okx.nextJson()).toMatchObject({
      event: 'notice',
      code: '64008',
      connId: expect.any(String),
    });
    expect((await okx.closed).code).toBe(1001);
    expect((await bybit.closed).code).toBe(1006);
  });

  it('changes the rate', async () => {
    sim.faults.setRate(0);
    await new Promise((r) => setTimeout(r, 50));
    const before = sim.stats().tradesGenerated.binance;
    await new Promise((r) => setTimeout(r, 200));
    expect(sim.stats().tradesGenerated.binance).toBe(before);
    sim.faults.setRate(400);
    await until(() => (sim.stats().tradesGenerated.binance ?? 0) > (before ?? 0));
  });
});
