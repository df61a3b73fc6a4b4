import { withClient } from '@qt/db';
import type Stripe from 'stripe';
import { z } from 'zod';
import {
  APPLY_TIMEOUT_MS,
  type ApplyResult,
  applySubscription,
  derivePlanTier,
  endStoredSubscription,
} from './apply-subscription.ts';
import type { Catalog } from './catalog.ts';
import type { BillingContext } from './context.ts';
import { callHooks } from './hooks-after-commit.ts';
import { isResourceMissing, stripeCall, toBillingError } from './stripe-call.ts';

/** Stripe subscriptions read per run; beyond it the next run continues from the newest again. */
const MAX_SUBSCRIPTIONS = 50_000;
/** Stored customers read back to prove the Stripe account is the one they were created in. */
const MAX_CUSTOMER_PROBES = 5;
const LOCK_KEY = `hashtext('qt:billing:reconcile')`;

const kindSchema = z.enum(['plan', 'listing']);

/** What one process remembers between runs (in memory: there is no settings table for it). */
export interface ReconcileState {
  databaseUrl: string | null;
  /** The Stripe account and mode of the first run; a later run against another ends nothing. */
  identity: { account: string | null; livemode: boolean | null } | null;
}

export function newReconcileState(databaseUrl: string | undefined): ReconcileState {
  return { databaseUrl: databaseUrl ?? null, identity: null };
}

/**
 * Compares Stripe's subscriptions with what the platform stored and repairs the difference: each of ours
 * is applied as a webhook would (updated_from `reconcile`), local rows Stripe no longer has end (unless
 * that looks like the wrong Stripe, see `endMissing`), and a tier that differs from the derived one is
 * applied again (a hook that failed after a commit). One engine at a time: a session advisory lock on a
 * connection of its own, unlocked in `finally` (and by the server if the connection dies); another
 * engine finding it taken returns at once.
 */
export async function reconcile(
  ctx: BillingContext,
  catalog: Catalog,
  state: ReconcileState,
): Promise<{ checked: number; repaired: number }> {
  const skipped = () => {
    ctx.logger.debug({}, 'billing reconcile skipped: another engine holds the lock');
    return { checked: 0, repaired: 0 };
  };
  if (state.databaseUrl) {
    return withClient(state.databaseUrl, async (client) => {
      const lock = await client.query<{ locked: boolean }>(
        `SELECT pg_try_advisory_lock(${LOCK_KEY}) AS locked`,
      );
      if (!lock.rows[0]?.locked) return skipped();
      try {
        return await run(ctx, catalog, state);
      } finally {
        await client.query(`SELECT pg_advisory_unlock(${LOCK_KEY})`).catch((err: unknown) => {
          // Closing the connection (withClient does next) releases it anyway.
          ctx.logger.warn({ err: String(err) }, 'billing reconcile: unlock failed');
        });
      }
    });
  }
  const result = await ctx.db.$transaction(
    async (tx) => {
      const [row] = await tx.$queryRaw<{ locked: boolean }[]>`
        SELECT pg_try_advisory_xact_lock(hashtext('qt:billing:reconcile')) AS locked`;
      return row?.locked ? run(ctx, catalog, state) : null;
    },
    // Without a database URL only: the run talks to Stripe while the lock's transaction stays open.
    { timeout: 10 * 60_000, maxWait: 10_000 },
  );
  return result ?? skipped();
}

async function run(
  ctx: BillingContext,
  catalog: Catalog,
  state: ReconcileState,
): Promise<{ checked: number; repaired: number }> {
  let checked = 0;
  let repaired = 0;
  const seen = new Set<string>();
  const tenants = new Set<string>();
  let livemode: boolean | null = null;
  const report = async (id: string, result: ApplyResult) => {
    if (result.outcome !== 'applied') return;
    const drift =
      result.before?.status !== result.after?.status || result.before?.access !== result.after?.access;
    if (drift || result.tierChange || result.listingChange) {
      repaired++;
      ctx.logger.warn(
        { subscription: id, before: result.before, after: result.after },
        'billing reconcile: drift repaired',
      );
    }
    await callHooks(ctx, result);
  };
  try {
    let startingAfter: string | undefined;
    while (checked < MAX_SUBSCRIPTIONS) {
      // Wall clock, as the rows' updated_at: a row written at or after this is re-read under its lock
      // instead of being overwritten with this (by then older) page.
      const readAt = Date.now();
      const page = await ctx.stripe.subscriptions.list({
        status: 'all',
        limit: 100,
        ...(startingAfter ? { starting_after: startingAfter } : {}),
      });
      for (const sub of page.data) {
        checked++;
        livemode ??= sub.livemode;
        if (!kindSchema.safeParse(sub.metadata?.qt_kind).success) continue;
        seen.add(sub.id);
        if (sub.metadata?.qt_kind === 'plan' && sub.metadata.qt_tenant) tenants.add(sub.metadata.qt_tenant);
        const result = await applySubscription(
          ctx,
          catalog,
          sub.id,
          { kind: 'reconcile' },
          { kind: 'snapshot', sub, readAt },
        );
        await report(sub.id, result);
      }
      const last = page.data.at(-1);
      if (!page.has_more || !last) break;
      startingAfter = last.id;
    }
  } catch (err) {
    throw toBillingError('listing subscriptions', err);
  }

  // Local rows the listing did not show: read each; those Stripe says do not exist are candidates to end.
  const candidates = await ctx.db.billingSubscription.findMany({
    where: { access: { not: 'ended' } },
    select: { stripeSubscriptionId: true, stripeCustomerId: true },
    take: MAX_SUBSCRIPTIONS,
  });
  const missing: { stripeSubscriptionId: string; stripeCustomerId: string }[] = [];
  for (const row of candidates) {
    if (seen.has(row.stripeSubscriptionId)) continue;
    const readAt = Date.now();
    const sub = await stripeCall('reading a subscription', () =>
      ctx.stripe.subscriptions.retrieve(row.stripeSubscriptionId).then(
        (s: Stripe.Subscription) => s,
        (err: unknown) => {
          if (isResourceMissing(err)) return null;
          throw err;
        },
      ),
    );
    if (sub) {
      livemode ??= sub.livemode;
      const result = await applySubscription(
        ctx,
        catalog,
        sub.id,
        { kind: 'reconcile' },
        { kind: 'snapshot', sub, readAt },
      );
      await report(sub.id, result);
    } else {
      missing.push(row);
    }
  }
  // Read on every run, not only when something is missing: the first run's account is what a later run
  // (after the key was changed) is compared with.
  const identity = await checkIdentity(ctx, state, livemode);
  if (missing.length > 0 && (await safeToEnd(ctx, identity, candidates.length, missing))) {
    for (const row of missing) {
      const ended = await endMissing(ctx, row.stripeSubscriptionId);
      if (ended) {
        ctx.logger.warn(
          { subscription: row.stripeSubscriptionId },
          'billing reconcile: not in Stripe, ended',
        );
        await report(row.stripeSubscriptionId, ended);
      }
    }
  }
  // Tiers that differ from what the subscriptions derive (a hook failed after its commit).
  for (const tenantId of tenants) {
    const change = await ctx.db.$transaction((tx) => derivePlanTier(tx, tenantId), {
      timeout: APPLY_TIMEOUT_MS,
    });
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

/**
 * Whether the subscriptions Stripe says it does not have may be ended. Pointing the engine at another
 * Stripe account (a test key, a new account, a mistyped key) makes EVERY stored subscription "missing";
 * ending them would take every customer's plan and every buyer's strategies away. So nothing ends when:
 * the account or mode differs from the first run's; a stored customer of the missing rows is unknown to
 * this Stripe (customers are never removed, only marked deleted, so an unknown one proves another
 * account); or more than max(3, 10 %) of the candidates are missing at once (a breaker for what the
 * checks above cannot see). Each case is logged as an error for an operator.
 */
async function safeToEnd(
  ctx: BillingContext,
  identity: IdentityCheck,
  candidates: number,
  missing: { stripeSubscriptionId: string; stripeCustomerId: string }[],
): Promise<boolean> {
  const refuse = (why: string, extra: object = {}): false => {
    ctx.logger.error(
      { why, missing: missing.length, candidates, sample: missing.slice(0, 5), ...extra },
      'billing reconcile: subscriptions missing in Stripe NOT ended',
    );
    return false;
  };
  const limit = Math.max(3, Math.floor(candidates * 0.1));
  if (missing.length > limit) return refuse(`more than ${limit} missing at once`);
  if (identity.changed)
    return refuse('the Stripe account or mode differs from the first reconciliation', {
      first: identity.first,
      now: identity.now,
    });
  const customers = [...new Set(missing.map((m) => m.stripeCustomerId))].slice(0, MAX_CUSTOMER_PROBES);
  for (const customer of customers) {
    const known = await stripeCall('reading a customer', () =>
      ctx.stripe.customers.retrieve(customer).then(
        () => true,
        (err: unknown) => {
          if (isResourceMissing(err)) return false;
          throw err;
        },
      ),
    );
    if (!known) return refuse('a stored customer is unknown to this Stripe account', { customer });
  }
  return true;
}

type Identity = { account: string | null; livemode: boolean | null };
type IdentityCheck = { changed: boolean; first: Identity; now: Identity };

/** This run's Stripe account and mode against the first run's (recorded by the first run that reads them). */
async function checkIdentity(
  ctx: BillingContext,
  state: ReconcileState,
  livemode: boolean | null,
): Promise<IdentityCheck> {
  const now = { account: await accountId(ctx), livemode };
  const first = state.identity ?? now;
  // Fields the first run could not read are filled by a later one (e.g. no subscription showed the mode).
  state.identity = { account: first.account ?? now.account, livemode: first.livemode ?? now.livemode };
  const changed =
    (first.account !== null && now.account !== null && first.account !== now.account) ||
    (first.livemode !== null && now.livemode !== null && first.livemode !== now.livemode);
  return { changed, first, now };
}

/** The platform account's id (GET /v1/account); null where it cannot be read (a restricted key may not). */
async function accountId(ctx: BillingContext): Promise<string | null> {
  try {
    return (await ctx.stripe.accounts.retrieveCurrent()).id;
  } catch (err) {
    ctx.logger.debug({ err: String(err) }, 'billing reconcile: platform account not readable');
    return null;
  }
}

async function endMissing(ctx: BillingContext, id: string): Promise<ApplyResult | null> {
  return ctx.db.$transaction(
    async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`qt:billing:sub:${id}`}))`;
      const row = await tx.billingSubscription.findUnique({ where: { stripeSubscriptionId: id } });
      if (!row || row.access === 'ended') return null;
      return endStoredSubscription(tx, row, {
        status: 'canceled',
        updatedFrom: 'reconcile',
        endedAt: new Date(ctx.clock.now()),
      });
    },
    { timeout: APPLY_TIMEOUT_MS, maxWait: 10_000 },
  );
}
