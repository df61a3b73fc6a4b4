import type { Clock } from '@qt/shared';
import type pg from 'pg';
import { detectStorageMode, type StorageMode } from './storage-mode.ts';
import { partitionNamePattern, type TimeSeriesTable, timeSeriesTables } from './tables.ts';

export const DAY_MS = 86_400_000;
/** 1970-01-05, a Monday: weekly partitions start on Mondays (ISO weeks), whatever the epoch's weekday. */
const MONDAY_EPOCH_DAY = 4;
// Advisory lock (two-int form): a fixed class for "time-series partition upkeep", one key per table, so
// two engines starting together serialise their DDL on a table instead of racing on it.
const LOCK_CLASS = 0x71_74_70_31; // 'qtp1'

export interface PartitionPolicy {
  /** Partitions exist from yesterday through today + premakeDays (UTC days). */
  premakeDays: number;
  /** Days of data kept per table; older partitions are dropped. null keeps everything. */
  retentionDays: Record<TimeSeriesTable['name'], number | null>;
  /** DDL waits at most this long for its lock (it then fails, and the next run tries again). */
  lockTimeoutMs: number;
}

/**
 * Library defaults (trades 30 days, candles 365; the engine passes TRADE_RETENTION_DAYS and
 * KLINE_RETENTION_DAYS, whose defaults are 30 and 730). The same numbers drive both paths: partitions
 * dropped here, or TimescaleDB's retention policies set by `maintainPartitions` on that path.
 */
export const defaultPartitionPolicy: PartitionPolicy = {
  premakeDays: 3,
  retentionDays: { market_trades: 30, market_klines: 365 },
  lockTimeoutMs: 5_000,
};

export interface Partition {
  table: TimeSeriesTable['name'];
  name: string;
  /** First UTC day (days since the epoch) the partition holds, inclusive. */
  fromDay: number;
  /** First UTC day after it (exclusive). */
  toDay: number;
}

export interface PartitionPlan {
  create: Partition[];
  drop: string[];
  /** Rows of the default partition before this instant (ISO) are past retention and deleted. */
  purgeBefore: string | null;
}

export interface MaintenanceReport {
  /**
   * Which storage path this database is on. On 'timescale' partitions are TimescaleDB's business (chunks
   * on insert, retention by its policies): only the retention policies are brought to the configured days.
   */
  mode: StorageMode;
  /** TimescaleDB only: tables whose retention policy was changed, as `table: old -> new` (`none` = keep all). */
  retentionPoliciesSet: string[];
  created: string[];
  dropped: string[];
  /** Rows moved out of a default partition into a partition created for them. */
  movedFromDefault: number;
  /** Rows deleted from a default partition because they were past retention. */
  purgedFromDefault: number;
}

const floorMod = (a: number, b: number) => ((a % b) + b) % b;

/** The first day of the partition period containing `day`. */
export function periodStart(day: number, periodDays: number): number {
  return day - floorMod(day - MONDAY_EPOCH_DAY, periodDays);
}

export function isoDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

export function partitionFor(table: TimeSeriesTable, day: number): Partition {
  const fromDay = periodStart(day, table.periodDays);
  return {
    table: table.name,
    name: `${table.name}_p${isoDay(fromDay).replaceAll('-', '')}`,
    fromDay,
    toDay: fromDay + table.periodDays,
  };
}

function dayOfPartitionName(name: string): number | null {
  const m = partitionNamePattern.exec(name);
  const ymd = m?.[2];
  if (!ymd) return null;
  const ms = Date.UTC(Number(ymd.slice(0, 4)), Number(ymd.slice(4, 6)) - 1, Number(ymd.slice(6, 8)));
  return Math.floor(ms / DAY_MS);
}

/**
 * What to create and drop for one table, given the partitions that exist and the days that have rows
 * in the default partition. Pure, so the schedule is unit-tested without a database.
 */
export function planPartitions(
  table: TimeSeriesTable,
  nowMs: number,
  policy: Pick<PartitionPolicy, 'premakeDays' | 'retentionDays'>,
  existing: readonly string[],
  daysInDefault: readonly number[] = [],
): PartitionPlan {
  const today = Math.floor(nowMs / DAY_MS);
  const retention = policy.retentionDays[table.name];
  // Everything before the start of the period holding the retention cutoff goes: a partition is dropped
  // only once all of it is past retention.
  const keepFromDay =
    retention === null
      ? null
      : periodStart(Math.floor((nowMs - retention * DAY_MS) / DAY_MS), table.periodDays);
  const horizon = today + policy.premakeDays;

  const have = new Set(existing);
  const wanted = new Map<string, Partition>();
  const want = (day: number) => {
    const p = partitionFor(table, day);
    if (!have.has(p.name) && (keepFromDay === null || p.toDay > keepFromDay)) wanted.set(p.name, p);
  };
  for (let day = today - 1; day <= horizon; day++) want(day);
  // Rows that landed in the default partition (a backfill, data before the first upkeep run) get their
  // partition, unless they are past retention (purged below) or beyond the horizon (bad clocks: they
  // stay in the default partition rather than creating partitions years ahead).
  for (const day of daysInDefault) if (day <= horizon) want(day);

  const drop =
    keepFromDay === null
      ? []
      : existing.filter((name) => {
          const day = dayOfPartitionName(name);
          return day !== null && name.startsWith(`${table.name}_p`) && day + table.periodDays <= keepFromDay;
        });
  return {
    create: [...wanted.values()].sort((a, b) => a.fromDay - b.fromDay),
    drop: drop.sort(),
    purgeBefore: keepFromDay === null ? null : new Date(keepFromDay * DAY_MS).toISOString(),
  };
}

const q = (ident: string) => `"${ident.replaceAll('"', '""')}"`;
const defaultPartition = (table: TimeSeriesTable) => `${table.name}_default`;

/**
 * The statements that create one partition: a table shaped like the parent, the default partition's
 * rows of that range moved into it, then ATTACH (which takes a weaker lock on the parent than CREATE
 * TABLE ... PARTITION OF, so writers to other partitions are not blocked, and builds its indexes).
 */
export function createPartitionSql(table: TimeSeriesTable, p: Partition): string[] {
  const from = `'${new Date(p.fromDay * DAY_MS).toISOString()}'`;
  const to = `'${new Date(p.toDay * DAY_MS).toISOString()}'`;
  const col = q(table.timeColumn);
  return [
    `CREATE TABLE ${q(p.name)} (LIKE ${q(table.name)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`,
    `WITH moved AS (DELETE FROM ${q(defaultPartition(table))} WHERE ${col} >= ${from} AND ${col} < ${to} RETURNING *) ` +
      `INSERT INTO ${q(p.name)} SELECT * FROM moved`,
    `ALTER TABLE ${q(table.name)} ATTACH PARTITION ${q(p.name)} FOR VALUES FROM (${from}) TO (${to})`,
  ];
}

/**
 * Plain-PostgreSQL partition upkeep for the market-data tables: creates partitions ahead (yesterday
 * through today + premakeDays), drops those wholly past retention, gives rows caught by a default
 * partition their own partition, and deletes default-partition rows past retention. Idempotent; safe
 * to run from several processes at once (each change holds a per-table advisory lock and re-checks);
 * call it at engine start and then periodically (hourly is plenty). On TimescaleDB it does nothing:
 * chunks are created on insert and the migration's retention policies drop them.
 */
export async function maintainPartitions(
  pool: pg.Pool,
  opts: { clock: Clock; policy?: Partial<PartitionPolicy> },
): Promise<MaintenanceReport> {
  const policy = { ...defaultPartitionPolicy, ...opts.policy };
  const client = await pool.connect();
  let failed: Error | undefined;
  const report: MaintenanceReport = {
    mode: 'native',
    retentionPoliciesSet: [],
    created: [],
    dropped: [],
    movedFromDefault: 0,
    purgedFromDefault: 0,
  };
  try {
    report.mode = await detectStorageMode(client);
    if (report.mode === 'timescale') {
      report.retentionPoliciesSet = await applyTimescaleRetention(client, policy);
      return report;
    }
    const now = opts.clock.now();
    for (const [index, table] of timeSeriesTables.entries()) {
      const existing = await partitionsOf(client, table);
      const keep = planPartitions(table, now, policy, existing).purgeBefore;
      const daysInDefault = await daysWithRowsInDefault(client, table, keep);
      const plan = planPartitions(table, now, policy, existing, daysInDefault);
      const locked = (fn: () => Promise<void>) =>
        inLockedTransaction(client, index + 1, policy.lockTimeoutMs, fn);
      for (const p of plan.create) {
        await locked(async () => {
          if (await exists(client, p.name)) return;
          const [create, move, attach] = createPartitionSql(table, p);
          await client.query(create as string);
          report.movedFromDefault += (await client.query(move as string)).rowCount ?? 0;
          await client.query(attach as string);
          report.created.push(p.name);
        });
      }
      for (const name of plan.drop) {
        await locked(async () => {
          if (!(await exists(client, name))) return;
          await client.query(`DROP TABLE ${q(name)}`);
          report.dropped.push(name);
        });
      }
      if (plan.purgeBefore !== null) {
        const purged = await client.query(
          `DELETE FROM ${q(defaultPartition(table))} WHERE ${q(table.timeColumn)} < $1`,
          [plan.purgeBefore],
        );
        report.purgedFromDefault += purged.rowCount ?? 0;
      }
    }
    return report;
  } catch (err) {
    failed = err instanceof Error ? err : new Error(String(err));
    throw err;
  } finally {
    // A failure may have left the connection mid-transaction or broken: the pool drops it then.
    client.release(failed);
  }
}

/**
 * Brings each hypertable's TimescaleDB retention policy to `policy.retentionDays` (the migration adds
 * 30 / 365 days; the configured numbers win): replaced when its `drop_after` differs, removed for `null`
 * (keep everything), left alone when equal, so the hourly run changes nothing. Under the same per-table
 * advisory lock as partition upkeep, so engines starting together do not race on the job.
 */
export async function applyTimescaleRetention(
  client: pg.PoolClient,
  policy: Pick<PartitionPolicy, 'retentionDays' | 'lockTimeoutMs'>,
): Promise<string[]> {
  const changed: string[] = [];
  for (const [index, table] of timeSeriesTables.entries()) {
    const days = policy.retentionDays[table.name];
    const wanted = days === null ? null : `${days} days`;
    await inLockedTransaction(client, index + 1, policy.lockTimeoutMs, async () => {
      const { rows } = await client.query<{ dropAfter: string | null; same: boolean | null }>(
        `SELECT j.config->>'drop_after' AS "dropAfter",
                (j.config->>'drop_after')::interval = $2::interval AS same
           FROM timescaledb_information.jobs j
          WHERE j.proc_name = 'policy_retention' AND j.hypertable_name = $1`,
        [table.name, wanted],
      );
      const current = rows[0];
      if (wanted === null ? current === undefined : current?.same === true) return;
      await client.query('SELECT remove_retention_policy($1::regclass, if_exists => true)', [table.name]);
      if (wanted !== null)
        await client.query('SELECT add_retention_policy($1::regclass, drop_after => $2::interval)', [
          table.name,
          wanted,
        ]);
      changed.push(`${table.name}: ${current?.dropAfter ?? 'none'} -> ${wanted ?? 'none'}`);
    });
  }
  return changed;
}

async function inLockedTransaction(
  client: pg.PoolClient,
  key: number,
  lockTimeoutMs: number,
  fn: () => Promise<void>,
): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(lockTimeoutMs))}`);
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_CLASS, key]);
    await fn();
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  }
}

async function exists(client: pg.PoolClient, name: string): Promise<boolean> {
  const { rows } = await client.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [
    q(name),
  ]);
  return rows[0]?.found ?? false;
}

/** The partitions of a table (the default partition included). */
export async function partitionsOf(
  client: pg.ClientBase | pg.Pool,
  table: TimeSeriesTable,
): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = to_regclass($1) ORDER BY c.relname`,
    [q(table.name)],
  );
  return rows.map((r) => r.name);
}

async function daysWithRowsInDefault(
  client: pg.PoolClient,
  table: TimeSeriesTable,
  from: string | null,
): Promise<number[]> {
  const col = q(table.timeColumn);
  const { rows } = await client.query<{ day: number }>(
    `SELECT DISTINCT floor(extract(epoch FROM ${col}) / 86400)::int AS day FROM ${q(defaultPartition(table))}
      WHERE $1::timestamptz IS NULL OR ${col} >= $1::timestamptz`,
    [from],
  );
  return rows.map((r) => r.day);
}
