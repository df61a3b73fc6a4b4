export * from './account/index.ts';
export * from './amounts.ts';
export * from './ledger/index.ts';
export * from './matching/index.ts';
export * from './positions/index.ts';
export * from './risk/index.ts';
