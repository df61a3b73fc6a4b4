export * from './api-schemas.ts';
export * from './feed-reachability.ts';
export * from './schemas.ts';
export * from './ticker-schemas.ts';
export * from './watchlist-schemas.ts';
