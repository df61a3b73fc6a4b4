export * from './candle-history.ts';
