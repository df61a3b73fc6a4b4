export * from './deployment-pnl.ts';
export * from './equity.ts';
export * from './position.ts';
export * from './position-book.ts';
export * from './views.ts';
