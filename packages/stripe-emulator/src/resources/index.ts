import type { Ctx, Handler } from '../context.ts';
import type { CheckoutSession } from '../wire.ts';
import { catalogRoutes } from './catalog.ts';
import { checkoutRoutes, lineItemsOf } from './checkout.ts';
import { connectRoutes } from './connect.ts';
import { customerRoutes } from './customers.ts';
import { eventRoutes } from './events.ts';
import { moneyRoutes, refundsOf } from './money.ts';
import { portalRoutes } from './portal.ts';
import { subscriptionRoutes } from './subscriptions.ts';
import { testClockRoutes } from './test-clocks.ts';

export function apiRoutes(ctx: Ctx): [string, string, Handler][] {
  // `line_items` of a Checkout Session and `refunds` of a Charge are not stored on them; Stripe includes
  // them only when expanded.
  ctx.store.virtualExpander = (owner, field) =>
    owner.object === 'checkout.session' && field === 'line_items'
      ? lineItemsOf(ctx, owner as unknown as CheckoutSession)
      : owner.object === 'charge' && field === 'refunds'
        ? refundsOf(ctx, owner.id)
        : undefined;
  return [
    ...customerRoutes,
    ...catalogRoutes,
    ...checkoutRoutes,
    ...subscriptionRoutes,
    ...testClockRoutes,
    ...portalRoutes,
    ...connectRoutes,
    ...moneyRoutes,
    ...eventRoutes,
  ];
}
