import type pg from 'pg';
import type { Db } from '../client.ts';

/** Which of the migration's two paths a database is on. */
export type StorageMode = 'timescale' | 'native';

const modeSql = `SELECT (SELECT relkind::text FROM pg_class WHERE oid = to_regclass('market_trades')) AS kind,
        (SELECT extversion FROM pg_extension WHERE extname = 'timescaledb') AS version,
        EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb') AS available`;

interface ModeRow {
  kind: string | null;
  version: string | null;
  available: boolean;
}

function modeOf(row: ModeRow | undefined): StorageMode {
  if (row?.kind === 'p') return 'native';
  if (row?.kind === 'r' && row.version !== null) return 'timescale';
  throw new Error(
    'market_trades is missing or neither partitioned nor a hypertable: run the migrations (npm run migrate)',
  );
}

/**
 * Reads the path from the table itself (a natively partitioned `market_trades`, or a hypertable), not
 * from whether TimescaleDB is installable: what the migration created is what counts.
 */
export async function detectStorageMode(db: pg.ClientBase | pg.Pool): Promise<StorageMode> {
  const { rows } = await db.query<ModeRow>(modeSql);
  return modeOf(rows[0]);
}

/** The storage in use, for the engine's start-up log line. */
export interface TimeSeriesStorage {
  mode: StorageMode;
  /** What `mode` means physically. */
  layout: 'timescaledb hypertables' | 'postgres native partitions';
  /** TimescaleDB's version in this database (null on the native path). */
  timescaleVersion: string | null;
  /**
   * The server has TimescaleDB's files. True on the native path means the extension was not loadable
   * when the migration ran (not in shared_preload_libraries): the tables stay partitioned natively.
   */
  timescaleAvailable: boolean;
}

/**
 * The storage mode actually in use, through the Prisma client (the engine has it before the `pg` pool).
 * The same detection as `detectStorageMode`: the table's kind decides, not the extension's presence.
 */
export async function describeTimeSeriesStorage(db: Db): Promise<TimeSeriesStorage> {
  const rows = await db.$queryRawUnsafe<ModeRow[]>(modeSql);
  const row = rows[0];
  const mode = modeOf(row);
  return {
    mode,
    layout: mode === 'timescale' ? 'timescaledb hypertables' : 'postgres native partitions',
    timescaleVersion: row?.version ?? null,
    timescaleAvailable: row?.available ?? false,
  };
}
