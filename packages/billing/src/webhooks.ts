import type Stripe from 'stripe';
import { type ApplyResult, applySubscription, recordEvent } from './apply-subscription.ts';
import type { Catalog } from './catalog.ts';
import type { BillingContext } from './context.ts';
import { isDatabaseUnavailable } from './database-unavailable.ts';
import { callHooks } from './hooks-after-commit.ts';
import { isStripeMissing, isStripeUnavailable } from './stripe-call.ts';

/** Larger bodies are refused before any work (Stripe's events are a few KiB). */
export const MAX_WEBHOOK_BYTES = 1024 * 1024;

export interface WebhookAnswer {
  status: number;
  body: Record<string, unknown>;
}

const SUBSCRIPTION_EVENTS = new Set([
  'checkout.session.completed',
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'customer.subscription.paused',
  'customer.subscription.resumed',
  'customer.subscription.trial_will_end',
  'invoice.paid',
  'invoice.payment_failed',
  'invoice.payment_succeeded',
]);

/**
 * One Stripe webhook delivery. 400: no valid signature within the tolerance (nothing written, Stripe
 * gives up eventually; a forger learns nothing). 503: the database or Stripe cannot be reached (Stripe
 * retries; nothing was committed). 200: applied, ignored, or already applied (a duplicate).
 */
export async function handleWebhook(
  ctx: BillingContext,
  catalog: Catalog,
  secret: string,
  toleranceSeconds: number,
  rawBody: Buffer,
  signature: string | undefined,
): Promise<WebhookAnswer> {
  if (rawBody.length > MAX_WEBHOOK_BYTES) return { status: 413, body: { error: 'payload too large' } };
  if (!signature) return { status: 400, body: { error: 'missing Stripe-Signature header' } };
  let event: Stripe.Event;
  try {
    event = ctx.stripe.webhooks.constructEvent(rawBody, signature, secret, toleranceSeconds);
  } catch (err) {
    ctx.logger.warn(
      { err: (err as Error).message },
      'stripe webhook refused: bad signature or stale timestamp',
    );
    return { status: 400, body: { error: 'invalid signature' } };
  }
  try {
    const result = await processEvent(ctx, catalog, event);
    return { status: 200, body: { received: true, outcome: result } };
  } catch (err) {
    if (isDatabaseUnavailable(err) || isStripeUnavailable(err)) {
      ctx.logger.warn(
        { event: event.id, type: event.type, err: String(err) },
        'stripe webhook deferred (503)',
      );
      return { status: 503, body: { error: 'temporarily unavailable, retry' } };
    }
    ctx.logger.error({ event: event.id, type: event.type, err }, 'stripe webhook failed');
    return { status: 500, body: { error: 'internal error' } };
  }
}

async function processEvent(ctx: BillingContext, catalog: Catalog, event: Stripe.Event): Promise<string> {
  const ref = { id: event.id, type: event.type, created: event.created };
  if (SUBSCRIPTION_EVENTS.has(event.type)) {
    const subscriptionId = subscriptionIdOf(event);
    if (subscriptionId) {
      await catalog.ensure();
      // The latest state, not the event's copy: duplicates and out-of-order deliveries then converge.
      let sub: Stripe.Subscription;
      try {
        sub = await ctx.stripe.subscriptions.retrieve(subscriptionId);
      } catch (err) {
        if (!isStripeMissing(err)) throw err;
        return ignore(ctx, ref);
      }
      const result: ApplyResult = await applySubscription(ctx, catalog, sub, { kind: 'event', ...ref });
      await callHooks(ctx, result);
      return result.outcome;
    }
  }
  if (event.type === 'account.updated') {
    const account = event.data.object as Stripe.Account;
    const applied = await ctx.db.$transaction(async (tx) => {
      if (!(await recordEvent(tx, ref, 'applied'))) return 'duplicate';
      // Retrieve-latest as for subscriptions would cost a call per event; the flags only ever move
      // forward in onboarding, and sellerAccount(refresh) re-reads them when it matters.
      await tx.marketplaceSeller.updateMany({
        where: { stripeAccountId: account.id },
        data: {
          chargesEnabled: account.charges_enabled ?? false,
          payoutsEnabled: account.payouts_enabled ?? false,
          detailsSubmitted: account.details_submitted ?? false,
        },
      });
      return 'applied';
    });
    return applied;
  }
  return ignore(ctx, ref);
}

async function ignore(
  ctx: BillingContext,
  ref: { id: string; type: string; created: number },
): Promise<string> {
  // One statement: it commits on its own, no interactive transaction needed.
  const fresh = await recordEvent(ctx.db, ref, 'ignored');
  return fresh ? 'ignored' : 'duplicate';
}

function subscriptionIdOf(event: Stripe.Event): string | null {
  const o = event.data.object as {
    object?: string;
    id?: string;
    subscription?: string | { id: string } | null;
    parent?: { subscription_details?: { subscription?: string | { id: string } | null } | null } | null;
  };
  const idOf = (v: string | { id: string } | null | undefined) =>
    typeof v === 'string' ? v : (v?.id ?? null);
  if (o.object === 'subscription') return o.id ?? null;
  if (o.object === 'checkout.session') return idOf(o.subscription);
  if (o.object === 'invoice') return idOf(o.parent?.subscription_details?.subscription);
  return null;
}
