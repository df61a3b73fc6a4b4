import { ManualClock } from '@qt/shared';
import type pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { withClient } from '../../src/testing/index.ts';
import { maintainPartitions, partitionsOf } from '../../src/timeseries/partitions.ts';
import { detectStorageMode } from '../../src/timeseries/storage-mode.ts';
import { klinesTable, tradesTable } from '../../src/timeseries/tables.ts';
import { MarketDataWriter } from '../../src/timeseries/writer.ts';
import { diffSchema } from '../schema-diff.ts';
import { loadDmmf } from '../schema-dmmf.ts';
import { DAY, DAY0, kline, timeSeriesDatabase, trade, trades } from './fixtures.ts';

// Time-series upkeep on whichever storage the server gave the migration: plain-PostgreSQL partitions
// (created ahead, dropped after retention, the default partition emptied), or TimescaleDB, where chunks
// come on insert and upkeep only brings the retention policies to the configured days. The suite is
// meant to be green on both kinds of server: the mode is detected once and each branch has its tests.
// DAY0 is Wednesday 2026-11-25; candle partitions are weeks starting on Monday.

const env = await timeSeriesDatabase();
const pool: pg.Pool = env.pool;
const mode = await detectStorageMode(pool);
const writer = new MarketDataWriter(pool);

afterAll(async () => {
  await env.close();
});

/** Which partition each stored row is in, by trade id. */
async function placement(): Promise<Record<string, string>> {
  const { rows } = await pool.query<{ part: string; trade_id: string }>(
    'SELECT tableoid::regclass::text AS part, trade_id FROM market_trades',
  );
  return Object.fromEntries(rows.map((r) => [r.trade_id, r.part]));
}

if (mode === 'native')
  describe('maintainPartitions on plain PostgreSQL', () => {
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
        retentionPoliciesSet: [],
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

/** The retention policies TimescaleDB has for the market tables: table -> drop_after. */
async function retentionPolicies(): Promise<Record<string, string>> {
  const { rows } = await pool.query<{ table: string; after: string }>(
    `SELECT hypertable_name AS table, (config->>'drop_after')::interval::text AS after
       FROM timescaledb_information.jobs WHERE proc_name = 'policy_retention' ORDER BY 1`,
  );
  return Object.fromEntries(rows.map((r) => [r.table, r.after]));
}

if (mode === 'timescale')
  describe('maintainPartitions on TimescaleDB: the configured retention drives the policies', () => {
    it('sets the retention policies to the configured days, once, and removes one for null', async () => {
      const clock = new ManualClock(DAY0);
      const days = (trades: number | null, klines: number | null) => ({
        clock,
        policy: { retentionDays: { market_trades: trades, market_klines: klines } },
      });
      const first = await maintainPartitions(pool, days(7, 730));
      expect(first).toMatchObject({ mode: 'timescale', created: [], dropped: [] });
      expect(first.retentionPoliciesSet).toEqual([
        'market_trades: 30 days -> 7 days',
        'market_klines: 365 days -> 730 days',
      ]);
      expect(await retentionPolicies()).toEqual({ market_klines: '730 days', market_trades: '7 days' });
      // The hourly run with the same settings changes nothing.
      expect((await maintainPartitions(pool, days(7, 730))).retentionPoliciesSet).toEqual([]);
      // null keeps everything: no policy.
      expect((await maintainPartitions(pool, days(7, null))).retentionPoliciesSet).toEqual([
        'market_klines: 730 days -> none',
      ]);
      expect(await retentionPolicies()).toEqual({ market_trades: '7 days' });
    });

    it('the continuous aggregates are gone (nothing read them; candles of every interval are stored)', async () => {
      const { rows } = await pool.query(
        "SELECT 1 FROM pg_class WHERE relname IN ('market_klines_1h_rollup', 'market_klines_1d_rollup')",
      );
      expect(rows).toEqual([]);
    });
  });

// Last: on the native path its upkeep run would create partitions the tests above count.
it(`upkeep reports the storage mode the tables are in (${mode})`, async () => {
  const { rows } = await pool.query<{ kind: string }>(
    "SELECT relkind::text AS kind FROM pg_class WHERE oid = 'market_trades'::regclass",
  );
  expect(rows[0]?.kind).toBe(mode === 'native' ? 'p' : 'r');
  const report = await maintainPartitions(pool, { clock: new ManualClock(DAY0), policy: { premakeDays: 0 } });
  expect(report.mode).toBe(mode);
});
