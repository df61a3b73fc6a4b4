import type pg from 'pg';
import { DAY_MS, partitionsOf } from '../../src/timeseries/partitions.ts';
import type { StorageMode } from '../../src/timeseries/storage-mode.ts';
import {
  klinesTable,
  partitionNamePattern,
  timeSeriesTables,
  tradesTable,
} from '../../src/timeseries/tables.ts';

// What the int tests need to know about the storage a server gave them, for both modes: the relations a
// plan may name (native partitions or TimescaleDB chunks) and the time range each one holds.

export interface TimeRelation {
  name: string;
  /** Inclusive start and exclusive end, ms; null for a native DEFAULT partition (any time). */
  fromMs: number | null;
  toMs: number | null;
}

/** The partitions (native) or chunks (TimescaleDB) of a table, with their time ranges. */
export async function timeRelations(
  pool: pg.Pool,
  mode: StorageMode,
  table: 'market_trades' | 'market_klines',
): Promise<TimeRelation[]> {
  if (mode === 'timescale') {
    const { rows } = await pool.query<{ name: string; from_ms: string; to_ms: string }>(
      `SELECT chunk_name AS name, (extract(epoch FROM range_start) * 1000)::bigint AS from_ms,
              (extract(epoch FROM range_end) * 1000)::bigint AS to_ms
         FROM timescaledb_information.chunks WHERE hypertable_name = $1`,
      [table],
    );
    return rows.map((r) => ({ name: r.name, fromMs: Number(r.from_ms), toMs: Number(r.to_ms) }));
  }
  // Native partitions are named after the UTC day they start (tables.ts): the name gives the range.
  const period = timeSeriesTables.find((t) => t.name === table)?.periodDays ?? 1;
  return (await partitionsOf(pool, table === 'market_trades' ? tradesTable : klinesTable)).map((name) => {
    const ymd = partitionNamePattern.exec(name)?.[2];
    if (!ymd) return { name, fromMs: null, toMs: null };
    const fromMs = Date.UTC(Number(ymd.slice(0, 4)), Number(ymd.slice(4, 6)) - 1, Number(ymd.slice(6, 8)));
    return { name, fromMs, toMs: fromMs + period * DAY_MS };
  });
}

/**
 * Compresses every chunk on TimescaleDB, so plans are asserted on compressed chunks (where a bound that
 * is not a plain constant costs a decompression of the whole range); nothing to do on native partitions.
 */
export async function compressAll(pool: pg.Pool, mode: StorageMode): Promise<void> {
  if (mode !== 'timescale') return;
  for (const table of ['market_trades', 'market_klines'])
    await pool.query(`SELECT compress_chunk(c, if_not_compressed => true) FROM show_chunks('${table}') c`);
}
