import { createPgPool, MarketDataWriter } from '@qt/db';
import { createTestDatabase, type TestDatabase } from '@qt/db/testing';
import { type ExchangeSim, startExchangeSim } from '@qt/exchange-sim';
import {
  type CandleHistorySource,
  candleHistorySource,
  createBinanceAdapter,
  createBybitAdapter,
  createFeed,
  createOkxAdapter,
  type TradeHistoryPages,
  tradeHistoryPages,
  type VenueAdapter,
  venueRestBudget,
} from '@qt/market-data';
import { type Kline, type KnownVenue, liveClock, ManualClock, type Trade } from '@qt/shared';
import type pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackfillRunner } from '../../src/market/backfill/backfill-runner.ts';
import { type BackfillJob, BackfillStore } from '../../src/market/backfill/backfill-store.ts';
import { createHistoryService } from '../../src/market/backfill/history-service.ts';
import { waitFor } from '../bus/bus-contract.ts';

const MIN = 60_000;
/** A past day: before the simulator's start, so its REST serves generated history trades. */
const D0 = Date.UTC(2026, 1, 9);

/**
 * Trade backfills against the simulator's REST trade history (its real HTTP server, limits and injected
 * faults) into a real PostgreSQL through the time-series writer's COPY + ON CONFLICT path.
 */
describe('trade backfill', () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let sim: ExchangeSim;
  let store: BackfillStore;
  let writer: MarketDataWriter;
  const logger = pino({ level: process.env.TEST_LOG ?? 'silent' });
  const adapters: Record<KnownVenue, VenueAdapter> = {
    binance: createBinanceAdapter(),
    okx: createOkxAdapter(),
    bybit: createBybitAdapter(),
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = createPgPool(db.url, { max: 4 });
    sim = await startExchangeSim({ symbols: ['BTC-USDT', 'ETH-USDT'], manual: true, seed: 11 });
    store = new BackfillStore(pool);
    writer = new MarketDataWriter(pool);
  }, 60_000);
  afterAll(async () => {
    await sim?.stop();
    await pool?.end();
    await db?.drop();
  });

  const rest = (venue: KnownVenue, on: ExchangeSim = sim) => {
    const urls = on.urls[0];
    if (!urls) throw new Error('no simulator endpoint');
    return [urls[venue].rest];
  };

  function tradeSources(on: ExchangeSim): Map<string, TradeHistoryPages> {
    const out = new Map<string, TradeHistoryPages>();
    for (const venue of ['binance', 'okx', 'bybit'] as const) {
      const budget = venueRestBudget(venue).lane('background');
      out.set(venue, tradeHistoryPages(adapters[venue], { restEndpoints: rest(venue, on), budget }));
    }
    return out;
  }

  function runner(
    opts: {
      staleMs?: number;
      writeTrades?: (t: readonly Trade[]) => Promise<unknown>;
      sim?: ExchangeSim;
    } = {},
  ): BackfillRunner {
    return new BackfillRunner(
      {
        store,
        sources: new Map<string, CandleHistorySource>(),
        tradeSources: tradeSources(opts.sim ?? sim),
        writeKlines: (k) => writer.writeKlines(k),
        writeTrades: opts.writeTrades ?? ((t) => writer.writeTrades(t)),
        minutesWithTrades: async (venue, symbol, fromMs, toMs) => {
          const r = await pool.query<{ m: string }>(
            `SELECT DISTINCT (extract(epoch FROM date_trunc('minute', exchange_time)) * 1000)::bigint::text AS m
               FROM market_trades
              WHERE venue = $1 AND symbol = $2 AND exchange_time >= $3 AND exchange_time < $4`,
            [venue, symbol, new Date(fromMs), new Date(toMs)],
          );
          return new Set(r.rows.map((row) => Number(row.m)));
        },
        stored1m: async () => [],
        logger,
      },
      { pollMs: 100, retryBaseMs: 50, ...(opts.staleMs ? { staleMs: opts.staleMs } : {}) },
    );
  }

  /** The simulator's own 1m candles of the range (its candle REST), the truth the trades must match. */
  async function candles(
    venue: KnownVenue,
    symbol: string,
    fromMs: number,
    toMs: number,
    on: ExchangeSim = sim,
  ): Promise<Kline[]> {
    const src = candleHistorySource(adapters[venue], rest(venue, on), { share: 1 });
    const out: Kline[] = [];
    for (let from = fromMs; from < toMs; ) {
      const page = await src.fetchPage(symbol, from, toMs);
      out.push(...page.candles);
      from = page.nextFrom;
    }
    return out;
  }

  /** Stored trades per minute: count, distinct ids, high, low, volume, first and last price. */
  async function perMinute(venue: string, symbol: string, fromMs: number, toMs: number) {
    const { rows } = await pool.query<{
      minute: string;
      n: string;
      ids: string;
      high: string;
      low: string;
      volume: string;
      first: string;
      last: string;
    }>(
      `SELECT (extract(epoch FROM date_trunc('minute', exchange_time)) * 1000)::bigint AS minute,
              count(*) AS n, count(DISTINCT trade_id) AS ids, max(price)::text AS high, min(price)::text AS low,
              sum(quantity)::text AS volume,
              (array_agg(price::text ORDER BY exchange_time, length(trade_id), trade_id))[1] AS first,
              (array_agg(price::text ORDER BY exchange_time DESC, length(trade_id) DESC, trade_id DESC))[1] AS last
         FROM market_trades
        WHERE venue = $1 AND symbol = $2
          AND exchange_time >= to_timestamp($3 / 1000.0) AND exchange_time < to_timestamp($4 / 1000.0)
        GROUP BY 1 ORDER BY 1`,
      [venue, symbol, fromMs, toMs],
    );
    return rows.map((r) => ({
      minute: Number(r.minute),
      n: Number(r.n),
      ids: Number(r.ids),
      high: Number(r.high),
      low: Number(r.low),
      volume: Number(r.volume),
      first: Number(r.first),
      last: Number(r.last),
    }));
  }

  async function until(jobId: string, status: string, ms = 60_000): Promise<BackfillJob> {
    await waitFor(async () => (await store.get(jobId))?.status === status, ms, `job ${status}`);
    return (await store.get(jobId)) as BackfillJob;
  }

  it('binance (aggTrades locates, historicalTrades pages) through injected 429s and 5xx: every trade once, each minute aggregating to its candle', async () => {
    const from = D0;
    const to = D0 + 30 * MIN;
    const before = sim.stats();
    sim.faults.failHistory('binance', 2, 429, 1);
    const r = runner();
    const job = await store.create({
      venue: 'binance',
      symbol: 'BTC-USDT',
      kind: 'trades',
      interval: '1m',
      fromMs: from,
      toMs: to,
      createdBy: 'system',
    });
    r.start();
    await waitFor(async () => ((await store.get(job.id))?.cursorMs ?? 0) > from, 30_000, 'first page');
    sim.faults.failHistory('binance', 2, 503);
    const done = await until(job.id, 'done');
    await r.stop();

    const truth = await candles('binance', 'BTC-USDT', from, to);
    expect(truth).toHaveLength(30);
    const expected = truth.reduce((n, k) => n + k.tradeCount, 0);
    expect(done.kind).toBe('trades');
    expect(done.progressBp).toBe(10_000);
    expect(done.candlesWritten).toBe(expected);
    expect(done.throttled).toBeGreaterThanOrEqual(2);
    const refused = (sim.stats().historyRefused.binance ?? 0) - (before.historyRefused.binance ?? 0);
    expect(refused).toBe(4);
    const minutes = await perMinute('binance', 'BTC-USDT', from, to);
    expect(minutes).toHaveLength(30);
    for (const [i, m] of minutes.entries()) {
      const k = truth[i] as Kline;
      expect(m.minute).toBe(k.openTime);
      expect(m.ids).toBe(m.n);
      expect(m.n).toBe(k.tradeCount);
      expect(m.first).toBe(Number(k.open));
      expect(m.last).toBe(Number(k.close));
      expect(m.high).toBe(Number(k.high));
      expect(m.low).toBe(Number(k.low));
      expect(m.volume).toBeCloseTo(Number(k.baseVolume), 8);
    }
  }, 90_000);

  it('binance: a backfill over minutes the live @trade feed already stored adds no duplicate (one id space)', async () => {
    // A simulator of its own on a clock the test moves: it starts 30 s into a minute, so the range below
    // holds three generated minutes before its start and the live minutes after it.
    let now = Date.UTC(2026, 5, 1, 12, 0, 30);
    const started = now;
    const live = await startExchangeSim({
      symbols: ['BTC-USDT'],
      manual: true,
      seed: 23,
      clock: { now: () => now },
    });
    const fed: Trade[] = [];
    const writes: Promise<unknown>[] = [];
    const feed = createFeed({
      adapter: createBinanceAdapter(),
      symbols: ['BTC-USDT'],
      channels: ['trades'],
      endpoints: live.urls.map((u) => u.binance.ws),
      clock: liveClock,
      onTrades: (batch) => {
        fed.push(...batch);
        writes.push(writer.writeTrades(batch));
      },
    });
    try {
      feed.start();
      await waitFor(() => feed.status()[0]?.state === 'live', 30_000, 'feed live');
      // 150 s of market in 250 ms steps, each let through the sockets before the next.
      for (let i = 0; i < 600; i++) {
        now += 250;
        live.step(250);
        await new Promise((r) => setTimeout(r, 1));
      }
      const ring = live.historyTrades('binance', 'BTC-USDT', 0, Number.MAX_SAFE_INTEGER);
      const lastId = ring.at(-1)?.tradeId;
      expect(lastId).toBeDefined();
      await waitFor(() => fed.some((t) => t.tradeId === lastId), 30_000, 'the feed saw the last trade');
      await Promise.all(writes);

      const anchorOpen = Math.floor(started / MIN) * MIN;
      const from = anchorOpen - 3 * MIN;
      const to = Math.floor(now / MIN) * MIN;
      const storedBefore = (await perMinute('binance', 'BTC-USDT', from, to)).reduce((n, m) => n + m.n, 0);
      const fedInRange = fed.filter((t) => t.exchangeTime >= from && t.exchangeTime < to);
      expect(storedBefore).toBe(fedInRange.length);
      expect(storedBefore).toBeGreaterThan(100);

      const r = runner({ sim: live });
      const job = await store.create({
        venue: 'binance',
        symbol: 'BTC-USDT',
        kind: 'trades',
        interval: '1m',
        fromMs: from,
        toMs: to,
        createdBy: 'system',
      });
      r.start();
      await until(job.id, 'done');
      await r.stop();

      // Truth: the generated minutes' own candles, then the live stream's trades per minute.
      const generated = await candles('binance', 'BTC-USDT', from, anchorOpen, live);
      const perLiveMinute = new Map<number, number>();
      for (const t of ring) {
        if (t.exchangeTime < anchorOpen || t.exchangeTime >= to) continue;
        const m = Math.floor(t.exchangeTime / MIN) * MIN;
        perLiveMinute.set(m, (perLiveMinute.get(m) ?? 0) + 1);
      }
      const expected = [
        ...generated.map((k) => ({ minute: k.openTime, n: k.tradeCount })),
        ...[...perLiveMinute].map(([minute, n]) => ({ minute, n })),
      ];
      expect(expected).toHaveLength(6);
      const minutes = await perMinute('binance', 'BTC-USDT', from, to);
      expect(minutes.map((m) => ({ minute: m.minute, n: m.n }))).toEqual(expected);
      expect(minutes.every((m) => m.ids === m.n)).toBe(true);
      // The live rows are the backfill's rows: the same ids, each once.
      const { rows } = await pool.query<{ n: string }>(
        `SELECT count(*) AS n FROM market_trades
          WHERE venue = 'binance' AND symbol = 'BTC-USDT' AND trade_id = ANY($1::text[])`,
        [fedInRange.map((t) => t.tradeId)],
      );
      expect(Number(rows[0]?.n)).toBe(fedInRange.length);
      // One id space: every generated id lies below the live stream's first.
      const ids = await pool.query<{ before: string; after: string }>(
        `SELECT max(trade_id::bigint) FILTER (WHERE exchange_time < to_timestamp($1 / 1000.0))::text AS before,
                min(trade_id::bigint) FILTER (WHERE exchange_time >= to_timestamp($1 / 1000.0))::text AS after
           FROM market_trades WHERE venue = 'binance' AND symbol = 'BTC-USDT'
            AND exchange_time >= to_timestamp($2 / 1000.0) AND exchange_time < to_timestamp($3 / 1000.0)`,
        [anchorOpen, from, to],
      );
      expect(BigInt(ids.rows[0]?.before ?? '0')).toBeLessThan(BigInt(ids.rows[0]?.after ?? '0'));
    } finally {
      await feed.stop();
      await live.stop();
    }
  }, 120_000);

  it('okx history-trades (timestamp then trade-id paging) stores the same minutes as its candles', async () => {
    const from = D0 + 2 * 60 * MIN;
    const to = from + 5 * MIN;
    const r = runner();
    const job = await store.create({
      venue: 'okx',
      symbol: 'ETH-USDT',
      kind: 'trades',
      interval: '1m',
      fromMs: from,
      toMs: to,
      createdBy: 'system',
    });
    r.start();
    const done = await until(job.id, 'done');
    await r.stop();
    const truth = await candles('okx', 'ETH-USDT', from, to);
    const minutes = await perMinute('okx', 'ETH-USDT', from, to);
    expect(minutes.map((m) => m.minute)).toEqual(truth.map((k) => k.openTime));
    expect(done.candlesWritten).toBe(minutes.reduce((n, m) => n + m.n, 0));
    for (const [i, m] of minutes.entries()) {
      const k = truth[i] as Kline;
      expect(m.ids).toBe(m.n);
      expect([m.first, m.last, m.high, m.low]).toEqual([k.open, k.close, k.high, k.low].map(Number));
      expect(m.volume).toBeCloseTo(Number(k.baseVolume), 8);
    }
  }, 90_000);

  it('okx: minutes the live feed already stored (one row per taker order) are left alone; only empty minutes are filled', async () => {
    const from = D0 + 4 * 60 * MIN;
    const to = from + 4 * MIN;
    // What the live `trades` channel stored for the second minute: one aggregated row.
    const liveMinute = from + MIN;
    await writer.writeTrades([
      {
        venue: 'okx',
        symbol: 'BTC-USDT',
        venueSymbol: 'BTC-USDT',
        tradeId: 'live-aggregated-1',
        price: '50000',
        quantity: '3',
        takerSide: 'buy',
        exchangeTime: liveMinute + 5_000,
        receiveTime: liveMinute + 5_001,
      },
    ]);
    const r = runner();
    const job = await store.create({
      venue: 'okx',
      symbol: 'BTC-USDT',
      kind: 'trades',
      interval: '1m',
      fromMs: from,
      toMs: to,
      createdBy: 'system',
    });
    r.start();
    await until(job.id, 'done');
    await r.stop();
    const truth = await candles('okx', 'BTC-USDT', from, to);
    const minutes = await perMinute('okx', 'BTC-USDT', from, to);
    expect(minutes.map((m) => m.minute)).toEqual(truth.map((k) => k.openTime));
    const live = minutes.find((m) => m.minute === liveMinute);
    // Untouched: still only the live row (no volume counted twice).
    expect(live).toMatchObject({ n: 1, volume: 3 });
    for (const m of minutes.filter((x) => x.minute !== liveMinute)) {
      const k = truth.find((x) => x.openTime === m.minute) as Kline;
      expect(m.volume).toBeCloseTo(Number(k.baseVolume), 8);
    }
  }, 90_000);

  it('a crash after a page was stored but before the cursor moved: resumed, every trade stored once', async () => {
    const from = D0 + 6 * 60 * MIN;
    const to = from + 40 * MIN;
    const job = await store.create({
      venue: 'binance',
      symbol: 'ETH-USDT',
      kind: 'trades',
      interval: '1m',
      fromMs: from,
      toMs: to,
      createdBy: 'system',
    });
    // Runner A dies on its second page: the page is written, then A never gets further (a process
    // that died mid-job: no advance, no heartbeat within the test since its stale time is an hour).
    let pages = 0;
    let handed = 0;
    let releaseA: (err: Error) => void = () => {};
    const hung = new Promise<never>((_, reject) => {
      releaseA = reject;
    });
    hung.catch(() => {});
    const a = runner({
      staleMs: 3_600_000,
      writeTrades: async (t) => {
        await writer.writeTrades(t);
        handed += t.length;
        pages++;
        if (pages === 2) await hung;
      },
    });
    a.start();
    await waitFor(async () => pages >= 2, 30_000, 'second page stored');
    const crashed = (await store.get(job.id)) as BackfillJob;
    expect(crashed.status).toBe('running');
    expect(crashed.cursorMs).toBe(from + 10 * MIN);
    // Its row goes stale as a dead runner's would.
    await pool.query(`UPDATE backfill_jobs SET updated_at = now() - interval '1 hour' WHERE id = $1`, [
      job.id,
    ]);

    const b = runner({
      staleMs: 60_000,
      writeTrades: async (t) => {
        handed += t.length;
        return writer.writeTrades(t);
      },
    });
    const cursors: number[] = [];
    b.onProgress((p) => cursors.push(p.cursorMs));
    b.start();
    const done = await until(job.id, 'done');
    await b.stop();
    const stopA = a.stop();
    releaseA(new Error('the dead runner is gone'));
    await stopA;

    // B began where the stored cursor was: the second page was fetched and handed over twice...
    expect(Math.min(...cursors)).toBe(from + 20 * MIN);
    const minutes = await perMinute('binance', 'ETH-USDT', from, to);
    const stored = minutes.reduce((n, m) => n + m.n, 0);
    const truth = await candles('binance', 'ETH-USDT', from, to);
    expect(stored).toBe(truth.reduce((n, k) => n + k.tradeCount, 0));
    expect(handed).toBeGreaterThan(stored);
    // ...and stored once.
    expect(minutes.every((m) => m.ids === m.n)).toBe(true);
    expect((await store.get(job.id))?.status).toBe('done');
    expect(done.progressBp).toBe(10_000);
  }, 90_000);

  it('bybit serves only its newest trades: what it has is stored, and the job says from when on it is complete', async () => {
    // The live market makes the newest trades (the simulator's clock is real time here).
    for (let i = 0; i < 50; i++) sim.step(200);
    const now = Date.now();
    const from = now - 60 * MIN;
    const r = runner();
    const job = await store.create({
      venue: 'bybit',
      symbol: 'BTC-USDT',
      kind: 'trades',
      interval: '1m',
      fromMs: from,
      toMs: now + MIN,
      createdBy: 'system',
    });
    r.start();
    const done = await until(job.id, 'done');
    await r.stop();
    expect(done.requests).toBe(1);
    expect(done.candlesWritten).toBeGreaterThan(0);
    expect(done.candlesWritten).toBeLessThanOrEqual(60);
    expect(done.completeFromMs).not.toBeNull();
    expect(done.completeFromMs as number).toBeGreaterThan(from);
    const { rows } = await pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM market_trades WHERE venue = 'bybit' AND symbol = 'BTC-USDT'`,
    );
    expect(Number(rows[0]?.n)).toBe(done.candlesWritten);
  }, 60_000);

  it('the history API queues a trade job (kind trades) within the tier depth, and answers a repeat with it', async () => {
    const now = D0 + 10 * 24 * 60 * MIN;
    const r = runner();
    const history = createHistoryService({
      pool,
      store,
      runner: r,
      clock: new ManualClock(now),
      symbols: ['BTC-USDT', 'ETH-USDT'],
    });
    const scope = { tenantId: 'tenant-trades', historyDays: 30 };
    const input = {
      venue: 'okx',
      symbol: 'BTC-USDT',
      kind: 'trades' as const,
      interval: '1m' as const,
      from: now - 3 * MIN,
      to: now - MIN,
    };
    const job = await history.backfill(scope, input);
    expect(job.kind).toBe('trades');
    expect(job.completeFromMs).toBeNull();
    expect((await history.backfill(scope, input)).id).toBe(job.id);
    // This runner has no candle source: a candle job is refused, not queued to fail.
    await expect(history.backfill(scope, { ...input, kind: 'candles' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await expect(
      history.backfill({ ...scope, historyDays: 1 }, { ...input, from: now - 2 * 24 * 60 * MIN }),
    ).rejects.toMatchObject({ code: 'TIER_LIMIT_REACHED' });
    r.start();
    const done = await until(job.id, 'done');
    await r.stop();
    expect(done.candlesWritten).toBeGreaterThan(0);
  }, 60_000);
});
