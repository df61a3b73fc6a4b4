import type { TradeCursor } from '@qt/db';
import type { ConsumerSpec, Kline, Trade } from '@qt/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InProcessBus } from '../../src/bus/in-process-bus.ts';
import { NatsBus } from '../../src/bus/nats/nats-bus.ts';
import { tradeWriterConsumer } from '../../src/market/persist/trade-persister.ts';
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
    // Each venue's own BTC-USDT trades, not a total: one venue's feed can go live and store its first
    // trades later than the others (a total of 50 was once all OKX and Bybit).
    for (const venue of ['binance', 'okx', 'bybit']) {
      let trades: Trade[] = [];
      await waitFor(
        async () => {
          trades = await t.client(token).market.trades.query({ venue, symbol: 'BTC-USDT', limit: 10 });
          return trades.length > 0;
        },
        20_000,
        `${venue} BTC-USDT trades stored`,
      );
      expect(trades.length, venue).toBeGreaterThan(0);
      expect(trades[0]?.price).toMatch(/^\d+(\.\d+)?$/);
    }
  });

  it('serves 1s candles that move, and pushes live candle updates', async () => {
    const client = t.client(token);
    // Two of binance's BTC-USDT 1s candles, the ones asserted on, not any candles of any venue.
    const query = () =>
      client.market.candles.query({ venue: 'binance', symbol: 'BTC-USDT', interval: '1s', limit: 50 });
    let page = await query();
    await waitFor(
      async () => {
        page = await query();
        return page.candles.length > 1;
      },
      20_000,
      'two binance BTC-USDT 1s candles',
    );
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
    // Stop intake and wait for conditions, not for a quiet spell: every published trade stored (the
    // writer's backlog empty), then every candle closed by the engine clock (no trade comes to reopen
    // one) and stored, which is when storage agrees with itself. No forced close: a forced watermark
    // would drop as too late any trade the aggregator had not yet received.
    const { MarketDataQueries, createPgPool } = await import('@qt/db');
    const { recomputeKlines } = await import('@qt/market-data');
    const pool = createPgPool(t.engine.databaseUrl, { max: 2 });
    try {
      const queries = new MarketDataQueries(pool);
      // Enough to compare, per venue (asserted below), before intake stops.
      for (const venue of ['binance', 'okx', 'bybit']) {
        await waitFor(
          async () =>
            (await queries.candles({ venue, symbol: 'BTC-USDT', interval: '1s', limit: 10 })).candles.length >
            2,
          20_000,
          `three ${venue} BTC-USDT 1s candles stored`,
        );
      }
      await market.feeds.stop();
      await market.publisher.flush();
      await waitForWriter(t, tradeWriterConsumer, 20_000);
      const compare = async (venue: string) => {
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
        return { stored, recomputed };
      };
      const agrees = ({ stored, recomputed }: Awaited<ReturnType<typeof compare>>) =>
        stored.length === recomputed.size &&
        stored.every(
          (k) =>
            k.closed &&
            JSON.stringify(canonical(k)) === JSON.stringify(canonical(recomputed.get(k.openTime))),
        );
      for (const venue of ['binance', 'okx', 'bybit']) {
        let last = await compare(venue);
        await waitFor(
          async () => {
            last = await compare(venue);
            return agrees(last);
          },
          30_000,
          `${venue} BTC-USDT 1s candles all closed and stored`,
        ).catch(() => {}); // the assertions below say what differs
        const { stored, recomputed } = last;
        expect(stored.length, venue).toBeGreaterThan(2);
        expect(stored.every((k) => k.closed)).toBe(true);
        for (const k of stored)
          expect(canonical(k), `${venue} ${k.openTime}`).toEqual(canonical(recomputed.get(k.openTime)));
        expect(stored.length).toBe(recomputed.size);
      }
    } finally {
      await pool.end();
    }
  }, 90_000);

  it('refuses an unknown instrument with a typed error', async () => {
    expect(
      await appCodeOf(
        t.client(token).market.candles.query({ venue: 'binance', symbol: 'NOPE-USDT', interval: '1m' }),
      ),
    ).toBe('MARKET_UNKNOWN_INSTRUMENT');
  });
});

/** Resolves once the durable consumer has nothing left to handle (its lag on NATS, a drain in process). */
async function waitForWriter(t: TestEngine, consumer: ConsumerSpec, timeoutMs: number): Promise<void> {
  const bus = t.engine.bus;
  if (bus instanceof InProcessBus) {
    if (!(await bus.drain(timeoutMs))) throw new Error(`${consumer.durable} did not catch up`);
    return;
  }
  if (!(bus instanceof NatsBus)) throw new Error(`no way to read the lag of a ${bus.kind} bus`);
  await waitFor(
    async () => {
      const lag = await bus.consumerLag(consumer);
      return lag.pending === 0 && lag.ackPending === 0;
    },
    timeoutMs,
    `${consumer.durable} caught up`,
  );
}

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
