import type Stripe from 'stripe';
import { z } from 'zod';
import { applySubscription, derivePlanTier } from './apply-subscription.ts';
import type { Catalog } from './catalog.ts';
import type { BillingContext } from './context.ts';
import { callHooks } from './hooks-after-commit.ts';
import { stripeCall, toBillingError } from './stripe-call.ts';

/** Stripe subscriptions read per run; beyond it the next run continues from the newest again. */
const MAX_SUBSCRIPTIONS = 50_000;

const kindSchema = z.enum(['plan', 'listing']);

/**
 * Compares Stripe's subscriptions with what the platform stored and repairs the difference: each of ours
 * is applied as a webhook would (updated_from `reconcile`), local rows Stripe no longer has end, and a
 * tier that differs from the derived one is applied again (a hook that failed after a commit). Runs
 * under a transaction-level advisory lock held for the run, so one engine reconciles at a time; another
 * engine finding it taken returns at once.
 */
export async function reconcile(
  ctx: BillingContext,
  catalog: Catalog,
): Promise<{ checked: number; repaired: number }> {
  const lock = await ctx.db.$transaction(
    async (tx) => {
      const [row] = await tx.$queryRaw<{ locked: boolean }[]>`
        SELECT pg_try_advisory_xact_lock(hashtext('qt:billing:reconcile')) AS locked`;
      if (!row?.locked) return null;
      return run(ctx, catalog);
    },
    // The run talks to Stripe while the lock's transaction stays open.
    { timeout: 10 * 60_000, maxWait: 10_000 },
  );
  if (!lock) {
    ctx.logger.debug({}, 'billing reconcile skipped: another engine holds the lock');
    return { checked: 0, repaired: 0 };
  }
  return lock;
}

async function run(ctx: BillingContext, catalog: Catalog): Promise<{ checked: number; repaired: number }> {
  await catalog.ensure();
  let checked = 0;
  let repaired = 0;
  const seen = new Set<string>();
  const tenants = new Set<string>();
  try {
    for await (const sub of ctx.stripe.subscriptions.list({ status: 'all', limit: 100 })) {
      if (++checked > MAX_SUBSCRIPTIONS) break;
      if (!kindSchema.safeParse(sub.metadata?.qt_kind).success) continue;
      seen.add(sub.id);
      const result = await applySubscription(ctx, catalog, sub, { kind: 'reconcile' });
      if (result.outcome !== 'applied') continue;
      if (sub.metadata?.qt_kind === 'plan' && sub.metadata.qt_tenant) tenants.add(sub.metadata.qt_tenant);
      const drift =
        result.before?.status !== result.after?.status || result.before?.access !== result.after?.access;
      if (drift || result.tierChange || result.listingChange) {
        repaired++;
        ctx.logger.warn(
          { subscription: sub.id, before: result.before, after: result.after },
          'billing reconcile: drift repaired',
        );
      }
      await callHooks(ctx, result);
    }
  } catch (err) {
    throw toBillingError('listing subscriptions', err);
  }
  // Rows Stripe no longer has (deleted in the dashboard, another account): nothing grants access.
  const stale = await ctx.db.billingSubscription.findMany({
    where: { access: { not: 'ended' } },
    select: { stripeSubscriptionId: true },
    take: MAX_SUBSCRIPTIONS,
  });
  for (const row of stale) {
    if (seen.has(row.stripeSubscriptionId)) continue;
    const exists = await stripeCall('reading a subscription', () =>
      ctx.stripe.subscriptions.retrieve(row.stripeSubscriptionId).then(
        (s: Stripe.Subscription) => s,
        (err: unknown) => {
          if ((err as { statusCode?: number }).statusCode === 404) return null;
          throw err;
        },
      ),
    );
    if (exists) {
      await callHooks(ctx, await applySubscription(ctx, catalog, exists, { kind: 'reconcile' }));
      continue;
    }
    const ended = await endMissing(ctx, row.stripeSubscriptionId);
    if (ended) {
      repaired++;
      ctx.logger.warn({ subscription: row.stripeSubscriptionId }, 'billing reconcile: not in Stripe, ended');
      await callHooks(ctx, ended);
    }
  }
  // Tiers that differ from what the subscriptions derive (a hook failed after its commit).
  for (const tenantId of tenants) {
    const change = await ctx.db.$transaction((tx) => derivePlanTier(tx, tenantId));
    if (change) {
      repaired++;
      await callHooks(ctx, {
        outcome: 'applied',
        tierChange: change,
        listingChange: null,
        before: null,
        after: null,
      });
    }
  }
  // The event ledger only has to outlive Stripe's redelivery window (3 days of retries) and a replay by
  // hand: 90 days, deleted in bounded batches so one run never holds a long lock.
  let pruned = 0;
  for (let i = 0; i < 20; i++) {
    const n = await ctx.db.$executeRaw`
      DELETE FROM stripe_events WHERE id IN (
        SELECT id FROM stripe_events WHERE received_at < now() - interval '90 days' LIMIT 5000)`;
    pruned += n;
    if (n < 5000) break;
  }
  ctx.logger.info({ checked, repaired, prunedEvents: pruned }, 'billing reconcile done');
  return { checked, repaired };
}

async function endMissing(ctx: BillingContext, id: string) {
  return ctx.db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`qt:billing:sub:${id}`}))`;
    const row = await tx.billingSubscription.findUnique({ where: { stripeSubscriptionId: id } });
    if (!row || row.access === 'ended') return null;
    await tx.billingSubscription.update({
      where: { stripeSubscriptionId: id },
      data: {
        access: 'ended',
        status: 'canceled',
        updatedFrom: 'reconcile',
        endedAt: new Date(ctx.clock.now()),
      },
    });
    const before = { status: row.status, access: row.access };
    const after = { status: 'canceled', access: 'ended' };
    if (row.kind === 'plan') {
      return {
        outcome: 'applied' as const,
        tierChange: await derivePlanTier(tx, row.tenantId),
        listingChange: null,
        before,
        after,
      };
    }
    const listingId = row.listingId as string;
    const ent = await tx.marketplaceEntitlement.findUnique({
      where: { tenantId_listingId: { tenantId: row.tenantId, listingId } },
    });
    let listingChange = null;
    if (ent?.stripeSubscriptionId === id && ent.status === 'active') {
      await tx.marketplaceEntitlement.update({
        where: { tenantId_listingId: { tenantId: row.tenantId, listingId } },
        data: { status: 'ended' },
      });
      await tx.$executeRaw`
        UPDATE marketplace_listings SET subscribers =
          (SELECT count(*) FROM marketplace_entitlements WHERE listing_id = ${listingId}::uuid AND status = 'active')
        WHERE id = ${listingId}::uuid`;
      listingChange = { tenantId: row.tenantId, listingId, access: 'ended' as const };
    }
    return { outcome: 'applied' as const, tierChange: null, listingChange, before, after };
  });
}
