import { AppError, type BillingScope, type RedirectView } from '@qt/shared';
import type { Catalog } from './catalog.ts';
import type { BillingContext } from './context.ts';
import { customerOf } from './customers.ts';
import { stripeCall } from './stripe-call.ts';

/** A billing portal session: switch among the plan prices, update the card, cancel at period end. */
export async function openPortal(
  ctx: BillingContext,
  catalog: Catalog,
  scope: BillingScope,
): Promise<RedirectView> {
  const customer = await customerOf(ctx, scope.tenantId);
  if (!customer) {
    throw new AppError('BILLING_NO_CUSTOMER', 'There is nothing to manage yet: choose a plan first.');
  }
  const configuration = await catalog.portalConfiguration();
  const session = await stripeCall('opening the billing portal', () =>
    ctx.stripe.billingPortal.sessions.create({
      customer,
      configuration,
      return_url: `${ctx.webPublicUrl}/billing`,
    }),
  );
  return { url: session.url };
}
