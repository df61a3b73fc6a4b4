export * from './intervals.ts';
export * from './kline-aggregator.ts';
export * from './recompute-klines.ts';
export { formatVolume } from './volume-format.ts';
