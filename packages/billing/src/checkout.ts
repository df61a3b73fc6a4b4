import {
  AppError,
  type BillingScope,
  type RedirectView,
  type StartPlanCheckoutInput,
  startPlanCheckoutInput,
} from '@qt/shared';
import type { Catalog } from './catalog.ts';
import type { BillingContext } from './context.ts';
import { ensureCustomer } from './customers.ts';
import { reuseOpenCheckout } from './open-checkout.ts';
import { stripeCall } from './stripe-call.ts';

/**
 * A Checkout Session for a plan. The price comes from the catalog by tier and interval, never from the
 * request; nothing is granted here (the tier changes only from the verified webhook that follows).
 */
export async function startPlanCheckout(
  ctx: BillingContext,
  catalog: Catalog,
  scope: BillingScope,
  rawInput: StartPlanCheckoutInput,
): Promise<RedirectView> {
  const parsed = startPlanCheckoutInput.safeParse(rawInput);
  if (!parsed.success) {
    throw new AppError(
      'VALIDATION_FAILED',
      'Choose a paid tier (PRO, ENTERPRISE) and an interval (month, year).',
    );
  }
  const input = parsed.data;
  const live = await ctx.db.billingSubscription.findFirst({
    where: { tenantId: scope.tenantId, kind: 'plan', access: { in: ['active', 'grace'] } },
  });
  if (live) {
    throw new AppError(
      'BILLING_ALREADY_SUBSCRIBED',
      `This organisation already has the ${live.planTier} plan; change or cancel it in the billing portal.`,
      { tier: live.planTier },
    );
  }
  const price = await catalog.price(input.tier, input.interval);
  const customer = await ensureCustomer(ctx, scope);
  const metadata = { qt_kind: 'plan', qt_tenant: scope.tenantId, qt_tier: input.tier };
  const sessionMetadata = { ...metadata, qt_price: price.priceId };
  const open = await reuseOpenCheckout(ctx, customer, sessionMetadata);
  if (open) return { url: open };
  const session = await stripeCall('starting checkout', () =>
    ctx.stripe.checkout.sessions.create({
      mode: 'subscription',
      customer,
      line_items: [{ price: price.priceId, quantity: 1 }],
      client_reference_id: scope.tenantId,
      success_url: `${ctx.webPublicUrl}/billing?checkout={CHECKOUT_SESSION_ID}`,
      cancel_url: `${ctx.webPublicUrl}/billing`,
      metadata: sessionMetadata,
      subscription_data: { metadata },
    }),
  );
  if (!session.url)
    throw new AppError('BILLING_UNAVAILABLE', 'Stripe answered a checkout session without a page.');
  return { url: session.url };
}
