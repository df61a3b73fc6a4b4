import { describe, expect, it } from 'vitest';
import { binanceTradePages } from '../../src/index.ts';

const T0 = Date.UTC(2026, 1, 9, 12, 0);
const MIN = 60_000;

/**
 * A Binance tape of individual trades: two every 200 ms from T0 on (one taker order filling twice), ids
 * from 5,000,000, each pair one aggregate (id 10^9 + its first trade id). Serves `aggTrades` by time (and by aggregate id) and
 * `historicalTrades` by id as the venue documents them, and records every request with its weight.
 */
function fakeBinance(tradeCount: number) {
  const trades = Array.from({ length: tradeCount }, (_, i) => ({
    id: 5_000_000 + i,
    time: T0 + Math.floor(i / 2) * 200,
    price: `${100 + (i % 7)}.10`,
    qty: '0.5',
    buyerMaker: i % 3 === 0,
  }));
  const requests: string[] = [];
  const taken: number[] = [];
  const fetch = (async (input: string | URL | Request) => {
    const url = new URL(String(input));
    requests.push(`${url.pathname}?${url.searchParams}`);
    const q = url.searchParams;
    const limit = Number(q.get('limit') ?? 500);
    let body: unknown;
    if (url.pathname === '/api/v3/aggTrades') {
      const start = Number(q.get('startTime'));
      const end = Number(q.get('endTime'));
      const aggs = [];
      for (let i = 0; i < trades.length && aggs.length < limit; i += 2) {
        const t = trades[i] as (typeof trades)[0];
        if (t.time < start) continue;
        if (t.time > end) break;
        const last = trades[Math.min(i + 1, trades.length - 1)] as (typeof trades)[0];
        aggs.push({
          a: 1e9 + t.id,
          p: t.price,
          q: '1.0',
          f: t.id,
          l: last.id,
          T: t.time,
          m: t.buyerMaker,
          M: true,
        });
      }
      body = aggs;
    } else if (url.pathname === '/api/v3/historicalTrades') {
      const fromId = Number(q.get('fromId'));
      body = trades
        .filter((t) => t.id >= fromId)
        .slice(0, limit)
        .map((t) => ({
          id: t.id,
          price: t.price,
          qty: t.qty,
          quoteQty: '50',
          time: t.time,
          isBuyerMaker: t.buyerMaker,
          isBestMatch: true,
        }));
    } else return new Response('{}', { status: 404 });
    return new Response(JSON.stringify(body), { status: 200, headers: { 'x-mbx-used-weight-1m': '1' } });
  }) as typeof globalThis.fetch;
  const budget = {
    take: async (units: number) => {
      taken.push(units);
    },
    observeUsed: () => {},
    blockFor: () => {},
  };
  return { trades, requests, taken, fetch, budget };
}

const adapter = { toVenueSymbol: (s: string) => s.replace('-', '') };

describe('binance trade pages: the live stream id space', () => {
  it('locates the window by aggTrades (f), pages historicalTrades by id, stops past the window end', async () => {
    // 10 minutes of trades at 10 a second: 6,000 in the first window, more after it.
    const venue = fakeBinance(7_000);
    const pages = binanceTradePages(adapter, {
      restEndpoints: ['http://binance.test'],
      budget: venue.budget,
      fetch: venue.fetch,
      windowMs: 10 * MIN,
    });
    const from = T0 + 250; // between two trade times: the first trade at or after it is id 5,000,004
    const page = await pages.fetchPage('BTC-USDT', from, T0 + 60 * MIN);
    expect(page.nextFrom).toBe(from + 10 * MIN);
    expect(venue.requests[0]).toBe(
      `/api/v3/aggTrades?symbol=BTCUSDT&startTime=${from}&endTime=${from + 10 * MIN - 1}&limit=1`,
    );
    expect(venue.requests.slice(1)).toEqual(
      [5_000_004, 5_001_004, 5_002_004, 5_003_004, 5_004_004, 5_005_004, 5_006_004].map(
        (id) => `/api/v3/historicalTrades?symbol=BTCUSDT&fromId=${id}&limit=1000`,
      ),
    );
    expect(venue.taken).toEqual([4, 25, 25, 25, 25, 25, 25, 25]);
    const inWindow = venue.trades.filter((t) => t.time >= from && t.time < from + 10 * MIN);
    expect(page.trades.map((t) => t.tradeId)).toEqual(inWindow.map((t) => String(t.id)));
    expect(page.trades[0]).toMatchObject({
      venue: 'binance',
      symbol: 'BTC-USDT',
      venueSymbol: 'BTCUSDT',
      tradeId: '5000004',
      price: '104.10',
      quantity: '0.5',
      takerSide: 'buy',
      exchangeTime: T0 + 400,
    });
  });

  it('a quiet window costs one locating request and stores nothing', async () => {
    const venue = fakeBinance(10);
    const pages = binanceTradePages(adapter, {
      restEndpoints: ['http://binance.test'],
      budget: venue.budget,
      fetch: venue.fetch,
    });
    const page = await pages.fetchPage('BTC-USDT', T0 + 5 * MIN, T0 + 60 * MIN);
    expect(page.trades).toEqual([]);
    expect(page.nextFrom).toBe(T0 + 15 * MIN);
    expect(venue.requests).toHaveLength(1);
  });

  it('with a live feed on @aggTrade it stores aggregates under their aggregate ids instead', async () => {
    const venue = fakeBinance(100);
    const pages = binanceTradePages(adapter, {
      restEndpoints: ['http://binance.test'],
      budget: venue.budget,
      fetch: venue.fetch,
      binanceTradeStream: 'aggTrade',
    });
    const page = await pages.fetchPage('BTC-USDT', T0, T0 + MIN);
    expect(page.trades).toHaveLength(50);
    expect(page.trades[0]?.tradeId).toBe(String(1e9 + 5_000_000));
    expect(venue.requests.every((r) => r.startsWith('/api/v3/aggTrades'))).toBe(true);
  });
});
