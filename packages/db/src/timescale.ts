import type { Db } from './client.ts';

export interface TimescaleStatus {
  /** The extension's files are on the server (it can be created). */
  available: boolean;
  /** The version installed in this database, or null. */
  installedVersion: string | null;
}

/**
 * Time-series storage takes the TimescaleDB path (hypertables, compression, retention) when the
 * extension exists and plain PostgreSQL partitioning when it does not; this is the one place that asks.
 */
export async function detectTimescale(db: Db): Promise<TimescaleStatus> {
  const rows = await db.$queryRaw<{ available: boolean; installed: string | null }[]>`
    SELECT
      EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb') AS available,
      (SELECT extversion FROM pg_extension WHERE extname = 'timescaledb') AS installed`;
  const row = rows[0];
  return { available: row?.available ?? false, installedVersion: row?.installed ?? null };
}
