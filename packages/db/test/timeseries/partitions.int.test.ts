import { ManualClock } from '@qt/shared';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withClient } from '../../src/testing/index.ts';
import { maintainPartitions, partitionsOf } from '../../src/timeseries/partitions.ts';
import { detectStorageMode } from '../../src/timeseries/storage-mode.ts';
import { klinesTable, tradesTable } from '../../src/timeseries/tables.ts';
import { MarketDataWriter } from '../../src/timeseries/writer.ts';
import { diffSchema } from '../schema-diff.ts';
import { loadDmmf } from '../schema-dmmf.ts';
import { DAY, DAY0, kline, timeSeriesDatabase, trade, trades } from './fixtures.ts';

// Plain-PostgreSQL partition upkeep (the path this machine has; TimescaleDB does it with policies).
// DAY0 is Wednesday 2026-11-25; candle partitions are weeks starting on Monday.

let env: Awaited<ReturnType<typeof timeSeriesDatabase>>;
let pool: pg.Pool;
let writer: MarketDataWriter;

beforeAll(async () => {
  env = await timeSeriesDatabase();
  pool = env.pool;
  writer = new MarketDataWriter(pool);
});
afterAll(async () => {
  await env?.close();
});

/** Which partition each stored row is in, by trade id. */
async function placement(): Promise<Record<string, string>> {
  const { rows } = await pool.query<{ part: string; trade_id: string }>(
    'SELECT tableoid::regclass::text AS part, trade_id FROM market_trades',
  );
  return Object.fromEntries(rows.map((r) => [r.trade_id, r.part]));
}

describe('maintainPartitions on plain PostgreSQL', () => {
  it('reports the native path', async () => {
    expect(await detectStorageMode(pool)).toBe('native');
  });

  it('creates partitions from yesterday to today + N days, and moves rows caught by the default partition', async () => {
    // Written before any upkeep ran: they land in the default partitions.
    await writer.writeTrades([trade(1), trade(2, { exchangeTime: DAY0 + DAY + 5 })]);
    await writer.writeKlines([kline(DAY0)]);
    expect(Object.values(await placement())).toEqual(['market_trades_default', 'market_trades_default']);

    const report = await maintainPartitions(pool, {
      clock: new ManualClock(DAY0 + 3_600_000),
      policy: { premakeDays: 2 },
    });
    expect(report).toEqual({
      mode: 'native',
      created: [
        'market_trades_p20261124',
        'market_trades_p20261125',
        'market_trades_p20261126',
        'market_trades_p20261127',
        'market_klines_p20261123',
      ],
      dropped: [],
      movedFromDefault: 3,
      purgedFromDefault: 0,
    });
    expect(await placement()).toEqual({
      [trade(1).tradeId]: 'market_trades_p20261125',
      [trade(2).tradeId]: 'market_trades_p20261126',
    });
    // Running again changes nothing.
    const again = await maintainPartitions(pool, {
      clock: new ManualClock(DAY0 + 3_600_000),
      policy: { premakeDays: 2 },
    });
    expect(again).toMatchObject({ created: [], dropped: [], movedFromDefault: 0 });
  });

  it('routes new rows to their day partition, and rows beyond the horizon to the default one', async () => {
    await writer.writeTrades([
      trade(10, { exchangeTime: DAY0 - DAY + 1 }),
      trade(11, { exchangeTime: DAY0 + 2 * DAY + DAY - 1 }),
      trade(12, { exchangeTime: DAY0 + 40 * DAY }),
    ]);
    const where = await placement();
    expect(where[trade(10).tradeId]).toBe('market_trades_p20261124');
    expect(where[trade(11).tradeId]).toBe('market_trades_p20261127');
    expect(where[trade(12).tradeId]).toBe('market_trades_default');
  });

  it('drops partitions past retention and purges old rows from the default partition', async () => {
    // A backfill of an old day (inside retention at that time) gets its own partition...
    await writer.writeTrades(trades(3, 100, { exchangeTime: DAY0 - 20 * DAY }));
    const backfill = await maintainPartitions(pool, {
      clock: new ManualClock(DAY0),
      policy: { premakeDays: 2 },
    });
    expect(backfill.created).toEqual(['market_trades_p20261105']);
    expect(backfill.movedFromDefault).toBe(3);
    // ...a row older than retention sits in the default partition until upkeep purges it.
    await writer.writeTrades([trade(200, { exchangeTime: DAY0 - 400 * DAY })]);

    // 31 days later: retention (30 days) has passed for everything up to 2026-11-25.
    const later = DAY0 + 31 * DAY;
    const report = await maintainPartitions(pool, {
      clock: new ManualClock(later),
      policy: { premakeDays: 2 },
    });
    expect(report.dropped).toEqual([
      'market_trades_p20261105',
      'market_trades_p20261124',
      'market_trades_p20261125',
    ]);
    expect(report.purgedFromDefault).toBe(1);
    const left = (await partitionsOf(pool, tradesTable)).filter((p) => p !== 'market_trades_default');
    expect(left[0]).toBe('market_trades_p20261126');
    expect(left.at(-1)).toBe('market_trades_p20261228'); // later + 2 days
    // Candles keep 365 days: their week partition stays.
    expect(await partitionsOf(pool, klinesTable)).toContain('market_klines_p20261123');
    const ids = Object.keys(await placement());
    expect(ids).not.toContain(trade(1).tradeId);
    expect(ids).not.toContain(trade(200).tradeId);
    expect(ids).toContain(trade(2).tradeId);
  });

  it('is safe to run from many processes at once', async () => {
    const clock = new ManualClock(DAY0 + 100 * DAY);
    const reports = await Promise.all(
      Array.from({ length: 5 }, () => maintainPartitions(pool, { clock, policy: { premakeDays: 3 } })),
    );
    const created = reports.flatMap((r) => r.created);
    expect(new Set(created).size).toBe(created.length); // each partition created exactly once
    expect(created).toContain('market_trades_p20270308');
    expect(created.filter((n) => n.startsWith('market_trades_'))).toHaveLength(5);
  });

  it('runtime partitions do not count as schema drift (schema.prisma still agrees)', async () => {
    expect((await partitionsOf(pool, tradesTable)).length).toBeGreaterThan(3);
    const problems = await withClient(env.db.url, (c) => diffSchema(c, loadDmmf()));
    expect(problems).toEqual([]);
  });
});
