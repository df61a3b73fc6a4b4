export * from './accounts.ts';
export * from './funding-postings.ts';
export * from './ledger.ts';
export * from './ledger-error.ts';
export * from './order-postings.ts';
export * from './posting.ts';
export * from './reservation.ts';
export * from './views.ts';
