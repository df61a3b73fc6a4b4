export * from './binance-book-sync.ts';
export * from './book-parsers.ts';
export * from './book-sync.ts';
export * from './bybit-book-sync.ts';
export * from './okx-book-sync.ts';
export * from './okx-checksum.ts';
export * from './order-book.ts';
