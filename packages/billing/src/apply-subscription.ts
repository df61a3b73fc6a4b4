import type { Db, Prisma } from '@qt/db';
import type { SubscriptionAccess, Tier } from '@qt/shared';
import type Stripe from 'stripe';
import { z } from 'zod';
import { type Catalog, isRecurringWholeAmount, productIdOf } from './catalog.ts';
import type { BillingContext } from './context.ts';
import { isResourceMissing, toBillingError } from './stripe-call.ts';
import {
  accessOf,
  listingEntitlementOf,
  mergeSnapshot,
  mustReread,
  planTierOf,
} from './subscription-state.ts';

/** Where a subscription's state came from: a verified event (recorded in the ledger) or reconciliation. */
export type ApplySource =
  | { kind: 'event'; id: string; type: string; created: number }
  | { kind: 'reconcile' };

/**
 * How the subscription's state is obtained. `latest`: read from Stripe under the subscription's lock (the
 * webhook path: it has to read once anyway, and a read taken after the lock is newer than anything
 * committed before it). `snapshot`: read earlier (a reconciliation page, `readAt` = wall-clock ms taken
 * before the page was requested); it is read again under the lock when the stored row was written at or
 * after `readAt`, so an older read never overwrites a newer commit.
 */
export type SubscriptionRead =
  | { kind: 'latest' }
  | { kind: 'snapshot'; sub: Stripe.Subscription; readAt: number };

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

/**
 * Rows are written with the writer's wall clock (Prisma's @updatedAt) and `readAt` is this process's:
 * a row written up to this long before `readAt` is re-read too, so clocks apart by less never let an
 * older snapshot win. Costs one Stripe read per recently written row, nothing else.
 */
const CLOCK_SKEW_MS = 60_000;
/** Longest a subscription's transaction may stay open (it includes one Stripe read). */
export const APPLY_TIMEOUT_MS = 20_000;

const metadataSchema = z.discriminatedUnion('qt_kind', [
  // qt_tier is informative only: the price's product decides the tier (a portal switch keeps metadata).
  z.object({ qt_kind: z.literal('plan'), qt_tenant: z.uuid(), qt_tier: z.string().optional() }),
  z.object({ qt_kind: z.literal('listing'), qt_tenant: z.uuid(), qt_listing: z.uuid() }),
]);

type Tx = Prisma.TransactionClient;

const unix = (s: number | null | undefined): Date | null => (s ? new Date(s * 1000) : null);
const idOf = (v: string | { id: string } | null | undefined): string | null =>
  typeof v === 'string' ? v : (v?.id ?? null);

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

async function alreadyRecorded(tx: Tx, id: string): Promise<boolean> {
  const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM stripe_events WHERE id = ${id}`;
  return rows.length > 0;
}

/** The subscription as Stripe has it now; null when Stripe says it does not exist. */
async function retrieveLatest(ctx: BillingContext, id: string): Promise<Stripe.Subscription | null> {
  try {
    return await ctx.stripe.subscriptions.retrieve(id);
  } catch (err) {
    if (isResourceMissing(err)) return null;
    throw toBillingError('reading a subscription', err);
  }
}

/**
 * Applies one Stripe subscription in one transaction, under the subscription's advisory lock: the event
 * id into the ledger (a second delivery stops there), the subscription row, the tenant's tier or the
 * buyer's entitlement and the listing's subscriber count. Hooks are NOT called here: the caller calls
 * them after the commit with what this returns.
 *
 * A subscription is ours only if its metadata names a tenant and a target we created it for AND its price
 * is one we sell for that target (a plan product's price; any price of the listing's product) AND its
 * customer is the tenant's AND, for a listing, its transfers go to the seller's account. Anything else (a
 * subscription made by hand in the dashboard, a tampered one) grants nothing; a stored subscription that
 * no longer identifies (its price switched to a foreign one) has its access ended.
 */
export async function applySubscription(
  ctx: BillingContext,
  catalog: Catalog,
  subscriptionId: string,
  source: ApplySource,
  read: SubscriptionRead,
): Promise<ApplyResult> {
  const updatedFrom = source.kind === 'event' ? source.id : 'reconcile';
  const nothing: ApplyResult = {
    outcome: 'ignored',
    tierChange: null,
    listingChange: null,
    before: null,
    after: null,
  };
  return ctx.db.$transaction(
    async (tx) => {
      // One writer per subscription at a time, and the state is read after taking the lock: whoever
      // commits later also read later, so a newer state is never replaced by an older read.
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`qt:billing:sub:${subscriptionId}`}))`;
      if (source.kind === 'event' && (await alreadyRecorded(tx, source.id))) {
        return { ...nothing, outcome: 'duplicate' as const };
      }
      const prev = await tx.billingSubscription.findUnique({
        where: { stripeSubscriptionId: subscriptionId },
      });
      const stale =
        read.kind === 'latest' ||
        mustReread(prev ? prev.updatedAt.getTime() : null, read.readAt, CLOCK_SKEW_MS);
      const sub = stale ? await retrieveLatest(ctx, subscriptionId) : read.sub;
      let target = sub ? await identify(ctx, catalog, tx, sub) : null;
      if (
        target &&
        prev &&
        (prev.kind !== target.kind ||
          prev.tenantId !== target.tenantId ||
          (target.kind === 'listing' && prev.listingId !== target.listingId))
      ) {
        // The metadata now names another tenant or target than the one it was bought for: tampered.
        ctx.logger.warn(
          { subscription: subscriptionId, stored: { tenantId: prev.tenantId, kind: prev.kind } },
          'billing: subscription metadata changed its owner; it grants nothing',
        );
        target = null;
      }
      if (source.kind === 'event') {
        const outcome = sub && (target || prev) ? 'applied' : 'ignored';
        if (!(await recordEvent(tx, source, outcome))) return { ...nothing, outcome: 'duplicate' as const };
      }
      // Not in Stripe (any more): reconciliation decides about the stored row, with its safety checks.
      if (!sub) return nothing;
      const before = prev ? { status: prev.status, access: prev.access } : null;
      if (!target) {
        if (!prev) return nothing;
        ctx.logger.warn(
          { subscription: sub.id, tenantId: prev.tenantId, kind: prev.kind, status: sub.status },
          'billing: stored subscription no longer identifies as ours (foreign price); access ended',
        );
        return endStoredSubscription(tx, prev, {
          status: sub.status,
          updatedFrom,
          endedAt: unix(sub.ended_at),
        });
      }

      const item = sub.items.data[0] as Stripe.SubscriptionItem;
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
      if (kept !== incoming && prev) {
        // A subscription that already ended stays ended (Stripe never leaves a terminal status).
        return { ...nothing, outcome: 'applied' as const, before, after: before };
      }
      const access: SubscriptionAccess = accessOf(sub.status);
      const row = {
        tenantId: target.tenantId,
        kind: target.kind,
        planTier: target.kind === 'plan' ? target.tier : null,
        listingId: target.kind === 'listing' ? target.listingId : null,
        stripeCustomerId: idOf(sub.customer) as string,
        stripePriceId: item.price.id,
        billingInterval: item.price.recurring?.interval ?? 'month',
        // identify() accepted only whole amounts.
        amountCents: item.price.unit_amount as number,
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
        return { outcome: 'applied' as const, tierChange, listingChange: null, before, after };
      }
      const listingChange = await deriveEntitlement(tx, {
        tenantId: target.tenantId,
        listingId: target.listingId,
        subscriptionId: sub.id,
        decide: (existing) => listingEntitlementOf(sub.status, existing),
        accessUntil: row.currentPeriodEnd,
      });
      return { outcome: 'applied' as const, tierChange: null, listingChange, before, after };
    },
    { timeout: APPLY_TIMEOUT_MS, maxWait: 10_000 },
  );
}

type StoredSubscription = {
  stripeSubscriptionId: string;
  tenantId: string;
  kind: string;
  listingId: string | null;
  status: string;
  access: string;
  currentPeriodEnd: Date | null;
};

/**
 * Ends a stored subscription's access (it no longer identifies, or Stripe no longer has it) and derives
 * the tenant's tier or the buyer's entitlement again, in the caller's transaction (which holds the
 * subscription's lock).
 */
export async function endStoredSubscription(
  tx: Tx,
  row: StoredSubscription,
  change: { status: string; updatedFrom: string; endedAt: Date | null },
): Promise<ApplyResult> {
  const before = { status: row.status, access: row.access };
  const after = { status: change.status, access: 'ended' };
  await tx.billingSubscription.update({
    where: { stripeSubscriptionId: row.stripeSubscriptionId },
    data: {
      status: change.status,
      access: 'ended',
      updatedFrom: change.updatedFrom,
      ...(change.endedAt ? { endedAt: change.endedAt } : {}),
    },
  });
  if (row.kind === 'plan') {
    const tierChange = await derivePlanTier(tx, row.tenantId);
    return { outcome: 'applied', tierChange, listingChange: null, before, after };
  }
  if (!row.listingId) return { outcome: 'applied', tierChange: null, listingChange: null, before, after };
  const listingChange = await deriveEntitlement(tx, {
    tenantId: row.tenantId,
    listingId: row.listingId,
    subscriptionId: row.stripeSubscriptionId,
    decide: () => 'ended',
    accessUntil: row.currentPeriodEnd,
  });
  return { outcome: 'applied', tierChange: null, listingChange, before, after };
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
  const customerId = idOf(sub.customer);
  const tenantId = meta.data.qt_tenant;
  const customer = await tx.billingCustomer.findUnique({ where: { tenantId } });
  if (!customer || customer.stripeCustomerId !== customerId) return refuse('customer is not the tenant’s');
  if (meta.data.qt_kind === 'plan') {
    const tier = catalog.tierOfPrice(price);
    if (!tier) return refuse(`price ${price.id} is not one of our plan prices`);
    if (meta.data.qt_tier !== undefined && meta.data.qt_tier !== tier) {
      // Expected after a plan switch in the portal (Stripe keeps the checkout's metadata).
      ctx.logger.info(
        { subscription: sub.id, metadataTier: meta.data.qt_tier, priceTier: tier },
        'billing: plan tier from the price differs from the metadata; the price decides',
      );
    }
    return { kind: 'plan', tenantId, tier };
  }
  const listingId = meta.data.qt_listing;
  if (!isRecurringWholeAmount(price) || productIdOf(price) !== `qt_listing_${listingId}`) {
    return refuse(`price ${price.id} is not a price of the listing`);
  }
  const listing = await tx.marketplaceListing.findUnique({
    where: { id: listingId },
    select: { sellerTenantId: true },
  });
  if (!listing) return refuse('listing does not exist');
  const seller = await tx.marketplaceSeller.findUnique({ where: { tenantId: listing.sellerTenantId } });
  const destination = idOf(sub.transfer_data?.destination);
  if (!seller || destination !== seller.stripeAccountId) {
    return refuse('transfers do not go to the seller’s connected account');
  }
  return { kind: 'listing', tenantId, listingId };
}

/** Serialises tier derivations of one tenant (its plan subscriptions are applied concurrently). */
async function lockTenant(tx: Tx, tenantId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`qt:billing:tenant:${tenantId}`}))`;
}

/**
 * The tenant's tier from all its plan subscriptions; a change only if it differs from the stored tier.
 * Under the tenant's lock, held to the commit: a concurrent transaction of another of the tenant's
 * subscriptions waits and then reads this one's committed row (READ COMMITTED: each statement reads what
 * was committed before it began), so the tier returned is the one true at commit.
 */
export async function derivePlanTier(
  tx: Tx,
  tenantId: string,
): Promise<{ tenantId: string; tier: Tier } | null> {
  await lockTenant(tx, tenantId);
  const tier = await storedPlanTier(tx, tenantId);
  const tenant = await tx.tenant.findUnique({ where: { id: tenantId }, select: { tier: true } });
  return tenant && tenant.tier !== tier ? { tenantId, tier } : null;
}

/** The tier the stored plan subscriptions grant (committed state when `db` is not a transaction). */
export async function storedPlanTier(db: Tx | Db, tenantId: string): Promise<Tier> {
  const subs = await db.billingSubscription.findMany({
    where: { tenantId, kind: 'plan' },
    select: { planTier: true, access: true },
  });
  return planTierOf(subs);
}

async function deriveEntitlement(
  tx: Tx,
  e: {
    tenantId: string;
    listingId: string;
    subscriptionId: string;
    decide: (existing: 'active' | 'ended' | null) => 'active' | 'ended' | null;
    accessUntil: Date | null;
  },
): Promise<ApplyResult['listingChange']> {
  // The listing row's lock serialises every entitlement change of the listing, so the recount below
  // (a new statement, a new snapshot) sees the other buyers' committed changes: no stale count.
  await tx.$queryRaw`SELECT id FROM marketplace_listings WHERE id = ${e.listingId}::uuid FOR UPDATE`;
  const key = { tenantId_listingId: { tenantId: e.tenantId, listingId: e.listingId } };
  const existing = await tx.marketplaceEntitlement.findUnique({ where: key });
  const prevStatus = (existing?.status as 'active' | 'ended' | undefined) ?? null;
  const status = e.decide(prevStatus);
  if (status === null) return null;
  // A buyer who resubscribed holds a new subscription; the old one ending must not end the new access.
  if (
    existing?.stripeSubscriptionId &&
    existing.stripeSubscriptionId !== e.subscriptionId &&
    existing.status === 'active' &&
    status !== 'active'
  ) {
    return null;
  }
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
