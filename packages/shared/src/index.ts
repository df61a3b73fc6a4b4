export * from './accounts/index.ts';
export * from './errors/index.ts';
export * from './time/index.ts';
