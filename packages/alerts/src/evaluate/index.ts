export * from './alert-evaluator.ts';
export { MAX_VOLUME_BARS } from './bar-series.ts';
export * from './evaluator-state.ts';
export { intervalMs } from './intervals.ts';
export { MAX_WINDOW_ENTRIES } from './move-group.ts';
export * from './types.ts';
