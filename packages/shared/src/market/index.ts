export * from './api-schemas.ts';
export * from './feed-reachability.ts';
export * from './schemas.ts';
