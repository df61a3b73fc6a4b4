import type { PaidTier, SubscriptionAccess, Tier } from '@qt/shared';

/**
 * The billing state machine, pure: what a Stripe subscription's state grants. Stripe is the source of
 * truth and every webhook re-reads the subscription, so the input is always a snapshot, never a delta;
 * applying snapshots twice or in another order must converge (see `mergeSnapshot`).
 */

export type StripeSubscriptionStatus =
  | 'trialing'
  | 'active'
  | 'past_due'
  | 'unpaid'
  | 'canceled'
  | 'incomplete'
  | 'incomplete_expired'
  | 'paused';

const ACCESS: Readonly<Record<StripeSubscriptionStatus, SubscriptionAccess>> = {
  // Also with cancel_at_period_end: Stripe keeps the subscription active until the period ends.
  trialing: 'active',
  active: 'active',
  // A renewal failed; Stripe's retry schedule is the grace period and access continues meanwhile.
  past_due: 'grace',
  unpaid: 'ended',
  canceled: 'ended',
  incomplete_expired: 'ended',
  // Not paid yet (first invoice open) or paused: nothing granted, nothing taken away for ever (a
  // listing entitlement still ends while paused: see `listingEntitlementOf`).
  incomplete: 'none',
  paused: 'none',
};

/** Access of a Stripe status; an unknown status (a newer API) grants nothing. */
export function accessOf(status: string): SubscriptionAccess {
  return Object.hasOwn(ACCESS, status) ? ACCESS[status as StripeSubscriptionStatus] : 'none';
}

/** Statuses Stripe never leaves: a snapshot showing one wins over any other of the same subscription. */
export function isTerminal(status: string): boolean {
  return status === 'canceled' || status === 'incomplete_expired';
}

export function grantsAccess(access: SubscriptionAccess): boolean {
  return access === 'active' || access === 'grace';
}

const TIER_RANK: Readonly<Record<Tier, number>> = { FREE: 0, PRO: 1, ENTERPRISE: 2 };

/** A tenant's plan tier: the highest paid tier among its plan subscriptions with access active|grace. */
export function planTierOf(subs: readonly { planTier: PaidTier | Tier | null; access: string }[]): Tier {
  let tier: Tier = 'FREE';
  for (const s of subs) {
    if (!s.planTier || !grantsAccess(s.access as SubscriptionAccess)) continue;
    if (TIER_RANK[s.planTier] > TIER_RANK[tier]) tier = s.planTier;
  }
  return tier;
}

/**
 * A buyer's entitlement from its listing subscription's access: active|grace -> active, ended -> ended.
 * `none` (the first invoice is not paid yet) creates nothing, and leaves an existing entitlement as it is.
 */
export function entitlementStatusOf(
  access: SubscriptionAccess,
  existing: 'active' | 'ended' | null,
): 'active' | 'ended' | null {
  if (grantsAccess(access)) return 'active';
  if (access === 'ended') return 'ended';
  return existing;
}

/**
 * A buyer's entitlement from its listing subscription's Stripe status. Like `entitlementStatusOf`, except
 * that a paused subscription (a trial that ended without a card, or paused collection) ends the
 * entitlement: nobody pays for it meanwhile, so the strategy must not keep running; resuming makes the
 * subscription active again, which grants the entitlement again.
 */
export function listingEntitlementOf(
  status: string,
  existing: 'active' | 'ended' | null,
): 'active' | 'ended' | null {
  if (status === 'paused') return 'ended';
  return entitlementStatusOf(accessOf(status), existing);
}

/** What the platform stores of one Stripe subscription (the subset the state machine reads). */
export interface SubscriptionSnapshot {
  id: string;
  status: string;
  cancelAtPeriodEnd: boolean;
  currentPeriodEnd: Date | null;
  endedAt: Date | null;
}

/**
 * Which of the stored state and a new snapshot to keep. The caller reads the subscription from Stripe
 * under the subscription's lock (or re-reads it there when the stored row is newer than its read), so
 * `incoming` is never older than `stored`; this is the last guard: a terminal state, which Stripe never
 * leaves, is not undone by any snapshot that is not terminal.
 */
export function mergeSnapshot<S extends SubscriptionSnapshot>(stored: S | null, incoming: S): S {
  if (stored && isTerminal(stored.status) && !isTerminal(incoming.status)) return stored;
  return incoming;
}

/**
 * Whether a snapshot read at `readAt` must be read again before it is applied: the stored row was
 * written at or after the read (less `skewMs`, the clocks of the writers may differ), so the snapshot may
 * be older than what is stored. Never for a subscription not stored yet.
 */
export function mustReread(storedUpdatedAt: number | null, readAt: number, skewMs: number): boolean {
  return storedUpdatedAt !== null && storedUpdatedAt >= readAt - skewMs;
}
