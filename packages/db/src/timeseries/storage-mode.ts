import type pg from 'pg';

/** Which of the migration's two paths a database is on. */
export type StorageMode = 'timescale' | 'native';

/**
 * Reads the path from the table itself (a natively partitioned `market_trades`, or a hypertable), not
 * from whether TimescaleDB is installable: what the migration created is what counts.
 */
export async function detectStorageMode(db: pg.ClientBase | pg.Pool): Promise<StorageMode> {
  const { rows } = await db.query<{ kind: string | null; timescale: boolean }>(
    `SELECT (SELECT relkind::text FROM pg_class WHERE oid = to_regclass('market_trades')) AS kind,
            EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') AS timescale`,
  );
  const row = rows[0];
  if (row?.kind === 'p') return 'native';
  if (row?.kind === 'r' && row.timescale) return 'timescale';
  throw new Error(
    'market_trades is missing or neither partitioned nor a hypertable: run the migrations (npm run migrate)',
  );
}
