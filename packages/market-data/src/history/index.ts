export * from './binance-archive-candles.ts';
export * from './binance-archive-csv.ts';
export * from './binance-archive-download.ts';
export * from './binance-archive-plan.ts';
export * from './binance-archive-reader.ts';
export * from './candle-history.ts';
export * from './trade-history-pages.ts';
export * from './venue-rest-budget.ts';
