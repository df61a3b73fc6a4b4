import type { BillingOverview, SubscriptionAccess, Tier } from '@qt/shared';
import type { BadgeTone } from '@/components/ui/badge';

export interface AccessText {
  label: string;
  tone: BadgeTone;
  detail: string;
}

/** What a subscription's access means for the person paying, in their words. */
export function accessText(access: SubscriptionAccess): AccessText {
  switch (access) {
    case 'active':
      return { label: 'Active', tone: 'green', detail: 'Paid and in effect.' };
    case 'grace':
      return {
        label: 'Payment failed, retrying',
        tone: 'amber',
        detail:
          'A renewal failed. Access continues while the payment is retried; update the card to keep it.',
      };
    case 'none':
      return { label: 'Not paid yet', tone: 'neutral', detail: 'The first payment has not gone through.' };
    case 'ended':
      return { label: 'Ended', tone: 'red', detail: 'The subscription has ended.' };
  }
}

/** `2026-12-31T…` → `Dec 31, 2026` (the viewer's time zone), or a dash. */
export function formatDay(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  return d.toLocaleDateString('en-US', { year: 'numeric', month: 'short', day: 'numeric' });
}

const TIER_RANK: Record<Tier, number> = { FREE: 0, PRO: 1, ENTERPRISE: 2 };

/** How long the page waits for the webhook to grant the tier after Checkout sent the browser back. */
export const CHECKOUT_WAIT_MS = 30_000;
export const CHECKOUT_POLL_MS = 1_000;

export type CheckoutWait = 'waiting' | 'confirmed' | 'timeout';

/**
 * After Checkout the browser comes back before (or after) Stripe's webhook: the tier is granted only by
 * the webhook, so the page polls until it shows. `target` is the tier the checkout was for (remembered
 * before the redirect); without it (another tab, storage cleared) any paid tier above `from` counts.
 */
export function checkoutWait(opts: {
  overview: Pick<BillingOverview, 'tier'> | undefined;
  target: Tier | null;
  from: Tier | null;
  elapsedMs: number;
}): CheckoutWait {
  const tier = opts.overview?.tier;
  if (tier) {
    if (opts.target ? tier === opts.target : TIER_RANK[tier] > TIER_RANK[opts.from ?? 'FREE'])
      return 'confirmed';
  }
  return opts.elapsedMs >= CHECKOUT_WAIT_MS ? 'timeout' : 'waiting';
}

/** The checkout in progress, kept across the redirect to Stripe in sessionStorage (this tab only). */
export interface PendingCheckout {
  target: Tier;
  from: Tier;
}

const PENDING_KEY = 'qt.billing.pendingCheckout';

export function rememberCheckout(storage: Pick<Storage, 'setItem'>, pending: PendingCheckout): void {
  try {
    storage.setItem(PENDING_KEY, JSON.stringify(pending));
  } catch {
    // Storage full or blocked: the return page falls back to "any higher tier".
  }
}

export function recallCheckout(storage: Pick<Storage, 'getItem'>): PendingCheckout | null {
  try {
    const raw = storage.getItem(PENDING_KEY);
    if (!raw) return null;
    const value: unknown = JSON.parse(raw);
    if (typeof value !== 'object' || value === null) return null;
    const { target, from } = value as Record<string, unknown>;
    return isTier(target) && isTier(from) ? { target, from } : null;
  } catch {
    return null;
  }
}

export function forgetCheckout(storage: Pick<Storage, 'removeItem'>): void {
  try {
    storage.removeItem(PENDING_KEY);
  } catch {
    // Nothing to do: a stale entry only widens the next wait's condition.
  }
}

function isTier(v: unknown): v is Tier {
  return v === 'FREE' || v === 'PRO' || v === 'ENTERPRISE';
}

/** A listing's Checkout: the entitlement, like the tier, comes only from the webhook. */
export function entitlementWait(opts: { entitled: boolean | undefined; elapsedMs: number }): CheckoutWait {
  if (opts.entitled) return 'confirmed';
  return opts.elapsedMs >= CHECKOUT_WAIT_MS ? 'timeout' : 'waiting';
}
