import { billingOverviewSchema, planPriceSchema, redirectSchema, startPlanCheckoutInput } from '@qt/shared';
import { z } from 'zod';
import { billingOf, billingScopeOf } from '../domains/billing/scope.ts';
import { authedProcedure, manageProcedure, publicProcedure, router } from '../trpc.ts';

/**
 * The platform plan: prices (public), the tenant's plan, invoices and payment state, and the way to
 * Stripe's hosted pages. Spending the tenant's money needs `manage` (ADMIN and up, or a key with it).
 */
export const billingRouter = router({
  plans: publicProcedure.output(z.array(planPriceSchema)).query(({ ctx }) => billingOf(ctx.deps).plans()),
  overview: authedProcedure
    .output(billingOverviewSchema)
    .query(({ ctx }) => billingOf(ctx.deps).overview(billingScopeOf(ctx.principal))),
  startCheckout: manageProcedure
    .input(startPlanCheckoutInput)
    .output(redirectSchema)
    .mutation(({ ctx, input }) =>
      billingOf(ctx.deps).startPlanCheckout(billingScopeOf(ctx.principal), input),
    ),
  openPortal: manageProcedure
    .output(redirectSchema)
    .mutation(({ ctx }) => billingOf(ctx.deps).openPortal(billingScopeOf(ctx.principal))),
});
