import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MarketDataQueries } from '../../src/timeseries/queries.ts';
import { MarketDataWriter } from '../../src/timeseries/writer.ts';
import { DAY0, kline, timeSeriesDatabase, trade, trades } from './fixtures.ts';

// The writer and the queries against real PostgreSQL, on either storage mode (native partitions, where
// the rows land in the default partitions here, or TimescaleDB hypertables). Partition routing has its
// own file; the plans of the real paging queries are in queries-plan.int.test.ts.

let env: Awaited<ReturnType<typeof timeSeriesDatabase>>;
let pool: pg.Pool;
let writer: MarketDataWriter;
let queries: MarketDataQueries;

beforeAll(async () => {
  env = await timeSeriesDatabase(8);
  pool = env.pool;
  writer = new MarketDataWriter(pool);
  queries = new MarketDataQueries(pool);
});
afterAll(async () => {
  await env?.close();
});
beforeEach(async () => {
  await pool.query('TRUNCATE market_trades, market_klines');
});

const count = async (table = 'market_trades') =>
  Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]?.n);

describe('MarketDataWriter.writeTrades', () => {
  it('stores every field exactly, 38-digit decimals included, and reads them back as written', async () => {
    const exact = [
      trade(1, { price: '12345678901234567890.123456789012345678', quantity: '0.000000000000000001' }),
      trade(2, {
        price: '99999999999999999999999999999.999999999',
        quantity: '123456789012345678901234567890',
      }),
      trade(3, {
        tradeId: 'id\twith\\odd\nchars',
        venueSymbol: 'BTC\\USDT',
        exchangeTime: 1,
        receiveTime: 2,
      }),
      trade(4, { exchangeTime: 253_402_300_799_999, receiveTime: 253_402_300_799_999 }), // 9999-12-31T23:59:59.999Z
    ];
    expect(await writer.writeTrades(exact)).toEqual({ inserted: 4, duplicates: 0 });
    for (const t of exact) {
      const page = await queries.recentTrades(t.venue, t.symbol, {
        limit: 1,
        before: { exchangeTime: t.exchangeTime + 1, tradeId: '' },
      });
      expect(page.trades).toEqual([t]);
    }
  });

  it('returns decimals in canonical form: no trailing fractional zeros, no exponent, no sign on zero', async () => {
    const cases: [string, string][] = [
      ['64000.12000000', '64000.12'],
      ['100.000', '100'],
      ['100', '100'],
      ['0.00000000', '0'],
      ['-0', '0'],
      ['007.50', '7.5'],
      ['-1.10', '-1.1'],
    ];
    await writer.writeTrades(cases.map(([price], i) => trade(i, { price })));
    const { trades: read } = await queries.recentTrades('binance', 'BTC-USDT', { limit: 100 });
    const byId = new Map(read.map((t) => [t.tradeId, t.price]));
    for (const [i, [, canonical]] of cases.entries()) expect(byId.get(trade(i).tradeId)).toBe(canonical);
  });

  it('a retried batch adds nothing: the same batch twice, and a batch overlapping a stored one', async () => {
    const batch = trades(2_000);
    expect(await writer.writeTrades(batch)).toEqual({ inserted: 2_000, duplicates: 0 });
    expect(await writer.writeTrades(batch)).toEqual({ inserted: 0, duplicates: 2_000 });
    expect(await writer.writeTrades(trades(1_000, 1_500))).toEqual({ inserted: 500, duplicates: 500 });
    // Repeats inside one batch count as duplicates too.
    expect(await writer.writeTrades([trade(9_000), trade(9_000), trade(9_001)])).toEqual({
      inserted: 2,
      duplicates: 1,
    });
    expect(await count()).toBe(2_502);
  });

  it('a batch that fails on its last row leaves none of its rows (constraint violation)', async () => {
    const batch = [...trades(5_000), trade(5_000, { takerSide: 'hold' as 'buy' })];
    await expect(writer.writeTrades(batch)).rejects.toThrow(/market_trades_taker_side_check/);
    expect(await count()).toBe(0);
    // The pool and its staging tables are fine afterwards, and the good rows go in on retry.
    expect(await writer.writeTrades(batch.slice(0, -1))).toEqual({ inserted: 5_000, duplicates: 0 });
  });

  it('a batch that fails mid-insert, after rows were written, leaves none of them (forced error)', async () => {
    // A trigger that raises on one trade: every row before it was already inserted by the same statement.
    await pool.query(`
      CREATE FUNCTION qt_test_poison() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.trade_id = 'poison' THEN RAISE EXCEPTION 'poisoned batch'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER qt_test_poison AFTER INSERT ON market_trades FOR EACH ROW EXECUTE FUNCTION qt_test_poison();`);
    try {
      await writer.writeTrades(trades(100, 0, { symbol: 'ETH-USDT' }));
      const batch = [...trades(3_000), trade(3_000, { tradeId: 'poison' }), ...trades(3_000, 3_001)];
      await expect(writer.writeTrades(batch)).rejects.toThrow(/poisoned batch/);
      expect(await count()).toBe(100);
    } finally {
      await pool.query('DROP TRIGGER qt_test_poison ON market_trades; DROP FUNCTION qt_test_poison()');
    }
  });

  it('a batch with a malformed decimal fails in COPY and leaves nothing', async () => {
    await expect(writer.writeTrades([...trades(10), trade(10, { price: '1,5' })])).rejects.toThrow(/numeric/);
    expect(await count()).toBe(0);
  });

  it('a connection killed mid-batch loses the whole batch, and the pool recovers', async () => {
    const victim = await pool.connect();
    const { rows } = await victim.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    victim.release();
    // The pool hands the same idle connection out next; kill it while its COPY is running.
    const write = writer.writeTrades(trades(50_000));
    await pool.query('SELECT pg_terminate_backend($1)', [rows[0]?.pid]);
    await write.then(
      () => {},
      () => {},
    );
    const n = await count();
    expect([0, 50_000]).toContain(n); // either it committed before the kill, or nothing of it is there
    expect(await writer.writeTrades(trades(50_000))).toEqual({ inserted: 50_000 - n, duplicates: n });
  });

  it('concurrent writers with overlapping batches store each trade exactly once', async () => {
    // Six writers, each batch overlapping its neighbours by half, interleaved symbols.
    const batches = Array.from({ length: 6 }, (_, w) => [
      ...trades(4_000, w * 2_000),
      ...trades(1_000, w * 500, { symbol: 'ETH-USDT', venueSymbol: 'ETHUSDT' }),
    ]);
    const results = await Promise.all(batches.map((b) => writer.writeTrades(b)));
    const distinctBtc = 5 * 2_000 + 4_000;
    const distinctEth = 5 * 500 + 1_000;
    expect(results.reduce((s, r) => s + r.inserted, 0)).toBe(distinctBtc + distinctEth);
    expect(results.reduce((s, r) => s + r.inserted + r.duplicates, 0)).toBe(6 * 5_000);
    expect(await count()).toBe(distinctBtc + distinctEth);
  });
});

describe('MarketDataWriter.writeKlines', () => {
  it('inserts candles, then a late-trade correction updates the stored candle', async () => {
    const t0 = DAY0 + 60_000;
    expect(await writer.writeKlines([kline(t0), kline(t0 + 60_000)])).toEqual({ written: 2, unchanged: 0 });
    const corrected = kline(t0, { high: '64100.000', close: '64099.5', baseVolume: '13.0', tradeCount: 43 });
    expect(await writer.writeKlines([corrected])).toEqual({ written: 1, unchanged: 0 });
    const { candles } = await queries.candles({ venue: 'binance', symbol: 'BTC-USDT', interval: '1m' });
    expect(candles).toEqual([{ ...corrected, high: '64100', baseVolume: '13' }, kline(t0 + 60_000)]);
  });

  it('an older version redelivered after its correction, or an open update after the close, changes nothing', async () => {
    const t0 = DAY0;
    const open = kline(t0, { closed: false, tradeCount: 40, close: '1' });
    const closed = kline(t0, { tradeCount: 42 });
    const corrected = kline(t0, { tradeCount: 43, close: '2' });
    await writer.writeKlines([open]);
    expect(await writer.writeKlines([closed])).toEqual({ written: 1, unchanged: 0 });
    expect(await writer.writeKlines([corrected])).toEqual({ written: 1, unchanged: 0 });
    expect(await writer.writeKlines([closed, open])).toEqual({ written: 0, unchanged: 2 });
    const { candles } = await queries.candles({ venue: 'binance', symbol: 'BTC-USDT', interval: '1m' });
    expect(candles).toEqual([corrected]);
  });

  it('the last version of a candle in one batch wins', async () => {
    const a = kline(DAY0, { closed: false, tradeCount: 1, close: '1' });
    const b = kline(DAY0, { closed: false, tradeCount: 2, close: '2' });
    expect(await writer.writeKlines([a, b])).toEqual({ written: 1, unchanged: 1 });
    const { candles } = await queries.candles({ venue: 'binance', symbol: 'BTC-USDT', interval: '1m' });
    expect(candles).toEqual([b]);
  });
});

describe('MarketDataQueries', () => {
  it('pages candles back with the before cursor, inside [fromMs, toMs), oldest first per page', async () => {
    const all = Array.from({ length: 25 }, (_, i) => kline(DAY0 + i * 60_000, { close: `${i}` }));
    await writer.writeKlines([...all, kline(DAY0, { interval: '5m', closeTime: DAY0 + 299_999 })]);
    const base = { venue: 'binance', symbol: 'BTC-USDT', interval: '1m' as const };
    const pages: number[][] = [];
    let before: number | undefined;
    for (;;) {
      const page = await queries.candles({
        ...base,
        fromMs: DAY0 + 2 * 60_000,
        toMs: DAY0 + 22 * 60_000,
        limit: 7,
        ...(before === undefined ? {} : { before }),
      });
      pages.push(page.candles.map((c) => (c.openTime - DAY0) / 60_000));
      if (page.nextBefore === null) break;
      before = page.nextBefore;
    }
    expect(pages).toEqual([
      [15, 16, 17, 18, 19, 20, 21],
      [8, 9, 10, 11, 12, 13, 14],
      [2, 3, 4, 5, 6, 7],
    ]);
    const exact = await queries.candles({ ...base, limit: 25 });
    expect(exact).toEqual({ candles: all, nextBefore: null });
  });

  it('pages recent trades newest first, ties on exchange time broken by trade id', async () => {
    const sameMs = trades(5, 0, { exchangeTime: DAY0 }).map((t, i) => ({ ...t, tradeId: `t${i}` }));
    await writer.writeTrades([...trades(10, 100), ...sameMs]);
    const seen: string[] = [];
    let before: { exchangeTime: number; tradeId: string } | undefined;
    let pages = 0;
    for (;;) {
      const page = await queries.recentTrades('binance', 'BTC-USDT', {
        limit: 4,
        ...(before ? { before } : {}),
      });
      pages++;
      seen.push(...page.trades.map((t) => t.tradeId));
      if (!page.next) break;
      before = page.next;
    }
    expect(pages).toBe(4);
    expect(seen).toEqual([
      ...trades(10, 100)
        .map((t) => t.tradeId)
        .reverse(),
      't4',
      't3',
      't2',
      't1',
      't0',
    ]);
  });

  it('lists every (venue, symbol) with trades or candles', async () => {
    await writer.writeTrades([trade(1), trade(2, { venue: 'okx', symbol: 'ETH-USDT' })]);
    await writer.writeKlines([kline(DAY0, { venue: 'bybit', symbol: 'SOL-USDT' }), kline(DAY0)]);
    expect(await queries.series()).toEqual([
      { venue: 'binance', symbol: 'BTC-USDT' },
      { venue: 'bybit', symbol: 'SOL-USDT' },
      { venue: 'okx', symbol: 'ETH-USDT' },
    ]);
  });
});
