export * from './api-schemas.ts';
export * from './risk-schemas.ts';
export * from './schemas.ts';
