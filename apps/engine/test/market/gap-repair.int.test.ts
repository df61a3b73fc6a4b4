import { createPgPool, MarketDataQueries, MarketDataWriter } from '@qt/db';
import { createTestDatabase, type TestDatabase } from '@qt/db/testing';
import { type ExchangeSim, type SimTrade, startExchangeSim, type Venue } from '@qt/exchange-sim';
import {
  binanceTradeHistory,
  createBinanceAdapter,
  RestBudget,
  recomputeKlines,
  type TradeHistorySource,
} from '@qt/market-data';
import type { Kline, KlineInterval, Trade } from '@qt/shared';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GapRepairer, type GapReport } from '../../src/market/repair/gap-repairer.ts';
import { waitFor } from '../bus/bus-contract.ts';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';

/**
 * Gap repair end to end on the bundled simulator: the simulator withholds trades from its sockets (they
 * stay in its REST history), the feed's sequencer reports the exact id range, the repairer fetches it
 * over REST within the venue's limits and stores it through the normal path. Real PostgreSQL (and NATS
 * when NATS_URL is set).
 */
describe('gap repair over REST', () => {
  let t: TestEngine;
  let sim: ExchangeSim;
  let pool: pg.Pool;

  beforeAll(async () => {
    t = await startTestEngine({
      marketSource: 'simulator',
      simulatorTradesPerSecond: 40,
      marketSymbols: ['BTC-USDT'],
      marketVenues: ['binance', 'okx'],
    });
    sim = t.engine.market?.simulator as ExchangeSim;
    pool = new pg.Pool({ connectionString: t.engine.databaseUrl, max: 2 });
    await waitFor(
      () => (t.engine.market?.feeds.status() ?? []).every((s) => s.state === 'live'),
      30_000,
      'feeds live',
    );
    // The sequencer's baseline: trades have flowed on both venues.
    await waitFor(async () => (await storedCount('binance')) > 0 && (await storedCount('okx')) > 0, 30_000);
  }, 90_000);
  afterAll(async () => {
    await pool?.end();
    await t?.stop();
  });

  async function storedCount(venue: string): Promise<number> {
    const { rows } = await pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM market_trades WHERE venue = $1 AND symbol = 'BTC-USDT'`,
      [venue],
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** Stored trades of the id range, in the simulator's shape (decimals without trailing zeros). */
  async function stored(venue: string, fromId: number, toId: number): Promise<SimTrade[]> {
    const { rows } = await pool.query<{
      trade_id: string;
      price: string;
      quantity: string;
      taker_side: 'buy' | 'sell';
      ms: string;
    }>(
      `SELECT trade_id, price::text, quantity::text, taker_side,
              (extract(epoch FROM exchange_time) * 1000)::bigint::text AS ms
         FROM market_trades
        WHERE venue = $1 AND symbol = 'BTC-USDT' AND trade_id::numeric BETWEEN $2 AND $3
        ORDER BY trade_id::numeric`,
      [venue, fromId, toId],
    );
    const trim = (d: string) => (d.includes('.') ? d.replace(/0+$/, '').replace(/\.$/, '') : d);
    return rows.map((r) => ({
      tradeId: r.trade_id,
      price: trim(r.price),
      quantity: trim(r.quantity),
      takerSide: r.taker_side,
      exchangeTime: Number(r.ms),
    }));
  }

  const repairer = () => {
    const r = t.engine.market?.repairer;
    if (!r) throw new Error('no repairer');
    return r;
  };

  async function nextReport(venue: string, after: number): Promise<GapReport> {
    let found: GapReport | undefined;
    await waitFor(
      () => {
        found = repairer()
          .recent()
          .slice(after)
          .find((r) => r.venue === venue);
        return found !== undefined;
      },
      60_000,
      `a ${venue} gap report`,
    );
    return found as GapReport;
  }

  for (const venue of ['binance', 'okx'] as Venue[]) {
    it(`${venue}: a withheld range is reported, fetched and stored exactly as the venue has it`, async () => {
      const before = repairer().recent().length;
      sim.faults.withholdTrades(venue, 'BTC-USDT', 150);
      const report = await nextReport(venue, before);
      expect(report.outcome).toBe('repaired');
      expect(report.unrepaired).toBe(0);
      const truth = sim.historyTrades(venue, 'BTC-USDT', report.fromId, report.toId);
      expect(truth.length).toBe(report.toId - report.fromId + 1);
      expect(report.repaired).toBe(truth.length);
      expect(await stored(venue, report.fromId, report.toId)).toEqual(truth);
      // The repaired trades were too late for the aggregator: their 1s candles are recomputed from
      // storage once closed (end + lateness + grace) and then equal the stored trades exactly.
      const from = Math.floor((truth[0]?.exchangeTime ?? 0) / 1000) * 1000;
      const to = Math.floor((truth[truth.length - 1]?.exchangeTime ?? 0) / 1000) * 1000 + 1000;
      const queries = new MarketDataQueries(pool);
      await waitFor(
        async () => {
          const trades = await queries.tradesAscending({ venue, symbol: 'BTC-USDT', fromMs: from, toMs: to });
          const candles = await queries.closedCandlesAscending({
            venue,
            symbol: 'BTC-USDT',
            interval: '1s',
            fromMs: from,
            toMs: to,
          });
          return JSON.stringify(candles) === JSON.stringify(recomputeKlines(trades, '1s'));
        },
        60_000,
        `${venue} 1s candles of the repaired range recomputed`,
      );
    }, 150_000);
  }

  it('binance: waits out a 429 as told (Retry-After), never earning a 418 ban', async () => {
    const stats0 = sim.stats();
    const before = repairer().recent().length;
    sim.faults.throttleRest('binance', 6_000);
    sim.faults.withholdTrades('binance', 'BTC-USDT', 20);
    const report = await nextReport('binance', before);
    const stats1 = sim.stats();
    expect(report.outcome).toBe('repaired');
    expect((stats1.restThrottled.binance ?? 0) - (stats0.restThrottled.binance ?? 0)).toBeGreaterThanOrEqual(
      1,
    );
    expect(stats1.restBanned.binance).toBe(0);
    const truth = sim.historyTrades('binance', 'BTC-USDT', report.fromId, report.toId);
    expect(await stored('binance', report.fromId, report.toId)).toEqual(truth);
  }, 90_000);

  it('an id range the venue never had is reported unrepairable, with the reason', async () => {
    const before = repairer().recent().length;
    sim.faults.skipTradeIds('binance', 'BTC-USDT', 25);
    const report = await nextReport('binance', before);
    expect(report.outcome).toBe('unrepairable');
    expect(report.reason).toBe('not-in-history');
    expect(report.unrepaired).toBe(25);
    expect(report.repaired).toBe(0);
    expect(await stored('binance', report.fromId, report.toId)).toEqual([]);
    const metrics = repairer().stats;
    expect(metrics.outcomes.unrepairable).toBeGreaterThanOrEqual(1);
    expect(metrics.idsUnrepairable).toBeGreaterThanOrEqual(25);
  }, 90_000);
});

/**
 * Candles after a repair (review finding 3) and the id spaces (finding 8), on the repairer itself with
 * an injected clock, so windows of every interval up to 1d can be seen closing: real PostgreSQL, the
 * simulator's real REST history (manual market, its clock 2.5 minutes before a UTC midnight, so the gap
 * straddles a boundary of every interval). What the live path stored is written as the aggregator would
 * have: the trades it saw and candles of exactly those trades.
 */
describe('gap repair corrects the stored candles of every interval', () => {
  const DAY = 86_400_000;
  const midnight = Math.floor(Date.now() / DAY) * DAY;
  const intervals: KlineInterval[] = ['1s', '1m', '5m', '15m', '1h', '4h', '1d'];
  const venueSymbol = 'BTCUSDT';
  let simNow = midnight - 150_000;
  let sim: ExchangeSim;
  let db: TestDatabase;
  let pool: pg.Pool;
  let writer: MarketDataWriter;
  let queries: MarketDataQueries;
  let all: Trade[];

  const toTrade = (t: SimTrade): Trade => ({
    venue: 'binance',
    symbol: 'BTC-USDT',
    venueSymbol,
    tradeId: t.tradeId,
    price: t.price,
    quantity: t.quantity,
    takerSide: t.takerSide,
    exchangeTime: t.exchangeTime,
    receiveTime: t.exchangeTime,
  });

  beforeAll(async () => {
    sim = await startExchangeSim({
      manual: true,
      symbols: ['BTC-USDT'],
      tradesPerSecond: 20,
      seed: 11,
      clock: { now: () => simNow },
    });
    // Five minutes of market across midnight, about 6,000 trades (within the REST history of 10,000).
    for (let i = 0; i < 600; i++) {
      simNow += 500;
      sim.step(500);
    }
    all = sim.historyTrades('binance', 'BTC-USDT', 0, Number.MAX_SAFE_INTEGER).map(toTrade);
    db = await createTestDatabase();
    pool = createPgPool(db.url, { max: 4 });
    writer = new MarketDataWriter(pool);
    queries = new MarketDataQueries(pool);
  }, 60_000);
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
    await sim?.stop();
  });

  async function storedTrades(fromMs: number, toMs: number): Promise<Trade[]> {
    const out: Trade[] = [];
    for (;;) {
      const last = out[out.length - 1];
      const page = await queries.tradesAscending({
        venue: 'binance',
        symbol: 'BTC-USDT',
        fromMs,
        toMs,
        after: last ? { exchangeTime: last.exchangeTime, tradeId: last.tradeId } : undefined,
        limit: 50_000,
      });
      out.push(...page);
      if (page.length < 50_000) return out;
    }
  }

  function repairerAt(
    clock: { now: number },
    sources: Map<string, TradeHistorySource>,
    reports: GapReport[],
  ) {
    return new GapRepairer(
      { latenessMs: 2_000, settleMs: 0, intervals },
      {
        sources,
        store: (t) => writer.writeTrades(t),
        storedTrades: (_venue, _symbol, fromMs, toMs) => storedTrades(fromMs, toMs),
        storedKlines: (venue, symbol, interval, fromMs, toMs) =>
          queries.closedCandlesAscending({ venue, symbol, interval, fromMs, toMs, limit: 50_000 }),
        storeKlines: (k) => writer.writeKlines(k),
        now: () => clock.now,
        logger: pino({ level: 'silent' }),
        onReport: (r) => reports.push(r),
      },
    );
  }

  it('repaired trades are stored once and every affected candle, 1s to 1d, ends equal to its trades', async () => {
    // The gap: 40 s before midnight to 30 s after. Its first 10 ids arrived late on the live path (after
    // the gap was reported), so they are stored and counted in the live candles already.
    const inGap = all.filter(
      (t) => t.exchangeTime >= midnight - 40_000 && t.exchangeTime < midnight + 30_000,
    );
    const fromId = Number(inGap[0]?.tradeId);
    const toId = Number(inGap[inGap.length - 1]?.tradeId);
    expect(toId - fromId + 1).toBe(inGap.length);
    const late = new Set(inGap.slice(0, 10).map((t) => t.tradeId));
    const live = all.filter((t) => !inGap.includes(t) || late.has(t.tradeId));
    await writer.writeTrades(live);
    const liveCandles: Kline[] = intervals.flatMap((i) => recomputeKlines(live, i));
    await writer.writeKlines(liveCandles);

    const clock = { now: simNow + 1_000 };
    const reports: GapReport[] = [];
    const source = binanceTradeHistory(createBinanceAdapter(), {
      restEndpoints: [sim.urls[0]?.binance.rest as string],
      budget: new RestBudget({ capacity: 6000, windowMs: 60_000 }),
    });
    const repairer = repairerAt(clock, new Map([['binance', source]]), reports);
    repairer.onGap({ venue: 'binance', symbol: 'BTC-USDT', fromId, toId, missing: toId - fromId + 1 });
    expect(await repairer.idle(60_000)).toBe(true);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ outcome: 'repaired', repaired: inGap.length, unrepaired: 0 });
    expect(reports[0]?.candleWindowsScheduled).toBeGreaterThan(0);

    // Every trade the venue sent is stored exactly once (the late ten included).
    const span = { from: midnight - DAY, to: midnight + DAY };
    const stored = await storedTrades(span.from, span.to);
    expect(stored.map((t) => t.tradeId)).toEqual(all.map((t) => t.tradeId));

    // Windows that had closed at repair time are done (1s, 1m, and the coarse ones ending at midnight,
    // rolled up from 1m); those still open wait for their close, e.g. the 1d window starting at midnight.
    await repairer.recomputeDue();
    const waiting = repairer.scheduledRecomputes();
    expect(waiting.some((w) => w.interval === '1d' && w.openTime === midnight)).toBe(true);
    expect(waiting.every((w) => w.dueAt > clock.now)).toBe(true);
    expect(repairer.stats.candlesRecomputed).toBeGreaterThan(0);

    // A day later every window has closed and been recomputed.
    clock.now = midnight + 2 * DAY;
    await repairer.recomputeDue();
    expect(repairer.scheduledRecomputes()).toEqual([]);
    expect(repairer.stats.recomputesFailed).toBe(0);

    const expectStoredCandlesExact = async () => {
      const trades = await storedTrades(span.from, span.to);
      for (const interval of intervals) {
        const candles = await queries.closedCandlesAscending({
          venue: 'binance',
          symbol: 'BTC-USDT',
          interval,
          fromMs: span.from,
          toMs: span.to,
          limit: 50_000,
        });
        expect(candles, interval).toEqual(recomputeKlines(trades, interval));
      }
    };
    await expectStoredCandlesExact();
    // The aggregator's versions (fewer trades) arriving late change nothing.
    await writer.writeKlines(liveCandles);
    await expectStoredCandlesExact();
    await repairer.stop();
  }, 120_000);

  it('binance in aggTrade mode: a gap is reported unrepairable (aggregate-ids) and nothing is fetched', async () => {
    const reports: GapReport[] = [];
    const restBefore = sim.stats().restRequests.binance ?? 0;
    const source = binanceTradeHistory(createBinanceAdapter({ tradeStream: 'aggTrade' }), {
      restEndpoints: [sim.urls[0]?.binance.rest as string],
      budget: new RestBudget({ capacity: 6000, windowMs: 60_000 }),
      tradeStream: 'aggTrade',
    });
    const repairer = repairerAt({ now: simNow }, new Map([['binance', source]]), reports);
    const first = Number(all[0]?.tradeId);
    repairer.onGap({ venue: 'binance', symbol: 'BTC-USDT', fromId: first, toId: first + 4, missing: 5 });
    expect(reports).toEqual([
      expect.objectContaining({
        outcome: 'unrepairable',
        reason: 'aggregate-ids',
        unrepaired: 5,
        repaired: 0,
      }),
    ]);
    expect(sim.stats().restRequests.binance ?? 0).toBe(restBefore);
    await repairer.stop();
  });
});
