export * from './depth.ts';
export * from './fees.ts';
export * from './matching-engine.ts';
export * from './slippage.ts';
export * from './types.ts';
export * from './views.ts';
