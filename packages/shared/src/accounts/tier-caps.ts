import { z } from 'zod';
import { PLAN_PRICES } from '../billing/plans.ts';
import type { Tier } from './roles.ts';

/**
 * What a tenant may hold or start at once, by tier: the one table of tier caps. Counted caps
 * (`deployments` .. `paperAccounts`) are enforced atomically per tenant (a transaction-scoped advisory
 * lock around count + insert, `withinTierCap` in @qt/api), so concurrent calls cannot all pass the check.
 * The sandbox's per-module limits (module size, memory, call budget) are @qt/strategy-runtime's
 * `TIER_LIMITS`; the pre-trade risk limits are @qt/trading's `tierRiskDefaults`.
 */
export interface TierCaps {
  /** Live deployments (starting, running or paused: each holds a sandbox worker thread). */
  deployments: number;
  /** Backtests queued or running (also the tenant's share of the backtest queue). */
  backtests: number;
  /** API keys not revoked. */
  apiKeys: number;
  paperAccounts: number;
  /** Wall time one backtest may run before it is stopped with `RUN_TIME_LIMIT`. */
  backtestRunMs: number;
  /** Candles one backtest may replay (estimated up front from range, interval and instruments). */
  backtestCandles: number;
  /** Alerts in state active (paused, expired and fired-out ones do not count). */
  activeAlerts: number;
  /** Alert deliveries (email, webhook, chat) per tenant per minute; past it a delivery is dead (`tierLimit`). */
  alertDeliveriesPerMinute: number;
  /** Markets the tenant added to the engine's live feeds (`market.follow`) beyond `MARKET_SYMBOLS`. */
  followedMarkets: number;
}

/** The caps counted per tenant under the cap lock. */
export type TierCapKind =
  | 'deployments'
  | 'backtests'
  | 'apiKeys'
  | 'paperAccounts'
  | 'activeAlerts'
  | 'followedMarkets';

const MINUTE_MS = 60_000;

export const TIER_CAPS: Readonly<Record<Tier, Readonly<TierCaps>>> = {
  // A year of 1m candles is 525,600: FREE replays about six months of one instrument per job.
  FREE: {
    deployments: 3,
    backtests: 2,
    apiKeys: 5,
    paperAccounts: 3,
    backtestRunMs: 2 * MINUTE_MS,
    backtestCandles: 250_000,
    activeAlerts: 5,
    alertDeliveriesPerMinute: 10,
    // Following a market costs the engine a subscription and a candle series for good: paid tiers only.
    followedMarkets: 0,
  },
  PRO: {
    deployments: 20,
    backtests: 5,
    apiKeys: 25,
    paperAccounts: 20,
    backtestRunMs: 15 * MINUTE_MS,
    backtestCandles: 2_500_000,
    activeAlerts: 100,
    alertDeliveriesPerMinute: 120,
    followedMarkets: 10,
  },
  ENTERPRISE: {
    deployments: 100,
    backtests: 20,
    apiKeys: 100,
    paperAccounts: 100,
    backtestRunMs: 60 * MINUTE_MS,
    backtestCandles: 25_000_000,
    activeAlerts: 400,
    alertDeliveriesPerMinute: 600,
    followedMarkets: 50,
  },
};

/**
 * A request budget: `limit` units per `windowSeconds` sustained, and at most `burst` units at once from a
 * full bucket (GCRA: a unit is earned back every `windowSeconds / limit`). Units are request weights.
 */
export interface RateBudget {
  limit: number;
  windowSeconds: number;
  burst: number;
}

/**
 * What a tenant may do per unit of time, by tier: the request-rate half of the tier table (`TIER_CAPS`
 * above is the "held at once" half). Enforced by the API's request limiter (@qt/api `limits/`), shared by
 * every engine through Redis.
 */
export interface TierRates {
  /** Weighted requests per API key (a dashboard session counts as the person's key). */
  perKey: RateBudget;
  /** Weighted requests per tenant, all keys and sessions together. */
  perTenant: RateBudget;
  /** Orders placed (and cancelled) per tenant, on top of the request budget: a separate budget. */
  orders: RateBudget;
  /**
   * Calls one tenant may have running at once on one engine (subscriptions aside): what keeps a tenant's
   * heavy reads from filling the engine while its budget lasts. Past it: RATE_LIMITED, scope `concurrency`.
   */
  concurrentCalls: number;
  /** WebSocket connections one tenant may hold open at once (per engine instance). */
  wsConnections: number;
  /** Subscriptions one tenant may run at once over all its WebSocket connections (per engine instance). */
  wsSubscriptions: number;
  /** Backtests started per UTC day. */
  backtestsPerDay: number;
  /** How far back a history query may reach, in days before now. */
  historyDays: number;
}

export const TIER_RATES: Readonly<Record<Tier, Readonly<TierRates>>> = {
  // FREE: 10 weighted requests/s sustained per key, 120 at once; a dashboard tab polling every few
  // seconds uses well under a tenth of it.
  FREE: {
    perKey: { limit: 600, windowSeconds: 60, burst: 120 },
    perTenant: { limit: 1_200, windowSeconds: 60, burst: 240 },
    orders: { limit: 60, windowSeconds: 60, burst: 10 },
    concurrentCalls: 4,
    wsConnections: 5,
    wsSubscriptions: 50,
    backtestsPerDay: 20,
    historyDays: 90,
  },
  PRO: {
    perKey: { limit: 6_000, windowSeconds: 60, burst: 600 },
    perTenant: { limit: 12_000, windowSeconds: 60, burst: 1_200 },
    orders: { limit: 1_200, windowSeconds: 60, burst: 100 },
    concurrentCalls: 16,
    wsConnections: 25,
    wsSubscriptions: 250,
    backtestsPerDay: 200,
    historyDays: 730,
  },
  // ENTERPRISE: 10,000 requests and orders/s per key, the order-placement goal of one engine.
  ENTERPRISE: {
    perKey: { limit: 600_000, windowSeconds: 60, burst: 20_000 },
    perTenant: { limit: 1_200_000, windowSeconds: 60, burst: 40_000 },
    orders: { limit: 600_000, windowSeconds: 60, burst: 20_000 },
    concurrentCalls: 256,
    wsConnections: 200,
    wsSubscriptions: 2_000,
    backtestsPerDay: 2_000,
    historyDays: 3_650,
  },
};

/**
 * Calls without a credential (system.health, system.version, strategies.examples; not auth.*, which have
 * their own attempt limiters), per client address: an IPv4 address or an IPv6 /64. Conservative: a
 * dashboard tab polls health every 15 s and reads the examples once, far below it; shared by every engine
 * through Redis like the tier budgets.
 */
export const PUBLIC_RATE: Readonly<RateBudget> = { limit: 300, windowSeconds: 60, burst: 60 };

/** The tier to suggest when a limit is hit (null: there is none above). */
export const NEXT_TIER: Readonly<Record<Tier, Tier | null>> = {
  FREE: 'PRO',
  PRO: 'ENTERPRISE',
  ENTERPRISE: null,
};

/**
 * Monthly list price in US cents, for the pricing page (the billing catalog, PLAN_PRICES, is the source;
 * null would mean "by contract only"). Contracts may still override an Enterprise tenant's limits.
 */
export const TIER_PRICE_CENTS: Readonly<Record<Tier, number | null>> = {
  FREE: 0,
  PRO: PLAN_PRICES.PRO.month,
  ENTERPRISE: PLAN_PRICES.ENTERPRISE.month,
};

/**
 * Request weights: what one call costs from the request budgets. A cheap read is 1; calls that scan
 * history, start work on a worker thread or take a lock cost more. Unlisted procedures cost 1; a
 * subscription is charged once when it starts.
 */
export const PROCEDURE_WEIGHTS: Readonly<Record<string, number>> = {
  'market.candles': 10,
  'market.trades': 2,
  'orders.list': 2,
  'orders.cancelAll': 5,
  'fills.list': 2,
  'paperAccounts.ledger': 3,
  'paperAccounts.pnl': 2,
  'strategies.upload': 10,
  'strategies.createFromExample': 10,
  'strategies.deploy': 10,
  'strategies.redeploy': 10,
  'strategies.logs': 2,
  'backtests.run': 20,
  'apiKeys.create': 5,
  // Several per-tenant counts (backtests, rows) behind one call: a heavy read, whatever its size.
  'usage.today': 20,
  'usage.history': 5,
  // Calls that reach Stripe (a network round trip and Stripe's own rate limit behind them).
  'billing.overview': 5,
  'billing.startCheckout': 10,
  'billing.openPortal': 10,
  'marketplace.search': 3,
  'marketplace.publish': 20,
  'marketplace.subscribe': 10,
  'marketplace.sellerOnboarding': 10,
  'marketplace.sellerDashboard': 10,
  'marketplace.deploy': 10,
  // Coverage runs a gaps-and-islands scan; a backfill queues a job that reads a venue's REST history.
  'history.coverage': 5,
  'history.backfill': 10,
};

/** The heaviest weight of any procedure: a request budget's burst must hold at least one such call. */
export const MAX_PROCEDURE_WEIGHT = Math.max(1, ...Object.values(PROCEDURE_WEIGHTS));

/** Procedures that also spend the order budget. */
export const ORDER_PROCEDURES: ReadonlySet<string> = new Set([
  'orders.place',
  'orders.cancel',
  'orders.cancelAll',
  // A cancel-replace: one new order, counted like a placement.
  'orders.amend',
  // Charged one order per item (the limiter is told the batch's size).
  'orders.placeMany',
]);

export function procedureWeight(path: string): number {
  return PROCEDURE_WEIGHTS[path] ?? 1;
}

const count = z.number().int().min(0).max(1_000_000_000);
const budgetOverride = z.strictObject({
  limit: z.number().int().min(1).max(1_000_000_000),
  windowSeconds: z.number().int().min(1).max(86_400),
  burst: z.number().int().min(1).max(1_000_000_000),
});
// A request budget whose burst is below a procedure's weight would refuse that procedure for ever
// (with a Retry-After that never comes true): the burst must hold the heaviest call.
const requestBudgetOverride = budgetOverride.refine((b) => b.burst >= MAX_PROCEDURE_WEIGHT, {
  message: `burst must be at least ${MAX_PROCEDURE_WEIGHT}, the weight of the heaviest call`,
  path: ['burst'],
});

/**
 * `tenants.limit_overrides`: a contract's own numbers over its tier's (any subset). Checked when written
 * and again when read (a row that does not parse is ignored, logged, and the tier's numbers apply).
 */
export const tierLimitOverridesSchema = z.strictObject({
  deployments: count.optional(),
  backtests: count.optional(),
  apiKeys: count.optional(),
  paperAccounts: count.optional(),
  backtestRunMs: count.optional(),
  backtestCandles: count.optional(),
  perKey: requestBudgetOverride.optional(),
  perTenant: requestBudgetOverride.optional(),
  orders: budgetOverride.optional(),
  concurrentCalls: count.optional(),
  wsConnections: count.optional(),
  wsSubscriptions: count.optional(),
  backtestsPerDay: count.optional(),
  historyDays: count.optional(),
  activeAlerts: count.optional(),
  followedMarkets: count.optional(),
});
export type TierLimitOverrides = z.infer<typeof tierLimitOverridesSchema>;

/** Every limit of a tenant: the tier's table with the tenant's overrides laid over it. */
export type TenantLimits = TierCaps & TierRates & { tier: Tier };

export function limitsFor(tier: Tier, overrides?: TierLimitOverrides | null): TenantLimits {
  const base: TenantLimits = { tier, ...TIER_CAPS[tier], ...TIER_RATES[tier] };
  if (!overrides) return base;
  const out: TenantLimits = { ...base };
  for (const [k, v] of Object.entries(overrides)) {
    if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
  }
  return out;
}
