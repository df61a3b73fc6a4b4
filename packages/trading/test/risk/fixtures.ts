import { AMOUNT_SCALE, ManualClock, parseScaled } from '@qt/shared';
import type { RiskContext, RiskOrder } from '../../src/risk/context.ts';
import { type RiskLimitOverrides, resolveRiskLimits } from '../../src/risk/limits.ts';
import { RiskEngine } from '../../src/risk/risk-engine.ts';

/** A decimal string as domain units. */
export const u = (s: string): bigint => parseScaled(s, AMOUNT_SCALE);

/** Noon UTC, 2025-03-10. */
export const NOON = Date.UTC(2025, 2, 10, 12);
export const NEXT_MIDNIGHT = Date.UTC(2025, 2, 11);

export function limitOrder(overrides: Partial<RiskOrder> = {}): RiskOrder {
  return {
    symbol: 'BTC-USDT',
    side: 'buy',
    type: 'limit',
    timeInForce: 'GTC',
    quantity: u('0.1'),
    price: u('100'),
    stopPrice: null,
    ...overrides,
  };
}

export function marketOrder(overrides: Partial<RiskOrder> = {}): RiskOrder {
  return limitOrder({ type: 'market', timeInForce: 'IOC', price: null, ...overrides });
}

/**
 * A quiet account: nothing held, nothing open, 100 000 USDT equity, last price 100. Limits are PRO with
 * the rate limits raised out of the way, plus whatever the test overrides.
 */
export function context(overrides: Partial<RiskContext> = {}, limits: RiskLimitOverrides = {}): RiskContext {
  return {
    tenantId: 'tenant-1',
    accountId: 'account-1',
    limits: resolveRiskLimits('PRO', { maxOrdersPerSecond: 1_000, maxOrdersPerMinute: 10_000, ...limits }),
    killSwitch: { tenant: null, account: null },
    lastPrice: u('100'),
    position: 0n,
    openBuyQuantity: 0n,
    openSellQuantity: 0n,
    openOrders: 0,
    equity: u('100000'),
    netTransfersToday: 0n,
    ...overrides,
  };
}

export function engineAt(ms = NOON): { clock: ManualClock; engine: RiskEngine } {
  const clock = new ManualClock(ms);
  return { clock, engine: new RiskEngine(clock) };
}

/** The rejection code, or 'ok'. */
export function outcome(decision: ReturnType<RiskEngine['check']>): string {
  return decision.ok ? 'ok' : decision.rejection.code;
}
