/**
 * The ports: what the API needs from the engine's services, and the scopes every call carries. They are
 * contracts between the transport (`@qt/api`, which calls them) and the engine (which implements them),
 * so they live here and neither side imports the other for them.
 */
export type * from './alerts-port.ts';
export type * from './billing-port.ts';
export * from './history-port.ts';
export type * from './market-port.ts';
export type * from './marketplace-port.ts';
export type * from './scopes.ts';
export type * from './strategies-port.ts';
export type * from './trading-port.ts';
