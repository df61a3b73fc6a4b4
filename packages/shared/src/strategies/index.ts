export * from './api-schemas.ts';
export * from './deployment-pnl.ts';
export * from './editor-schemas.ts';
