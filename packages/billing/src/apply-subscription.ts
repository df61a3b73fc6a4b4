import type { Db, Prisma } from '@qt/db';
import { paidTier, type SubscriptionAccess, type Tier } from '@qt/shared';
import type Stripe from 'stripe';
import { z } from 'zod';
import type { Catalog } from './catalog.ts';
import type { BillingContext } from './context.ts';
import { accessOf, entitlementStatusOf, mergeSnapshot, planTierOf } from './subscription-state.ts';

/** Where a subscription's state came from: a verified event (recorded in the ledger) or reconciliation. */
export type ApplySource =
  | { kind: 'event'; id: string; type: string; created: number }
  | { kind: 'reconcile' };

export interface ApplyResult {
  outcome: 'applied' | 'ignored' | 'duplicate';
  /** Set when the tenant's plan tier must change (call hooks.applyTier after commit). */
  tierChange: { tenantId: string; tier: Tier } | null;
  /** Set when a buyer's access to a listing changed (call hooks.listingAccessChanged after commit). */
  listingChange: { tenantId: string; listingId: string; access: 'active' | 'ended' } | null;
  /** The stored state before and after (reconciliation logs a difference as drift). */
  before: { status: string; access: string } | null;
  after: { status: string; access: string } | null;
}

const metadataSchema = z.discriminatedUnion('qt_kind', [
  z.object({ qt_kind: z.literal('plan'), qt_tenant: z.uuid(), qt_tier: paidTier }),
  z.object({ qt_kind: z.literal('listing'), qt_tenant: z.uuid(), qt_listing: z.uuid() }),
]);

type Tx = Prisma.TransactionClient;

const unix = (s: number | null | undefined): Date | null => (s ? new Date(s * 1000) : null);

/** Inserts the event id into the ledger; false when it was already there (a duplicate delivery). */
export async function recordEvent(
  tx: Tx | Db,
  event: { id: string; type: string; created: number },
  outcome: string,
): Promise<boolean> {
  const rows = await tx.$queryRaw<{ id: string }[]>`
    INSERT INTO stripe_events (id, type, stripe_created, outcome)
    VALUES (${event.id}, ${event.type}, ${new Date(event.created * 1000)}, ${outcome})
    ON CONFLICT (id) DO NOTHING RETURNING id`;
  return rows.length === 1;
}

/**
 * Applies one Stripe subscription, as read from Stripe just now, in one transaction: the event id into
 * the ledger (a second delivery stops there), the subscription row, the tenant's tier or the buyer's
 * entitlement and the listing's subscriber count. Hooks are NOT called here: the caller calls them after
 * the commit with what this returns.
 *
 * A subscription is ours only if its metadata names a tenant and a target we created it for AND its price
 * is the expected one (a plan product of the tier; the listing's own price) AND, for plans, its customer is
 * the tenant's. Anything else (a subscription made by hand in the dashboard, a tampered one) grants nothing.
 */
export async function applySubscription(
  ctx: BillingContext,
  catalog: Catalog,
  sub: Stripe.Subscription,
  source: ApplySource,
): Promise<ApplyResult> {
  const updatedFrom = source.kind === 'event' ? source.id : 'reconcile';
  const nothing: ApplyResult = {
    outcome: 'ignored',
    tierChange: null,
    listingChange: null,
    before: null,
    after: null,
  };
  return ctx.db.$transaction(async (tx) => {
    const target = await identify(ctx, catalog, tx, sub);
    if (source.kind === 'event') {
      const fresh = await recordEvent(tx, source, target ? 'applied' : 'ignored');
      if (!fresh) return { ...nothing, outcome: 'duplicate' };
    }
    if (!target) return nothing;
    // One writer per subscription at a time: two deliveries of its events commit one after the other.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`qt:billing:sub:${sub.id}`}))`;

    const item = sub.items.data[0] as Stripe.SubscriptionItem;
    const prev = await tx.billingSubscription.findUnique({ where: { stripeSubscriptionId: sub.id } });
    const incoming = {
      id: sub.id,
      status: sub.status,
      cancelAtPeriodEnd: sub.cancel_at_period_end,
      currentPeriodEnd: unix(item.current_period_end),
      endedAt: unix(sub.ended_at),
    };
    const kept = mergeSnapshot(
      prev
        ? {
            id: prev.stripeSubscriptionId,
            status: prev.status,
            cancelAtPeriodEnd: prev.cancelAtPeriodEnd,
            currentPeriodEnd: prev.currentPeriodEnd,
            endedAt: prev.endedAt,
          }
        : null,
      incoming,
    );
    const before = prev ? { status: prev.status, access: prev.access } : null;
    if (kept !== incoming && prev) {
      // An older read of a subscription that already ended: the stored terminal state stays.
      return { ...nothing, outcome: 'applied', before, after: before };
    }
    const access: SubscriptionAccess = accessOf(sub.status);
    const customerId = typeof sub.customer === 'string' ? sub.customer : sub.customer.id;
    const row = {
      tenantId: target.tenantId,
      kind: target.kind,
      planTier: target.kind === 'plan' ? target.tier : null,
      listingId: target.kind === 'listing' ? target.listingId : null,
      stripeCustomerId: customerId,
      stripePriceId: item.price.id,
      billingInterval: item.price.recurring?.interval ?? 'month',
      amountCents: item.price.unit_amount ?? 0,
      currency: item.price.currency,
      status: sub.status,
      access,
      cancelAtPeriodEnd: sub.cancel_at_period_end,
      currentPeriodStart: unix(item.current_period_start),
      currentPeriodEnd: unix(item.current_period_end),
      trialEnd: unix(sub.trial_end),
      canceledAt: unix(sub.canceled_at),
      endedAt: unix(sub.ended_at),
      applicationFeePercent:
        sub.application_fee_percent === null ? null : String(sub.application_fee_percent),
      updatedFrom,
    };
    await tx.billingSubscription.upsert({
      where: { stripeSubscriptionId: sub.id },
      create: { stripeSubscriptionId: sub.id, ...row },
      update: row,
    });
    const after = { status: sub.status, access };

    if (target.kind === 'plan') {
      const tierChange = await derivePlanTier(tx, target.tenantId);
      return { outcome: 'applied', tierChange, listingChange: null, before, after };
    }
    const listingChange = await deriveEntitlement(tx, {
      tenantId: target.tenantId,
      listingId: target.listingId,
      subscriptionId: sub.id,
      access,
      accessUntil: row.currentPeriodEnd,
    });
    return { outcome: 'applied', tierChange: null, listingChange, before, after };
  });
}

type Target =
  | { kind: 'plan'; tenantId: string; tier: 'PRO' | 'ENTERPRISE' }
  | { kind: 'listing'; tenantId: string; listingId: string };

async function identify(
  ctx: BillingContext,
  catalog: Catalog,
  tx: Tx,
  sub: Stripe.Subscription,
): Promise<Target | null> {
  const refuse = (why: string): null => {
    ctx.logger.warn(
      { subscription: sub.id, why },
      'billing: subscription grants nothing (not ours or tampered)',
    );
    return null;
  };
  const meta = metadataSchema.safeParse(sub.metadata ?? {});
  if (!meta.success) return refuse('metadata does not name a tenant and a plan or listing');
  const items = sub.items.data;
  if (items.length !== 1 || !items[0]) return refuse('not exactly one item');
  const price = items[0].price;
  const customerId = typeof sub.customer === 'string' ? sub.customer : sub.customer.id;
  if (meta.data.qt_kind === 'plan') {
    const { qt_tenant: tenantId, qt_tier: tier } = meta.data;
    if (!catalog.isPlanPrice(price, tier)) return refuse(`price ${price.id} is not a ${tier} plan price`);
    const customer = await tx.billingCustomer.findUnique({ where: { tenantId } });
    if (customer?.stripeCustomerId !== customerId) return refuse('customer is not the tenant’s');
    return { kind: 'plan', tenantId, tier };
  }
  const { qt_tenant: tenantId, qt_listing: listingId } = meta.data;
  const listing = await tx.marketplaceListing.findUnique({
    where: { id: listingId },
    select: { stripePriceId: true },
  });
  if (!listing || listing.stripePriceId !== price.id) return refuse(`price ${price.id} is not the listing’s`);
  const tenant = await tx.tenant.findUnique({ where: { id: tenantId }, select: { id: true } });
  if (!tenant) return refuse('tenant does not exist');
  return { kind: 'listing', tenantId, listingId };
}

/** The tenant's tier from all its plan subscriptions; a change only if it differs from the stored tier. */
export async function derivePlanTier(
  tx: Tx,
  tenantId: string,
): Promise<{ tenantId: string; tier: Tier } | null> {
  const subs = await tx.billingSubscription.findMany({
    where: { tenantId, kind: 'plan' },
    select: { planTier: true, access: true },
  });
  const tier = planTierOf(subs);
  const tenant = await tx.tenant.findUnique({ where: { id: tenantId }, select: { tier: true } });
  return tenant && tenant.tier !== tier ? { tenantId, tier } : null;
}

async function deriveEntitlement(
  tx: Tx,
  e: {
    tenantId: string;
    listingId: string;
    subscriptionId: string;
    access: SubscriptionAccess;
    accessUntil: Date | null;
  },
): Promise<ApplyResult['listingChange']> {
  const key = { tenantId_listingId: { tenantId: e.tenantId, listingId: e.listingId } };
  const existing = await tx.marketplaceEntitlement.findUnique({ where: key });
  const prevStatus = (existing?.status as 'active' | 'ended' | undefined) ?? null;
  // A buyer who resubscribed holds a new subscription; the old one ending must not end the new access.
  if (
    existing?.stripeSubscriptionId &&
    existing.stripeSubscriptionId !== e.subscriptionId &&
    existing.status === 'active' &&
    e.access !== 'active' &&
    e.access !== 'grace'
  ) {
    return null;
  }
  const status = entitlementStatusOf(e.access, prevStatus);
  if (status === null) return null;
  await tx.marketplaceEntitlement.upsert({
    where: key,
    create: {
      ...key.tenantId_listingId,
      stripeSubscriptionId: e.subscriptionId,
      status,
      accessUntil: e.accessUntil,
    },
    update: { stripeSubscriptionId: e.subscriptionId, status, accessUntil: e.accessUntil },
  });
  await tx.$executeRaw`
    UPDATE marketplace_listings SET subscribers =
      (SELECT count(*) FROM marketplace_entitlements WHERE listing_id = ${e.listingId}::uuid AND status = 'active')
    WHERE id = ${e.listingId}::uuid`;
  return status === prevStatus ? null : { tenantId: e.tenantId, listingId: e.listingId, access: status };
}
