import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { defaultMigrationsDir } from '../../src/migrate/read-migrations.ts';
import { withClient, withDatabase } from '../../src/testing/index.ts';
import { applyTimescaleRetention } from '../../src/timeseries/partitions.ts';

// This machine has no TimescaleDB, so the migration's TimescaleDB branch cannot run for real here. What
// this file does verify: with the branch forced on and TimescaleDB's functions stubbed (same names and
// named parameters as the TimescaleDB 2.x API reference), every statement of the branch parses and
// plans against the real tables (columns, types, GROUP BY of the rollups, compression column lists),
// in one transaction, and calls the API with the intended arguments. What it cannot verify: that
// TimescaleDB accepts these calls (its own validation of hypertables, compression, policies, continuous
// aggregates); that runs on a TimescaleDB server (see src/timeseries/README.md).

const migration = readFileSync(
  join(defaultMigrationsDir, '20261125000000_market_data', 'migration.sql'),
  'utf8',
);
// Drops the continuous aggregates (IF EXISTS: the same statements on both paths).
const dropRollups = readFileSync(
  join(defaultMigrationsDir, '20261207000800_timeseries_retention', 'migration.sql'),
  'utf8',
);
const adminUrl = inject('qtDbAdminUrl');
const created: string[] = [];

afterAll(async () => {
  await withClient(adminUrl, async (c) => {
    for (const name of created) await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  });
});

const stubs = `
CREATE TABLE ts_calls (seq serial, fn text, args jsonb);
CREATE FUNCTION by_range(column_name name, partition_interval interval) RETURNS jsonb LANGUAGE sql
  AS $$ SELECT jsonb_build_object('column', column_name, 'interval', partition_interval::text) $$;
CREATE FUNCTION create_hypertable(relation regclass, dimension jsonb, if_not_exists boolean DEFAULT false,
    create_default_indexes boolean DEFAULT true, migrate_data boolean DEFAULT false) RETURNS void LANGUAGE sql
  AS $$ INSERT INTO ts_calls (fn, args) VALUES ('create_hypertable',
    jsonb_build_object('relation', relation::text, 'dimension', dimension, 'default_indexes', create_default_indexes)) $$;
CREATE FUNCTION create_hypertable(relation regclass, time_column_name name, partitioning_column name DEFAULT NULL,
    number_partitions integer DEFAULT NULL, associated_schema_name name DEFAULT NULL,
    associated_table_prefix name DEFAULT NULL, chunk_time_interval interval DEFAULT NULL,
    create_default_indexes boolean DEFAULT true) RETURNS void LANGUAGE sql
  AS $$ INSERT INTO ts_calls (fn, args) VALUES ('create_hypertable(legacy)',
    jsonb_build_object('relation', relation::text, 'column', time_column_name,
      'interval', chunk_time_interval::text, 'default_indexes', create_default_indexes)) $$;
-- Stands in for ALTER TABLE ... SET (timescaledb.compress, ...): the column lists must name real columns.
CREATE FUNCTION qt_stub_compress(relation regclass, segmentby text, orderby text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('SELECT %s FROM %s ORDER BY %s LIMIT 0', segmentby, relation, orderby);
  INSERT INTO ts_calls (fn, args) VALUES ('compress',
    jsonb_build_object('relation', relation::text, 'segmentby', segmentby, 'orderby', orderby));
END $$;
CREATE FUNCTION add_compression_policy(hypertable regclass, compress_after interval,
    if_not_exists boolean DEFAULT false) RETURNS integer LANGUAGE sql
  AS $$ INSERT INTO ts_calls (fn, args) VALUES ('add_compression_policy',
    jsonb_build_object('relation', hypertable::text, 'after', compress_after::text)) RETURNING seq $$;
CREATE FUNCTION add_retention_policy(relation regclass, drop_after interval,
    if_not_exists boolean DEFAULT false) RETURNS integer LANGUAGE sql
  AS $$ INSERT INTO ts_calls (fn, args) VALUES ('add_retention_policy',
    jsonb_build_object('relation', relation::text, 'after', drop_after::text)) RETURNING seq $$;
CREATE FUNCTION add_continuous_aggregate_policy(continuous_aggregate regclass, start_offset interval,
    end_offset interval, schedule_interval interval, if_not_exists boolean DEFAULT false) RETURNS integer
  LANGUAGE sql AS $$ INSERT INTO ts_calls (fn, args) VALUES ('add_continuous_aggregate_policy',
    jsonb_build_object('view', continuous_aggregate::text, 'start', start_offset::text, 'end', end_offset::text,
      'every', schedule_interval::text)) RETURNING seq $$;
CREATE FUNCTION time_bucket(bucket_width interval, ts timestamptz) RETURNS timestamptz LANGUAGE sql IMMUTABLE
  AS $$ SELECT date_bin(bucket_width, ts, timestamptz 'epoch') $$;
CREATE FUNCTION qt_first_sfunc(state anyelement, value anyelement, at timestamptz) RETURNS anyelement
  LANGUAGE sql IMMUTABLE AS $$ SELECT coalesce(state, value) $$;
CREATE FUNCTION qt_last_sfunc(state anyelement, value anyelement, at timestamptz) RETURNS anyelement
  LANGUAGE sql IMMUTABLE AS $$ SELECT value $$;
CREATE AGGREGATE first(anyelement, timestamptz) (sfunc = qt_first_sfunc, stype = anyelement);
CREATE AGGREGATE last(anyelement, timestamptz) (sfunc = qt_last_sfunc, stype = anyelement);
`;

/** The migration with its TimescaleDB branch forced on, for a given extension version. */
function forcedTimescaleBranch(version: string): string {
  const guard = `EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb')`;
  const versionQuery = `(SELECT extversion FROM pg_extension WHERE extname = 'timescaledb')`;
  const compress =
    /ALTER TABLE (\w+) SET \(\s*timescaledb\.compress,\s*timescaledb\.compress_segmentby = '([^']*)',\s*timescaledb\.compress_orderby = '([^']*)'\s*\);/g;
  const continuous = 'WITH (timescaledb.continuous, timescaledb.materialized_only = false)';
  const counts = {
    guard: migration.split(guard).length - 1,
    version: migration.split(versionQuery).length - 1,
    compress: [...migration.matchAll(compress)].length,
    continuous: migration.split(continuous).length - 1,
  };
  // The rewrite depends on the migration's wording: if that changes, this test must change with it.
  expect(counts).toEqual({ guard: 4, version: 1, compress: 2, continuous: 2 });
  return migration
    .replaceAll(guard, 'true')
    .replace(versionQuery, `'${version}'`)
    .replace(compress, (_, table, segmentby, orderby) => {
      const lit = (s: string) => `'${s.replaceAll("'", "''")}'`;
      return `PERFORM qt_stub_compress('${table}', ${lit(segmentby)}, ${lit(orderby)});`;
    })
    .replaceAll(continuous, '');
}

async function runForced(version: string) {
  const name = `${inject('qtDbRunPrefix')}_ts_${randomBytes(4).toString('hex')}`;
  await withClient(adminUrl, (c) => c.query(`CREATE DATABASE "${name}" TEMPLATE template0`));
  created.push(name);
  return withClient(withDatabase(adminUrl, name), async (c) => {
    await c.query('BEGIN');
    try {
      await c.query(stubs);
      await c.query(forcedTimescaleBranch(version));
      const before = (
        await c.query<{ relname: string }>(
          "SELECT relname FROM pg_class WHERE relkind = 'm' AND relname LIKE 'market_%' ORDER BY 1",
        )
      ).rows.map((r) => r.relname);
      await c.query(dropRollups);
      const calls = (
        await c.query<{ fn: string; args: unknown }>('SELECT fn, args FROM ts_calls ORDER BY seq')
      ).rows;
      const kinds = (
        await c.query<{ relname: string; relkind: string }>(
          `SELECT relname, relkind::text FROM pg_class
            WHERE relname LIKE 'market_%' AND relkind IN ('r', 'p', 'm') ORDER BY relname`,
        )
      ).rows;
      return { calls, kinds, rollupsBefore: before };
    } finally {
      await c.query('ROLLBACK');
    }
  });
}

describe('the market-data migration, TimescaleDB branch (stubbed: see the note at the top)', () => {
  it('with TimescaleDB >= 2.13: plain tables made hypertables with by_range, compression, policies, rollups', async () => {
    const { calls, kinds, rollupsBefore } = await runForced('2.17.2');
    // Created by the first migration, dropped by 20261207000800_timeseries_retention.
    expect(rollupsBefore).toEqual(['market_klines_1d_rollup', 'market_klines_1h_rollup']);
    expect(kinds).toEqual([
      { relname: 'market_klines', relkind: 'r' },
      { relname: 'market_trades', relkind: 'r' },
    ]);
    expect(calls).toEqual([
      {
        fn: 'create_hypertable',
        args: {
          relation: 'market_trades',
          dimension: { column: 'exchange_time', interval: '1 day' },
          default_indexes: false,
        },
      },
      {
        fn: 'create_hypertable',
        args: {
          relation: 'market_klines',
          dimension: { column: 'open_time', interval: '7 days' },
          default_indexes: false,
        },
      },
      {
        fn: 'compress',
        args: {
          relation: 'market_trades',
          segmentby: 'venue, symbol',
          orderby: 'exchange_time DESC, trade_id DESC',
        },
      },
      {
        fn: 'compress',
        args: {
          relation: 'market_klines',
          segmentby: 'venue, symbol, "interval"',
          orderby: 'open_time DESC',
        },
      },
      { fn: 'add_compression_policy', args: { relation: 'market_trades', after: '2 days' } },
      { fn: 'add_compression_policy', args: { relation: 'market_klines', after: '14 days' } },
      { fn: 'add_retention_policy', args: { relation: 'market_trades', after: '30 days' } },
      { fn: 'add_retention_policy', args: { relation: 'market_klines', after: '365 days' } },
      {
        fn: 'add_continuous_aggregate_policy',
        args: { view: 'market_klines_1h_rollup', start: '3 days', end: '01:00:00', every: '00:15:00' },
      },
      {
        fn: 'add_continuous_aggregate_policy',
        args: { view: 'market_klines_1d_rollup', start: '7 days', end: '1 day', every: '01:00:00' },
      },
    ]);
  });

  it('with TimescaleDB < 2.13: the legacy create_hypertable signature', async () => {
    const { calls } = await runForced('2.11.2');
    expect(calls.slice(0, 2)).toEqual([
      {
        fn: 'create_hypertable(legacy)',
        args: {
          relation: 'market_trades',
          column: 'exchange_time',
          interval: '1 day',
          default_indexes: false,
        },
      },
      {
        fn: 'create_hypertable(legacy)',
        args: { relation: 'market_klines', column: 'open_time', interval: '7 days', default_indexes: false },
      },
    ]);
  });
});

describe('applyTimescaleRetention (TimescaleDB jobs stubbed: see the note at the top)', () => {
  it("replaces the migration's 30 / 365-day policies with the configured days, once; null removes one", async () => {
    const name = `${inject('qtDbRunPrefix')}_tsr_${randomBytes(4).toString('hex')}`;
    await withClient(adminUrl, (c) => c.query(`CREATE DATABASE "${name}" TEMPLATE template0`));
    created.push(name);
    await withClient(withDatabase(adminUrl, name), async (c) => {
      await c.query(stubs);
      await c.query(forcedTimescaleBranch('2.17.2'));
      // The policies as timescaledb_information.jobs shows them, kept by stubbed add/remove functions.
      await c.query(`
        CREATE TABLE qt_retention (hypertable_name name PRIMARY KEY, drop_after interval NOT NULL);
        INSERT INTO qt_retention SELECT args->>'relation', (args->>'after')::interval
          FROM ts_calls WHERE fn = 'add_retention_policy';
        CREATE SCHEMA timescaledb_information;
        CREATE VIEW timescaledb_information.jobs AS
          SELECT 'policy_retention'::name AS proc_name, hypertable_name,
                 jsonb_build_object('drop_after', drop_after::text) AS config FROM qt_retention;
        CREATE OR REPLACE FUNCTION add_retention_policy(relation regclass, drop_after interval,
            if_not_exists boolean DEFAULT false) RETURNS integer LANGUAGE sql
          AS $$ INSERT INTO qt_retention VALUES (relation::text, drop_after) RETURNING 1 $$;
        CREATE FUNCTION remove_retention_policy(relation regclass, if_exists boolean DEFAULT false)
          RETURNS void LANGUAGE sql AS $$ DELETE FROM qt_retention WHERE hypertable_name = relation::text $$;`);
      const client = c as unknown as pg.PoolClient;
      const policies = async () =>
        (
          await c.query<{ t: string; d: string }>(
            'SELECT hypertable_name AS t, drop_after::text AS d FROM qt_retention ORDER BY 1',
          )
        ).rows.map((r) => `${r.t} ${r.d}`);
      expect(await policies()).toEqual(['market_klines 365 days', 'market_trades 30 days']);
      const set = (trades: number | null, klines: number | null) =>
        applyTimescaleRetention(client, {
          retentionDays: { market_trades: trades, market_klines: klines },
          lockTimeoutMs: 5_000,
        });
      expect(await set(30, 730)).toEqual(['market_klines: 365 days -> 730 days']);
      expect(await policies()).toEqual(['market_klines 730 days', 'market_trades 30 days']);
      expect(await set(30, 730)).toEqual([]);
      expect(await set(null, 730)).toEqual(['market_trades: 30 days -> none']);
      expect(await policies()).toEqual(['market_klines 730 days']);
      expect(await set(14, 730)).toEqual(['market_trades: none -> 14 days']);
      expect(await policies()).toEqual(['market_klines 730 days', 'market_trades 14 days']);
    });
  });
});
