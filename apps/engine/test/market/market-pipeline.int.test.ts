import type { TradeCursor } from '@qt/db';
import type { Kline, Trade } from '@qt/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../bus/bus-contract.ts';
import { appCodeOf, startTestEngine, type TestEngine } from '../support/test-engine.ts';

/**
 * The whole pipeline against the bundled simulator: simulator -> connectors (3 venues) -> bus ->
 * aggregator -> storage -> API, with real PostgreSQL (and NATS JetStream when NATS_URL is set).
 */
describe('market data pipeline on the simulator', () => {
  let t: TestEngine;
  let token: string;
  const symbols = ['BTC-USDT', 'ETH-USDT', 'SOL-USDT'];

  beforeAll(async () => {
    t = await startTestEngine({
      marketSource: 'simulator',
      simulatorTradesPerSecond: 40,
      marketSymbols: symbols,
    });
    token = (await t.signUp('quant')).token;
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('lists the instruments of every venue, from the venue REST endpoints', async () => {
    const instruments = await t.client(token).market.instruments.query({});
    for (const venue of ['binance', 'okx', 'bybit']) {
      const btc = instruments.find((i) => i.venue === venue && i.symbol === 'BTC-USDT');
      expect(btc, venue).toBeDefined();
      expect(btc?.tickSize).toMatch(/^\d+(\.\d+)?$/);
    }
    expect(t.engine.market?.catalog.sources.get('binance')).toBe('rest');
  });

  it('brings every venue feed live and stores trades', async () => {
    await waitFor(
      () => (t.engine.market?.feeds.status() ?? []).every((s) => s.state === 'live'),
      20_000,
      'feeds live',
    );
    const feeds = await t.client(token).market.feeds.query();
    expect(new Set(feeds.map((f) => f.venue))).toEqual(new Set(['binance', 'okx', 'bybit']));
    await waitFor(() => (t.engine.market?.persisters.trades.inserted ?? 0) > 50, 20_000, 'trades stored');
    for (const venue of ['binance', 'okx', 'bybit']) {
      const trades = await t.client(token).market.trades.query({ venue, symbol: 'BTC-USDT', limit: 10 });
      expect(trades.length, venue).toBeGreaterThan(0);
      expect(trades[0]?.price).toMatch(/^\d+(\.\d+)?$/);
    }
  });

  it('serves 1s candles that move, and pushes live candle updates', async () => {
    const client = t.client(token);
    await waitFor(
      () => (t.engine.market?.persisters.klines.inserted ?? 0) > 3,
      20_000,
      'closed candles stored',
    );
    const page = await client.market.candles.query({
      venue: 'binance',
      symbol: 'BTC-USDT',
      interval: '1s',
      limit: 50,
    });
    expect(page.candles.length).toBeGreaterThan(1);
    const times = page.candles.map((k) => k.openTime);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    for (const k of page.candles) {
      expect(Number(k.high)).toBeGreaterThanOrEqual(Number(k.low));
      expect(k.closeTime).toBe(k.openTime + 999);
    }

    const ws = t.wsClient(token);
    const got: Kline[] = [];
    const sub = ws.client.market.onCandle.subscribe(
      { venue: 'okx', symbol: 'ETH-USDT', interval: '1s' },
      { onData: (k) => void got.push(k as Kline) },
    );
    await waitFor(() => got.length >= 3, 15_000, 'live candle pushes');
    sub.unsubscribe();
    await ws.close();
    expect(got.every((k) => k.venue === 'okx' && k.symbol === 'ETH-USDT' && k.interval === '1s')).toBe(true);
  });

  it('stores candles equal to the candles recomputed from the stored trades', async () => {
    const market = t.engine.market;
    if (!market) throw new Error('market data is off');
    // Stop intake, let the publisher and both writers drain, then compare storage with itself.
    await market.feeds.stop();
    await market.publisher.flush();
    market.klines.aggregator.advanceTo(Date.now() + 60_000);
    const settled = async () => {
      const before = market.persisters.trades.inserted + market.persisters.klines.inserted;
      await new Promise((r) => setTimeout(r, 700));
      return market.persisters.trades.inserted + market.persisters.klines.inserted === before;
    };
    while (!(await settled())) {
      // keep waiting until both writers are idle
    }
    const { MarketDataQueries, createPgPool } = await import('@qt/db');
    const { recomputeKlines } = await import('@qt/market-data');
    const pool = createPgPool(t.engine.databaseUrl, { max: 2 });
    try {
      const queries = new MarketDataQueries(pool);
      for (const venue of ['binance', 'okx', 'bybit']) {
        const trades: Trade[] = [];
        let before: TradeCursor | undefined;
        for (;;) {
          const page = await queries.recentTrades(venue, 'BTC-USDT', {
            limit: 5_000,
            ...(before ? { before } : {}),
          });
          trades.push(...page.trades);
          if (!page.next) break;
          before = page.next;
        }
        const stored = (await queries.candles({ venue, symbol: 'BTC-USDT', interval: '1s', limit: 5_000 }))
          .candles;
        const recomputed = new Map(recomputeKlines(trades, '1s').map((k) => [k.openTime, k]));
        expect(stored.length, venue).toBeGreaterThan(2);
        expect(stored.every((k) => k.closed)).toBe(true);
        for (const k of stored)
          expect(canonical(k), `${venue} ${k.openTime}`).toEqual(canonical(recomputed.get(k.openTime)));
        expect(stored.length).toBe(recomputed.size);
      }
    } finally {
      await pool.end();
    }
  });

  it('refuses an unknown instrument with a typed error', async () => {
    expect(
      await appCodeOf(
        t.client(token).market.candles.query({ venue: 'binance', symbol: 'NOPE-USDT', interval: '1m' }),
      ),
    ).toBe('MARKET_UNKNOWN_INSTRUMENT');
  });
});

/** Decimals compared by value: storage keeps the canonical spelling, venues pad with zeros. */
function canonical(k: Kline | undefined): Record<string, unknown> | undefined {
  if (!k) return undefined;
  const d = (s: string) => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  return {
    openTime: k.openTime,
    closeTime: k.closeTime,
    open: d(k.open),
    high: d(k.high),
    low: d(k.low),
    close: d(k.close),
    baseVolume: d(k.baseVolume),
    quoteVolume: d(k.quoteVolume),
    takerBuyBaseVolume: d(k.takerBuyBaseVolume),
    tradeCount: k.tradeCount,
  };
}
