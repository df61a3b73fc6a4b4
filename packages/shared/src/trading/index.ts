export * from './api-schemas.ts';
export * from './schemas.ts';
