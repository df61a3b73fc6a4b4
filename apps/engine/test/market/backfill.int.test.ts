import { createPgPool, MarketDataQueries, MarketDataWriter } from '@qt/db';
import { createTestDatabase, type TestDatabase } from '@qt/db/testing';
import { type ExchangeSim, startExchangeSim } from '@qt/exchange-sim';
import {
  type CandleHistorySource,
  candleHistorySource,
  createBinanceAdapter,
  createBybitAdapter,
  createOkxAdapter,
} from '@qt/market-data';
import type { Kline } from '@qt/shared';
import type pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BackfillProgress, BackfillRunner } from '../../src/market/backfill/backfill-runner.ts';
import { BackfillStore } from '../../src/market/backfill/backfill-store.ts';
import { klineCoverage } from '../../src/market/backfill/coverage.ts';
import { waitFor } from '../bus/bus-contract.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** A past day well inside any venue's history (the simulator serves any past minute). */
const D0 = Date.UTC(2026, 0, 5);

/**
 * Backfills against the simulator's REST candle history (its real HTTP server, its rate limits and
 * injected faults) into a real PostgreSQL through the time-series writer.
 */
describe('market history backfill', () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let sim: ExchangeSim;
  let store: BackfillStore;
  let writer: MarketDataWriter;
  let queries: MarketDataQueries;
  const logger = pino({ level: 'silent' });

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = createPgPool(db.url, { max: 4 });
    sim = await startExchangeSim({ symbols: ['BTC-USDT', 'ETH-USDT'], manual: true, seed: 7 });
    store = new BackfillStore(pool);
    writer = new MarketDataWriter(pool);
    queries = new MarketDataQueries(pool);
  }, 60_000);
  afterAll(async () => {
    await sim?.stop();
    await pool?.end();
    await db?.drop();
  });

  function sources(): Map<string, CandleHistorySource> {
    const urls = sim.urls[0];
    if (!urls) throw new Error('no simulator endpoint');
    return new Map<string, CandleHistorySource>([
      ['binance', candleHistorySource(createBinanceAdapter(), [urls.binance.rest])],
      ['okx', candleHistorySource(createOkxAdapter(), [urls.okx.rest])],
      ['bybit', candleHistorySource(createBybitAdapter(), [urls.bybit.rest])],
    ]);
  }

  function runner(opts: { staleMs?: number } = {}): BackfillRunner {
    return new BackfillRunner(
      {
        store,
        sources: sources(),
        writeKlines: (k) => writer.writeKlines(k),
        stored1m: (venue, symbol, fromMs, toMs) =>
          queries.closedCandlesAscending({ venue, symbol, interval: '1m', fromMs, toMs, limit: 50_000 }),
        logger,
      },
      { pollMs: 100, retryBaseMs: 50, ...opts },
    );
  }

  async function count(venue: string, symbol: string, interval: string, fromMs: number, toMs: number) {
    const { rows } = await pool.query<{ n: string; distinct_n: string }>(
      `SELECT count(*) AS n, count(DISTINCT open_time) AS distinct_n FROM market_klines
        WHERE venue = $1 AND symbol = $2 AND "interval" = $3
          AND open_time >= to_timestamp($4 / 1000.0) AND open_time < to_timestamp($5 / 1000.0)`,
      [venue, symbol, interval, fromMs, toMs],
    );
    return { n: Number(rows[0]?.n), distinct: Number(rows[0]?.distinct_n) };
  }

  async function until(jobId: string, status: string, ms = 60_000) {
    await waitFor(async () => (await store.get(jobId))?.status === status, ms, `job ${status}`);
    return (await store.get(jobId)) as NonNullable<Awaited<ReturnType<BackfillStore['get']>>>;
  }

  it('backfills 3 days through injected 429s and 5xx: each candle once, roll-ups, progress to 100 %', async () => {
    const r = runner();
    const progress: BackfillProgress[] = [];
    r.onProgress((p) => progress.push(p));
    const before = sim.stats();
    sim.faults.failHistory('binance', 2, 429, 1);
    const job = await store.create({
      venue: 'binance',
      symbol: 'BTC-USDT',
      interval: '1m',
      fromMs: D0,
      toMs: D0 + 3 * DAY,
      createdBy: 'system',
    });
    r.start();
    // The 5xx come after the 429s were used up: a second injection once the first page is stored.
    await waitFor(async () => ((await store.get(job.id))?.cursorMs ?? 0) > D0, 30_000, 'first page');
    sim.faults.failHistory('binance', 3, 503);
    const done = await until(job.id, 'done');
    await r.stop();

    expect(done.progressBp).toBe(10_000);
    expect(done.candlesWritten).toBe(3 * 1_440);
    expect(done.throttled).toBeGreaterThanOrEqual(2);
    const after = sim.stats();
    expect((after.historyRefused.binance ?? 0) - (before.historyRefused.binance ?? 0)).toBe(5);
    expect(await count('binance', 'BTC-USDT', '1m', D0, D0 + 3 * DAY)).toEqual({ n: 4_320, distinct: 4_320 });
    expect((await count('binance', 'BTC-USDT', '1h', D0, D0 + 3 * DAY)).n).toBe(72);
    expect((await count('binance', 'BTC-USDT', '1d', D0, D0 + 3 * DAY)).n).toBe(3);
    const last = progress[progress.length - 1];
    expect(last?.status).toBe('done');
    expect(last?.progressBp).toBe(10_000);
    // Progress only goes up.
    const bp = progress.filter((p) => p.jobId === job.id).map((p) => p.progressBp);
    expect(bp).toEqual([...bp].sort((a, b) => a - b));

    // A roll-up equals the stored 1m candles it covers.
    const hour = await queries.closedCandlesAscending({
      venue: 'binance',
      symbol: 'BTC-USDT',
      interval: '1h',
      fromMs: D0 + HOUR,
      toMs: D0 + 2 * HOUR,
    });
    const minutes = await queries.closedCandlesAscending({
      venue: 'binance',
      symbol: 'BTC-USDT',
      interval: '1m',
      fromMs: D0 + HOUR,
      toMs: D0 + 2 * HOUR,
    });
    expect(minutes).toHaveLength(60);
    expect(hour[0]?.open).toBe(minutes[0]?.open);
    expect(hour[0]?.close).toBe(minutes[59]?.close);
    expect(hour[0]?.tradeCount).toBe(minutes.reduce((n, k) => n + k.tradeCount, 0));

    // Running the same range again stores nothing twice (same deterministic history, idempotent upsert).
    const again = await store.create({
      venue: 'binance',
      symbol: 'BTC-USDT',
      interval: '1m',
      fromMs: D0,
      toMs: D0 + DAY,
      createdBy: 'system',
    });
    const r2 = runner();
    r2.start();
    await until(again.id, 'done');
    await r2.stop();
    expect(await count('binance', 'BTC-USDT', '1m', D0, D0 + 3 * DAY)).toEqual({ n: 4_320, distinct: 4_320 });
  }, 120_000);

  it('does not let a backfilled candle overwrite a live one with more trades', async () => {
    const t = D0 + 10 * DAY + 7 * MIN;
    const live: Kline = {
      venue: 'bybit',
      symbol: 'ETH-USDT',
      interval: '1m',
      openTime: t,
      closeTime: t + MIN - 1,
      open: '1',
      high: '2',
      low: '0.5',
      close: '1.5',
      baseVolume: '123.45',
      quoteVolume: '185.175',
      takerBuyBaseVolume: '60',
      tradeCount: 5_000,
      closed: true,
    };
    await writer.writeKlines([live]);
    const job = await store.create({
      venue: 'bybit',
      symbol: 'ETH-USDT',
      interval: '1m',
      fromMs: D0 + 10 * DAY,
      toMs: D0 + 10 * DAY + HOUR,
      createdBy: 'system',
    });
    const r = runner();
    r.start();
    await until(job.id, 'done');
    await r.stop();
    const [kept] = await queries.closedCandlesAscending({
      venue: 'bybit',
      symbol: 'ETH-USDT',
      interval: '1m',
      fromMs: t,
      toMs: t + MIN,
    });
    expect(kept).toEqual(live);
    expect((await count('bybit', 'ETH-USDT', '1m', D0 + 10 * DAY, D0 + 10 * DAY + HOUR)).n).toBe(60);
  }, 60_000);

  it('resumes after the engine stops mid-job and after a crash left the job running', async () => {
    // OKX pages are 100 candles within 10 requests per 2 s: two days take ~6 s, time to stop midway.
    const from = D0 + 20 * DAY;
    const to = from + 2 * DAY;
    const job = await store.create({
      venue: 'okx',
      symbol: 'BTC-USDT',
      interval: '1m',
      fromMs: from,
      toMs: to,
      createdBy: 'system',
    });
    const a = runner();
    a.start();
    await waitFor(async () => ((await store.get(job.id))?.progressBp ?? 0) > 2_000, 30_000, '20 %');
    await a.stop();
    const paused = (await store.get(job.id)) as NonNullable<Awaited<ReturnType<BackfillStore['get']>>>;
    expect(paused.status).toBe('queued');
    expect(paused.progressBp).toBeLessThan(10_000);
    expect(paused.cursorMs).toBeGreaterThan(from);

    // A crash: the job stays `running` with a cursor, untouched; a runner takes it over once stale.
    await pool.query(
      `UPDATE backfill_jobs SET status = 'running', updated_at = now() - interval '1 hour' WHERE id = $1`,
      [job.id],
    );
    const b = runner({ staleMs: 60_000 });
    const resumedFrom: number[] = [];
    b.onProgress((p) => resumedFrom.push(p.cursorMs));
    b.start();
    const done = await until(job.id, 'done', 60_000);
    await b.stop();
    expect(done.progressBp).toBe(10_000);
    // It went on from the stored cursor, not from the start.
    expect(Math.min(...resumedFrom)).toBeGreaterThan(paused.cursorMs);
    expect(await count('okx', 'BTC-USDT', '1m', from, to)).toEqual({ n: 2_880, distinct: 2_880 });
  }, 90_000);

  it('reports stored and missing ranges (gaps and islands)', async () => {
    const base = D0 + 30 * DAY;
    const r = runner();
    r.start();
    const a = await store.create({
      venue: 'binance',
      symbol: 'ETH-USDT',
      interval: '1m',
      fromMs: base,
      toMs: base + 6 * HOUR,
      createdBy: 'system',
    });
    const b = await store.create({
      venue: 'binance',
      symbol: 'ETH-USDT',
      interval: '1m',
      fromMs: base + 8 * HOUR,
      toMs: base + 12 * HOUR,
      createdBy: 'system',
    });
    r.wake('binance');
    await until(a.id, 'done');
    await until(b.id, 'done');
    await r.stop();
    const c = await klineCoverage(pool, {
      venue: 'binance',
      symbol: 'ETH-USDT',
      interval: '1m',
      fromMs: base - HOUR,
      toMs: base + 12 * HOUR,
    });
    expect(c.stored).toEqual([
      { fromMs: base, toMs: base + 6 * HOUR, candles: 360 },
      { fromMs: base + 8 * HOUR, toMs: base + 12 * HOUR, candles: 240 },
    ]);
    expect(c.missing).toEqual([
      { fromMs: base - HOUR, toMs: base },
      { fromMs: base + 6 * HOUR, toMs: base + 8 * HOUR },
    ]);
    expect(c.storedCandles).toBe(600);
    expect(c.expectedCandles).toBe(13 * 60);
    const hours = await klineCoverage(pool, {
      venue: 'binance',
      symbol: 'ETH-USDT',
      interval: '1h',
      fromMs: base,
      toMs: base + 12 * HOUR,
    });
    expect(hours.missing).toEqual([{ fromMs: base + 6 * HOUR, toMs: base + 8 * HOUR }]);
  }, 60_000);
});
