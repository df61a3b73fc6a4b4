import { isDatabaseUnavailable } from '@qt/db';
import type Stripe from 'stripe';
import { APPLY_TIMEOUT_MS, type ApplyResult, applySubscription, recordEvent } from './apply-subscription.ts';
import type { Catalog } from './catalog.ts';
import type { BillingContext } from './context.ts';
import { callHooks } from './hooks-after-commit.ts';
import { isStripeUnavailable, stripeCall } from './stripe-call.ts';

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
  secrets: readonly string[],
  toleranceSeconds: number,
  rawBody: Buffer,
  signature: string | undefined,
): Promise<WebhookAnswer> {
  if (rawBody.length > MAX_WEBHOOK_BYTES) return { status: 413, body: { error: 'payload too large' } };
  if (!signature) return { status: 400, body: { error: 'missing Stripe-Signature header' } };
  // Each endpoint (the platform's, the Connect one) signs with its own secret: any one may verify.
  let event: Stripe.Event | null = null;
  let refusal = '';
  for (const secret of secrets) {
    try {
      event = ctx.stripe.webhooks.constructEvent(rawBody, signature, secret, toleranceSeconds);
      break;
    } catch (err) {
      refusal = (err as Error).message;
    }
  }
  if (!event) {
    ctx.logger.warn({ err: refusal }, 'stripe webhook refused: bad signature or stale timestamp');
    return { status: 400, body: { error: 'invalid signature' } };
  }
  const verified = event;
  try {
    const result = await processEvent(ctx, catalog, verified);
    return { status: 200, body: { received: true, outcome: result } };
  } catch (err) {
    if (isDatabaseUnavailable(err) || isStripeUnavailable(err)) {
      ctx.logger.warn(
        { event: verified.id, type: verified.type, err: String(err) },
        'stripe webhook deferred (503)',
      );
      return { status: 503, body: { error: 'temporarily unavailable, retry' } };
    }
    ctx.logger.error({ event: verified.id, type: verified.type, err }, 'stripe webhook failed');
    return { status: 500, body: { error: 'internal error' } };
  }
}

async function processEvent(ctx: BillingContext, catalog: Catalog, event: Stripe.Event): Promise<string> {
  const ref = { id: event.id, type: event.type, created: event.created };
  if (SUBSCRIPTION_EVENTS.has(event.type)) {
    const subscriptionId = subscriptionIdOf(event);
    if (subscriptionId) {
      // The latest state, read under the subscription's lock, not the event's copy: duplicates and
      // out-of-order deliveries then converge. No catalog call here: identifying a price needs none.
      const result: ApplyResult = await applySubscription(
        ctx,
        catalog,
        subscriptionId,
        { kind: 'event', ...ref },
        { kind: 'latest' },
      );
      await callHooks(ctx, result);
      return result.outcome;
    }
  }
  if (event.type === 'account.updated') {
    const accountId = (event.data.object as { id?: unknown }).id;
    if (typeof accountId !== 'string') return ignore(ctx, ref);
    return ctx.db.$transaction(
      async (tx) => {
        if (!(await recordEvent(tx, ref, 'applied'))) return 'duplicate';
        const seller = await tx.marketplaceSeller.findUnique({ where: { stripeAccountId: accountId } });
        if (!seller) return 'applied';
        // Stripe's account as it is now, not the event's copy: an older event delivered late must not
        // re-enable charges Stripe has since disabled (the flags can go back to false). Unreachable ->
        // the ledger row rolls back and the webhook answers 503 (Stripe delivers it again).
        const account = await stripeCall('reading the seller account', () =>
          ctx.stripe.accounts.retrieve(accountId),
        );
        await tx.marketplaceSeller.update({
          where: { tenantId: seller.tenantId },
          data: {
            chargesEnabled: account.charges_enabled ?? false,
            payoutsEnabled: account.payouts_enabled ?? false,
            detailsSubmitted: account.details_submitted ?? false,
          },
        });
        return 'applied';
      },
      { timeout: APPLY_TIMEOUT_MS, maxWait: 10_000 },
    );
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
  // Newer API versions name it under parent; older ones (and some accounts' pinned versions) directly.
  if (o.object === 'invoice')
    return idOf(o.parent?.subscription_details?.subscription) ?? idOf(o.subscription);
  return null;
}
