import { setTenantTier } from '@qt/api';
import { MarketDataWriter } from '@qt/db';
import { addDecimal, compareDecimal, type Kline, subtractDecimal, TIER_CAPS, type Ticker } from '@qt/shared';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FollowService } from '../../src/market/follow/follow-service.ts';
import { windowStartOf } from '../../src/market/tickers/ticker-window.ts';
import { appCodeOf, startTestEngine, type TestEngine } from '../support/test-engine.ts';

/**
 * 24h tickers, following a market at run time and the watchlist, on a real engine with the simulator:
 * the simulator lists its demo set, the engine follows only BTC-USDT until a tenant adds more.
 */
const MINUTE = 60_000;
const silent = pino({ level: 'silent' });
const FOLLOWED = 'ETH-USDT';

/** Polls `cond` every 100 ms (API reads inside: not every 5 ms) until it holds or `timeoutMs` passed. */
async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('tickers, market.follow and the watchlist (simulator)', () => {
  let t: TestEngine;
  let pool: pg.Pool;

  beforeAll(async () => {
    t = await startTestEngine({
      marketSource: 'simulator',
      simulatorTradesPerSecond: 20,
      marketSymbols: ['BTC-USDT'],
      marketVenues: ['binance', 'okx'],
      marketDepth: false,
      marketFollowMax: 3,
    });
    pool = new pg.Pool({ connectionString: t.engine.config.databaseUrl, max: 2 });
  }, 120_000);
  afterAll(async () => {
    await pool?.end();
    await t?.stop();
  });

  it('refuses a symbol the venue does not list, and a FREE tenant (0 extra markets)', async () => {
    const me = await t.signUp('free-follower');
    const api = t.client(me.token);
    expect(await appCodeOf(api.market.follow.mutate({ venue: 'binance', symbol: 'NOPE-USDT' }))).toBe(
      'MARKET_NOT_LISTED',
    );
    expect(TIER_CAPS.FREE.followedMarkets).toBe(0);
    expect(await appCodeOf(api.market.follow.mutate({ venue: 'binance', symbol: FOLLOWED }))).toBe(
      'TIER_LIMIT_REACHED',
    );
    // Already followed (MARKET_SYMBOLS): nothing to charge, so even FREE gets a yes.
    expect(await api.market.follow.mutate({ venue: 'binance', symbol: 'BTC-USDT' })).toEqual({
      venue: 'binance',
      symbol: 'BTC-USDT',
      added: false,
    });
    expect((await api.market.tickers.query()).map((x) => `${x.venue}:${x.symbol}`).sort()).toEqual([
      'binance:BTC-USDT',
      'okx:BTC-USDT',
    ]);
  });

  it('follows a listed symbol: its trades and candles arrive, and its 24h figures equal the candles', async () => {
    const me = await t.signUp('pro-follower');
    await setTenantTier(t.engine.api, me.tenant.id, 'PRO');
    const api = t.client(me.token);
    // A stored day for the market before anyone follows it (what a backfill leaves): the window is seeded.
    const now = Date.now();
    const stored: Kline[] = [];
    for (let m = 1_430; m >= 5; m -= 7) {
      const openTime = Math.floor(now / MINUTE) * MINUTE - m * MINUTE;
      const lo = `${3_000 + (m % 50)}.5`;
      stored.push({
        venue: 'binance',
        symbol: FOLLOWED,
        interval: '1m',
        openTime,
        closeTime: openTime + MINUTE - 1,
        open: addDecimal(lo, '1'),
        high: addDecimal(lo, '9.25'),
        low: lo,
        close: addDecimal(lo, '2'),
        baseVolume: '0.1',
        quoteVolume: '300.000000000000000001',
        takerBuyBaseVolume: '0',
        tradeCount: 3,
        closed: true,
      });
    }
    await new MarketDataWriter(pool).writeKlines(stored);

    const trades: string[] = [];
    const ws = t.wsClient(me.token);
    const tradeSub = ws.client.market.onTrade.subscribe(
      { venue: 'binance', symbol: FOLLOWED },
      { onData: (tr) => trades.push(tr.tradeId) },
    );
    try {
      expect(await api.market.follow.mutate({ venue: 'binance', symbol: FOLLOWED })).toEqual({
        venue: 'binance',
        symbol: FOLLOWED,
        added: true,
      });
      await waitFor(() => trades.length >= 5, 20_000);
      await waitFor(async () => {
        const c = await api.market.candles.query({
          venue: 'binance',
          symbol: FOLLOWED,
          interval: '1m',
          limit: 5,
        });
        return c.candles.some((k) => k.openTime >= now - MINUTE && k.tradeCount > 0);
      }, 20_000);
      const feeds = await api.market.feeds.query();
      expect(feeds.filter((f) => f.venue === 'binance').flatMap((f) => f.symbols)).toContain(FOLLOWED);

      // Freeze the market, let the last candle versions land, then compare with a recomputation.
      t.engine.market?.simulator?.faults.setRate(0);
      let ticker: Ticker | undefined;
      let candles: Kline[] = [];
      await waitFor(async () => {
        const before = await api.market.candles.query({
          venue: 'binance',
          symbol: FOLLOWED,
          interval: '1m',
          limit: 1_440,
        });
        ticker = (await api.market.tickers.query()).find(
          (x) => x.venue === 'binance' && x.symbol === FOLLOWED,
        );
        const after = await api.market.candles.query({
          venue: 'binance',
          symbol: FOLLOWED,
          interval: '1m',
          limit: 1_440,
        });
        candles = after.candles;
        // Stable across the ticker read, and the ticker has seen the newest candle version.
        const lastOf = (c: Kline[]) => JSON.stringify(c[c.length - 1]);
        return (
          lastOf(before.candles) === lastOf(after.candles) &&
          ticker?.last === candles[candles.length - 1]?.close
        );
      }, 30_000);
      const got = ticker;
      if (!got) throw new Error('no ticker');
      expect(got.windowStart).toBe(windowStartOf(got.asOf));
      const inWindow = candles.filter((k) => k.openTime >= got.windowStart);
      expect(inWindow.length).toBeGreaterThan(stored.length - 2);
      const sum = (get: (k: Kline) => string) => inWindow.reduce((s, k) => addDecimal(s, get(k)), '0');
      const pick = (get: (k: Kline) => string, sign: 1 | -1) =>
        inWindow.map(get).reduce((a, b) => (compareDecimal(b, a) === sign ? b : a));
      const first = inWindow[0] as Kline;
      const last = inWindow[inWindow.length - 1] as Kline;
      expect(got).toMatchObject({
        open: first.open,
        last: last.close,
        change: subtractDecimal(last.close, first.open),
        high: pick((k) => k.high, 1),
        low: pick((k) => k.low, -1),
        baseVolume: sum((k) => k.baseVolume),
        quoteVolume: sum((k) => k.quoteVolume),
        tradeCount: inWindow.reduce((n, k) => n + k.tradeCount, 0),
        configured: false,
      });
    } finally {
      t.engine.market?.simulator?.faults.setRate(20);
      tradeSub.unsubscribe();
      await ws.close();
    }
  });

  it('market.onTickers sends all tickers first, then changes', async () => {
    const me = await t.signUp('ticker-watcher');
    const ws = t.wsClient(me.token);
    const batches: Ticker[][] = [];
    const sub = ws.client.market.onTickers.subscribe(undefined, { onData: (b) => batches.push(b) });
    try {
      await waitFor(() => batches.length >= 2, 20_000);
      expect(batches[0]?.map((x) => x.symbol)).toEqual(expect.arrayContaining(['BTC-USDT', FOLLOWED]));
      expect(batches[1]?.length).toBeGreaterThan(0);
    } finally {
      sub.unsubscribe();
      await ws.close();
    }
  });

  it('a follow is refused past the tier cap and past the engine cap', async () => {
    const me = await t.signUp('capped');
    await setTenantTier(t.engine.api, me.tenant.id, 'PRO', { followedMarkets: 1 });
    const api = t.client(me.token);
    expect((await api.market.follow.mutate({ venue: 'okx', symbol: 'SOL-USDT' })).added).toBe(true);
    // Tier: one extra market for this contract.
    expect(await appCodeOf(api.market.follow.mutate({ venue: 'okx', symbol: 'XRP-USDT' }))).toBe(
      'TIER_LIMIT_REACHED',
    );
    // Engine: MARKET_FOLLOW_MAX=3; ETH and SOL are followed, a third fits, a fourth does not.
    const big = await t.signUp('enterprise');
    await setTenantTier(t.engine.api, big.tenant.id, 'ENTERPRISE');
    const bigApi = t.client(big.token);
    expect((await bigApi.market.follow.mutate({ venue: 'okx', symbol: 'XRP-USDT' })).added).toBe(true);
    expect(await appCodeOf(bigApi.market.follow.mutate({ venue: 'okx', symbol: 'LINK-USDT' }))).toBe(
      'MARKET_FOLLOW_LIMIT',
    );
    const { rows } = await pool.query('SELECT venue, symbol FROM followed_markets ORDER BY created_at');
    expect(rows).toEqual([
      { venue: 'binance', symbol: FOLLOWED },
      { venue: 'okx', symbol: 'SOL-USDT' },
      { venue: 'okx', symbol: 'XRP-USDT' },
    ]);
    // What the next start follows beside MARKET_SYMBOLS: the stored markets, oldest first, within the cap.
    const market = t.engine.market;
    if (!market) throw new Error('no market data');
    const restarted = new FollowService({
      db: t.engine.api.db,
      catalog: market.catalog,
      venues: ['binance', 'okx'],
      configured: ['BTC-USDT'],
      maxExtra: 2,
      logger: silent,
      apply: async () => {},
    });
    expect(await restarted.loadStored()).toEqual([
      { venue: 'binance', symbol: FOLLOWED, configured: false },
      { venue: 'okx', symbol: 'SOL-USDT', configured: false },
    ]);
    expect(restarted.isFollowed('okx', 'XRP-USDT')).toBe(false);
  });

  it('watchlist: add, list, reorder, remove, bounded, typed errors', async () => {
    const me = await t.signUp('watcher');
    const api = t.client(me.token);
    expect(await api.watchlist.list.query()).toEqual([]);
    await api.watchlist.add.mutate({ venue: 'binance', symbol: 'BTC-USDT' });
    await api.watchlist.add.mutate({ venue: 'okx', symbol: 'SOL-USDT' });
    // Idempotent.
    const list = await api.watchlist.add.mutate({ venue: 'binance', symbol: 'BTC-USDT' });
    expect(list.map((e) => [e.venue, e.symbol, e.position])).toEqual([
      ['binance', 'BTC-USDT', 0],
      ['okx', 'SOL-USDT', 1],
    ]);
    expect(await appCodeOf(api.watchlist.add.mutate({ venue: 'binance', symbol: 'NOPE-USDT' }))).toBe(
      'MARKET_UNKNOWN_INSTRUMENT',
    );
    const reordered = await api.watchlist.reorder.mutate({
      entries: [
        { venue: 'okx', symbol: 'SOL-USDT' },
        { venue: 'binance', symbol: 'BTC-USDT' },
      ],
    });
    expect(reordered.map((e) => e.symbol)).toEqual(['SOL-USDT', 'BTC-USDT']);
    expect(
      await appCodeOf(api.watchlist.reorder.mutate({ entries: [{ venue: 'okx', symbol: 'SOL-USDT' }] })),
    ).toBe('VALIDATION_FAILED');
    expect(
      (await api.watchlist.remove.mutate({ venue: 'okx', symbol: 'SOL-USDT' })).map((e) => e.symbol),
    ).toEqual(['BTC-USDT']);
    // Another person in another tenant sees their own list.
    const other = await t.signUp('other');
    expect(await t.client(other.token).watchlist.list.query()).toEqual([]);

    // Bound: 100 entries. Fill past the listed symbols with rows, then the API refuses the 101st.
    const { rows } = await pool.query<{ n: number }>(
      `INSERT INTO watchlist_entries (tenant_id, user_id, venue, symbol, position)
       SELECT $1, $2, 'bybit', 'X' || g || '-USDT', g FROM generate_series(1, 99) g RETURNING 1 AS n`,
      [me.tenant.id, me.user.id],
    );
    expect(rows).toHaveLength(99);
    expect(await api.watchlist.list.query()).toHaveLength(100);
    expect(await appCodeOf(api.watchlist.add.mutate({ venue: 'binance', symbol: 'ETH-USDT' }))).toBe(
      'WATCHLIST_FULL',
    );
  });
});
