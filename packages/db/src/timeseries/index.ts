export { copyField, klinesCopyText, tradesCopyText } from './copy-text.ts';
export {
  applyTimescaleRetention,
  createPartitionSql,
  DAY_MS,
  defaultPartitionPolicy,
  type MaintenanceReport,
  maintainPartitions,
  type Partition,
  type PartitionPlan,
  type PartitionPolicy,
  partitionFor,
  partitionsOf,
  periodStart,
  planPartitions,
} from './partitions.ts';
export {
  type CandlePage,
  type CandleQuery,
  MarketDataQueries,
  type MarketSeries,
  type TradeCursor,
  type TradePage,
} from './queries.ts';
export {
  describeTimeSeriesStorage,
  detectStorageMode,
  type StorageMode,
  type TimeSeriesStorage,
} from './storage-mode.ts';
export {
  klinesTable,
  type TimeSeriesTable,
  timeSeriesRelations,
  timeSeriesTables,
  tradesTable,
} from './tables.ts';
export {
  MarketDataWriter,
  type MarketDataWriterOptions,
  type WriteKlinesResult,
  type WriteTradesResult,
} from './writer.ts';
