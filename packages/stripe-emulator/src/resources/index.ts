import type { Ctx, Handler } from '../context.ts';
import type { CheckoutSession } from '../wire.ts';
import { catalogRoutes } from './catalog.ts';
import { checkoutRoutes, lineItemsOf } from './checkout.ts';
import { connectRoutes } from './connect.ts';
import { customerRoutes } from './customers.ts';
import { eventRoutes } from './events.ts';
import { moneyRoutes } from './money.ts';
import { portalRoutes } from './portal.ts';
import { subscriptionRoutes } from './subscriptions.ts';
import { testClockRoutes } from './test-clocks.ts';

export function apiRoutes(ctx: Ctx): [string, string, Handler][] {
  // `line_items` of a Checkout Session is not stored on it; Stripe includes it only when expanded.
  ctx.store.virtualExpander = (owner, field) =>
    owner.object === 'checkout.session' && field === 'line_items'
      ? lineItemsOf(ctx, owner as unknown as CheckoutSession)
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
