import { createPgPool, MarketDataQueries, MarketDataWriter } from '@qt/db';
import { createTestDatabase, type TestDatabase } from '@qt/db/testing';
import { type ExchangeSim, startExchangeSim } from '@qt/exchange-sim';
import {
  type BinanceArchiveCandleSource,
  binanceArchiveCandleHistory,
  type CandleHistorySource,
  candleHistorySource,
  createBinanceAdapter,
} from '@qt/market-data';
import { canonicalDecimal, type Kline } from '@qt/shared';
import type pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackfillRunner } from '../../src/market/backfill/backfill-runner.ts';
import { BackfillStore } from '../../src/market/backfill/backfill-store.ts';
import { withBinanceArchive } from '../../src/market/backfill/binance-archive-source.ts';
import { waitFor } from '../bus/bus-contract.ts';

const MIN = 60_000;
const DAY = 86_400_000;

const monthStart = (ms: number) => {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
};

/** The fields a candle is compared on, decimals canonical (storage may print another scale). */
function canon(k: Kline) {
  return {
    openTime: k.openTime,
    closeTime: k.closeTime,
    open: canonicalDecimal(k.open),
    high: canonicalDecimal(k.high),
    low: canonicalDecimal(k.low),
    close: canonicalDecimal(k.close),
    baseVolume: canonicalDecimal(k.baseVolume),
    quoteVolume: canonicalDecimal(k.quoteVolume),
    takerBuyBaseVolume: canonicalDecimal(k.takerBuyBaseVolume),
    tradeCount: k.tradeCount,
  };
}

/**
 * Binance candle backfills through the public archive served by the simulator (its real HTTP server,
 * zips built from the same candles as its klines REST, real SHA-256 CHECKSUM files) into a real
 * PostgreSQL, against the REST-only path.
 */
describe('binance archive backfill', () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let sim: ExchangeSim;
  let store: BackfillStore;
  let writer: MarketDataWriter;
  let queries: MarketDataQueries;
  const logger = pino({ level: 'silent' });
  const adapter = createBinanceAdapter();

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

  const binanceBase = () => {
    const urls = sim.urls[0];
    if (!urls) throw new Error('no simulator endpoint');
    return urls.binance.rest;
  };
  /** `fetch` with a round trip added to every request (both paths alike), as over the internet. */
  const slowFetch =
    (ms: number): typeof fetch =>
    async (input, init) => {
      await new Promise((r) => setTimeout(r, ms));
      return fetch(input, init);
    };
  const rest = (f?: typeof fetch): CandleHistorySource =>
    candleHistorySource(adapter, [binanceBase()], f ? { fetch: f } : {});
  const archive = (f?: typeof fetch) =>
    f
      ? binanceArchiveCandleHistory({ baseUrl: binanceBase(), rest: rest(f), adapter, fetch: f })
      : (withBinanceArchive(adapter, rest(), binanceBase(), logger) as BinanceArchiveCandleSource);

  function runner(source: CandleHistorySource): BackfillRunner {
    return new BackfillRunner(
      {
        store,
        sources: new Map([['binance', source]]),
        writeKlines: (k) => writer.writeKlines(k),
        stored1m: (venue, symbol, fromMs, toMs) =>
          queries.closedCandlesAscending({ venue, symbol, interval: '1m', fromMs, toMs, limit: 50_000 }),
        logger,
      },
      { pollMs: 100, retryBaseMs: 50 },
    );
  }

  async function backfill(source: CandleHistorySource, symbol: string, fromMs: number, toMs: number) {
    const job = await store.create({
      venue: 'binance',
      symbol,
      interval: '1m',
      fromMs,
      toMs,
      createdBy: 'system',
    });
    const r = runner(source);
    const started = performance.now();
    r.start();
    try {
      await waitFor(
        async () => ['done', 'failed'].includes((await store.get(job.id))?.status ?? ''),
        600_000,
        'job ended',
      );
    } finally {
      await r.stop();
    }
    const done = await store.get(job.id);
    return { done, ms: performance.now() - started };
  }

  async function count(symbol: string, fromMs: number, toMs: number) {
    const { rows } = await pool.query<{ n: string; d: string }>(
      `SELECT count(*) AS n, count(DISTINCT open_time) AS d FROM market_klines
        WHERE venue = 'binance' AND symbol = $1 AND "interval" = '1m'
          AND open_time >= to_timestamp($2 / 1000.0) AND open_time < to_timestamp($3 / 1000.0)`,
      [symbol, fromMs, toMs],
    );
    return { n: Number(rows[0]?.n), distinct: Number(rows[0]?.d) };
  }

  async function stored(symbol: string, fromMs: number, toMs: number): Promise<Kline[]> {
    return queries.closedCandlesAscending({
      venue: 'binance',
      symbol,
      interval: '1m',
      fromMs,
      toMs,
      limit: 50_000,
    });
  }

  it('40 days: the archive stores the candles REST answers, with a fraction of the REST calls', async () => {
    // The month before last from its first day: that whole month from one monthly zip, then daily zips,
    // then REST for the last 2 days. Always in the past, whatever the date the test runs on.
    const from = monthStart(monthStart(monthStart(Date.now()) - 1) - 1);
    const to = from + 40 * DAY;

    // Fetching alone (no database): the archive source against the REST source, same range.
    const fetchAll = async (src: CandleHistorySource) => {
      const t0 = performance.now();
      let n = 0;
      for (let at = from; at < to; ) {
        const page = await src.fetchPage('ETH-USDT', at, to);
        n += page.candles.length;
        at = page.nextFrom;
      }
      return { n, ms: performance.now() - t0 };
    };
    const restFetch = await fetchAll(rest());
    const archiveFetch = await fetchAll(archive());
    expect(archiveFetch.n).toBe(40 * 1_440);
    expect(restFetch.n).toBe(40 * 1_440);
    // In process the archive only adds CPU (deflate, inflate, SHA-256); its gain is on the wire: 2 requests
    // a file instead of one per 1,000 candles. Measured with 100 ms added to every request, both paths.
    const restWan = await fetchAll(rest(slowFetch(100)));
    const archiveWan = await fetchAll(archive(slowFetch(100)));

    const statsBefore = sim.stats();
    const viaArchive = archive();
    const a = await backfill(viaArchive, 'BTC-USDT', from, to);
    const statsAfter = sim.stats();
    const b = await backfill(rest(), 'ETH-USDT', from, to);
    console.info(
      `binance archive, 40 days of 1m candles: fetch only ${Math.round(archiveFetch.ms)} ms (REST ${Math.round(restFetch.ms)} ms); ` +
        `with 100 ms a request ${Math.round(archiveWan.ms)} ms (REST ${Math.round(restWan.ms)} ms); ` +
        `backfill job ${Math.round(a.ms)} ms (REST-only job ${Math.round(b.ms)} ms); ` +
        `${viaArchive.stats.files} files, ${(statsAfter.historyRequests.binance ?? 0) - (statsBefore.historyRequests.binance ?? 0)} REST calls (REST-only: ~58)`,
    );

    expect(a.done?.status).toBe('done');
    expect(a.done?.candlesWritten).toBe(40 * 1_440);
    expect(b.done?.status).toBe('done');
    // One monthly zip for the whole month, daily zips up to the last 2 days, which went to REST.
    const monthDays = Math.round((monthStart(from + 32 * DAY) - from) / DAY);
    expect(statsAfter.archive.zips - statsBefore.archive.zips).toBe(1 + (40 - monthDays - 2));
    expect(viaArchive.stats.files).toBe(1 + (40 - monthDays - 2));
    expect(viaArchive.stats.archiveCandles).toBe((40 - 2) * 1_440);
    expect(Object.values(viaArchive.stats.fallbacks).reduce((s, n) => s + n, 0)).toBe(0);
    const restCalls = (statsAfter.historyRequests.binance ?? 0) - (statsBefore.historyRequests.binance ?? 0);
    expect(restCalls).toBeGreaterThanOrEqual(3);
    expect(restCalls).toBeLessThanOrEqual(4);

    expect(await count('BTC-USDT', from, to)).toEqual({ n: 40 * 1_440, distinct: 40 * 1_440 });
    // Samples of 1,000 minutes: the month's start, its middle, a daily file, the REST tail; each equal to
    // what the klines REST route answers for the same minutes.
    const src = rest();
    for (const at of [from, from + 15 * DAY + 333 * MIN, to - 5 * DAY, to - DAY - 500 * MIN]) {
      const page = await src.fetchPage('BTC-USDT', at, at + 1_000 * MIN);
      expect(page.candles).toHaveLength(1_000);
      const mine = await stored('BTC-USDT', at, at + 1_000 * MIN);
      expect(mine.map(canon)).toEqual(page.candles.map(canon));
    }
    // And the archive pages themselves are REST's exact strings (before storage).
    const day = from + 3 * DAY;
    const archived = await archive().fetchPage('BTC-USDT', day, to);
    const byRest = await rest().fetchPage('BTC-USDT', day, day + 1_000 * MIN);
    expect(archived.candles.slice(0, 1_000)).toEqual(byRest.candles);
    // Roll-ups were made from the archive's candles as from REST's.
    const days = await queries.closedCandlesAscending({
      venue: 'binance',
      symbol: 'BTC-USDT',
      interval: '1d',
      fromMs: from,
      toMs: to,
    });
    expect(days).toHaveLength(40);
  }, 900_000);

  it('a corrupted CHECKSUM sends that day to REST; the job stores every candle once', async () => {
    const today = Math.floor(Date.now() / DAY) * DAY;
    const from = today - 10 * DAY;
    const to = from + 6 * DAY;
    const before = sim.stats();
    sim.faults.corruptArchiveChecksum(1);
    const viaArchive = archive();
    const { done } = await backfill(viaArchive, 'ETH-USDT', from, to);
    const after = sim.stats();
    expect(done?.status).toBe('done');
    expect(done?.candlesWritten).toBe(6 * 1_440);
    expect(viaArchive.stats.fallbacks['checksum-mismatch']).toBe(1);
    // Days 2-4 from files (day 1's file refused; days 5-6 are the last 2 days: REST).
    expect(viaArchive.stats.files).toBe(3);
    expect(after.archive.checksums - before.archive.checksums).toBe(4);
    // By REST: day 1 (2 pages, cut at the day's end) and days 5-6 (2,880 minutes: 3 pages of up to 1,000).
    expect((after.historyRequests.binance ?? 0) - (before.historyRequests.binance ?? 0)).toBe(5);
    expect(await count('ETH-USDT', from, to)).toEqual({ n: 6 * 1_440, distinct: 6 * 1_440 });
    const firstDay = await stored('ETH-USDT', from, from + 1_000 * MIN);
    const byRest = await rest().fetchPage('ETH-USDT', from, from + 1_000 * MIN);
    expect(firstDay.map(canon)).toEqual(byRest.candles.map(canon));
  }, 300_000);
});
