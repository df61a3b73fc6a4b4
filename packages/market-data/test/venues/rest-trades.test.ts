import { type ExchangeSim, startExchangeSim } from '@qt/exchange-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  binanceTradeHistory,
  bybitTradeHistory,
  createBinanceAdapter,
  createBybitAdapter,
  createOkxAdapter,
  okxTradeHistory,
  RestBudget,
} from '../../src/index.ts';

/** The REST trade-history sources against the simulator's endpoints (real HTTP, manual market). */
describe('REST trade history', () => {
  let sim: ExchangeSim;
  const trim = (d: string) => (d.includes('.') ? d.replace(/0+$/, '').replace(/\.$/, '') : d);

  beforeAll(async () => {
    sim = await startExchangeSim({ manual: true, symbols: ['BTC-USDT'], tradesPerSecond: 500, seed: 3 });
    for (let i = 0; i < 10; i++) sim.step(1_000); // about 5,000 trades per venue
  });
  afterAll(async () => {
    await sim?.stop();
  });

  const ids = (venue: 'binance' | 'okx' | 'bybit') => {
    const all = sim.historyTrades(venue, 'BTC-USDT', 0, Number.MAX_SAFE_INTEGER);
    return { first: Number(all[0]?.tradeId), last: Number(all[all.length - 1]?.tradeId), all };
  };

  it('binance: pages by fromId past 1000 a call and returns exactly the venue history', async () => {
    const { first } = ids('binance');
    const range = { fromId: first + 10, toId: first + 2_510 };
    const source = binanceTradeHistory(createBinanceAdapter(), {
      restEndpoints: [sim.urls[0]?.binance.rest as string],
      budget: new RestBudget({ capacity: 6000, windowMs: 60_000 }),
    });
    const r = await source.fetchRange('BTC-USDT', range);
    expect(r.missing).toEqual([]);
    expect(r.requests).toBe(3);
    const truth = sim.historyTrades('binance', 'BTC-USDT', range.fromId, range.toId);
    expect(
      r.trades.map((t) => ({
        tradeId: t.tradeId,
        price: trim(t.price),
        quantity: trim(t.quantity),
        takerSide: t.takerSide,
        exchangeTime: t.exchangeTime,
      })),
    ).toEqual(truth);
  });

  it('okx: walks down 100 at a time; ids newer than the history are reported missing', async () => {
    const { first, last } = ids('okx');
    const range = { fromId: first + 5, toId: last + 50 };
    const source = okxTradeHistory(createOkxAdapter(), {
      restEndpoints: [sim.urls[0]?.okx.rest as string],
      budget: new RestBudget({ capacity: 20, windowMs: 2_000, share: 1 }),
    });
    const r = await source.fetchRange('BTC-USDT', { fromId: first + 5, toId: first + 405 });
    expect(r.missing).toEqual([]);
    expect(r.trades.map((t) => t.tradeId)).toEqual(
      sim.historyTrades('okx', 'BTC-USDT', first + 5, first + 405).map((t) => t.tradeId),
    );
    const beyond = await source.fetchRange('BTC-USDT', range);
    expect(beyond.missing).toEqual([{ fromId: last + 1, toId: last + 50 }]);
  }, 30_000);

  it('binance: waits out a 429 for its Retry-After (no 418), and a client that does not is banned', async () => {
    const base = sim.urls[0]?.binance.rest as string;
    const { first } = ids('binance');
    sim.faults.throttleRest('binance', 1_200);
    const s0 = sim.stats();
    const source = binanceTradeHistory(createBinanceAdapter(), {
      restEndpoints: [base],
      budget: new RestBudget({ capacity: 6000, windowMs: 60_000 }),
    });
    const started = Date.now();
    const r = await source.fetchRange('BTC-USDT', { fromId: first, toId: first + 9 });
    expect(r.trades).toHaveLength(10);
    expect(r.throttled).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000); // Retry-After: 2 (seconds, rounded up)
    expect(sim.stats().restBanned.binance).toBe(s0.restBanned.binance);
    // The simulator's side of the contract: ignoring the Retry-After earns a 418 with its own Retry-After.
    sim.faults.throttleRest('binance', 1_000);
    const url = `${base}/api/v3/historicalTrades?symbol=BTCUSDT&limit=1`;
    expect((await fetch(url)).status).toBe(429);
    const banned = await fetch(url);
    expect(banned.status).toBe(418);
    expect(Number(banned.headers.get('retry-after'))).toBeGreaterThan(0);
  }, 30_000);

  it('binance in aggTrade mode refuses to repair: aggregate ids and trade ids are different id spaces', async () => {
    const { first } = ids('binance');
    const s0 = sim.stats();
    const source = binanceTradeHistory(createBinanceAdapter({ tradeStream: 'aggTrade' }), {
      restEndpoints: [sim.urls[0]?.binance.rest as string],
      budget: new RestBudget({ capacity: 6000, windowMs: 60_000 }),
      tradeStream: 'aggTrade',
    });
    expect(source.byId).toBe(false);
    expect(source.notById).toBe('aggregate-ids');
    const r = await source.fetchRange('BTC-USDT', { fromId: first, toId: first + 9 });
    expect(r).toEqual({
      trades: [],
      missing: [{ fromId: first, toId: first + 9 }],
      requests: 0,
      throttled: 0,
    });
    // Not one request reached the venue.
    expect(sim.stats().restRequests.binance).toBe(s0.restRequests.binance);
  });

  it('binance: every answer reports the used weight, which the budget adopts', async () => {
    const budget = new RestBudget({ capacity: 6000, windowMs: 60_000 });
    const res = await fetch(`${sim.urls[0]?.binance.rest}/api/v3/historicalTrades?symbol=BTCUSDT&limit=1`);
    // (The ban of the previous test may still run: either way the header is there.)
    const used = Number(res.headers.get('x-mbx-used-weight-1m'));
    expect(used).toBeGreaterThan(0);
    budget.observeUsed(used);
    expect(budget.used).toBe(used);
  });

  it('bybit: only the newest trades; an older range is unrepairable', async () => {
    const { first, last } = ids('bybit');
    const source = bybitTradeHistory(createBybitAdapter(), {
      restEndpoints: [sim.urls[0]?.bybit.rest as string],
      budget: new RestBudget({ capacity: 600, windowMs: 5_000 }),
    });
    expect(source.byId).toBe(false);
    const recent = await source.fetchRange('BTC-USDT', { fromId: last - 9, toId: last });
    expect(recent.trades.map((t) => t.tradeId)).toEqual(
      sim.historyTrades('bybit', 'BTC-USDT', last - 9, last).map((t) => t.tradeId),
    );
    const old = await source.fetchRange('BTC-USDT', { fromId: first, toId: first + 9 });
    expect(old.trades).toEqual([]);
    expect(old.missing).toEqual([{ fromId: first, toId: first + 9 }]);
  });
});
