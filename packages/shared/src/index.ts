export * from './accounts/index.ts';
export * from './bus/index.ts';
export * from './decimal/index.ts';
export * from './errors/index.ts';
export * from './market/index.ts';
export * from './strategies/index.ts';
export * from './time/index.ts';
export * from './trading/index.ts';
