export * from './booking.ts';
export * from './ledger-checks.ts';
export * from './order-intent.ts';
export * from './order-plan.ts';
export * from './paper-book.ts';
export * from './refusal.ts';
