import type { BillingInterval, PaidTier } from './schemas.ts';

/**
 * The platform's plan prices, integer US cents. The billing service creates one Stripe product per paid
 * tier and one price per interval from this table at start (idempotently: products by fixed id, prices by
 * `lookup_key`); checkout looks prices up by lookup key, so an amount never comes from a request. A
 * change here creates a new price and moves the lookup key to it (existing subscribers keep theirs).
 * Yearly is ten months' price (two months free).
 */
export const PLAN_PRICES: Readonly<Record<PaidTier, Readonly<Record<BillingInterval, number>>>> = {
  PRO: { month: 4_900, year: 49_000 },
  ENTERPRISE: { month: 29_900, year: 299_000 },
};

export const PLAN_CURRENCY = 'usd';

/** Stripe product id of a paid tier's plan (fixed, so creating it twice is a no-op). */
export function planProductId(tier: PaidTier): string {
  return `qt_plan_${tier.toLowerCase()}`;
}

/** Stripe price lookup key of a plan price: `qt_pro_monthly`, `qt_enterprise_yearly`, ... */
export function planLookupKey(tier: PaidTier, interval: BillingInterval): string {
  return `qt_${tier.toLowerCase()}_${interval === 'month' ? 'monthly' : 'yearly'}`;
}
