export * from './delivery/index.ts';
export * from './evaluate/index.ts';
export * from './rules/index.ts';
