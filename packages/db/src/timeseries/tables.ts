/**
 * The SQL-managed time-series tables (prisma/migrations/20261125000000_market_data) and how each is
 * partitioned on plain PostgreSQL. Kept in one place so the writer, the queries, partition upkeep and
 * the schema check agree on names.
 */
export interface TimeSeriesTable {
  name: 'market_trades' | 'market_klines';
  /** The range-partitioning (and hypertable) column. */
  timeColumn: 'exchange_time' | 'open_time';
  /** Native partitions cover this many UTC days: 1 (daily) or 7 (weeks starting on Monday). */
  periodDays: number;
}

export const tradesTable: TimeSeriesTable = {
  name: 'market_trades',
  timeColumn: 'exchange_time',
  periodDays: 1,
};
export const klinesTable: TimeSeriesTable = { name: 'market_klines', timeColumn: 'open_time', periodDays: 7 };
export const timeSeriesTables: readonly TimeSeriesTable[] = [tradesTable, klinesTable];

/** Every relation the market-data migration creates outside schema.prisma (without partitions). */
export const timeSeriesRelations: readonly string[] = [
  'market_trades',
  'market_klines',
  'market_trades_default',
  'market_klines_default',
];

/** Names of native partitions: `<table>_pYYYYMMDD` (the UTC day the partition starts). */
export const partitionNamePattern = /^(market_trades|market_klines)_p(\d{8})$/;
