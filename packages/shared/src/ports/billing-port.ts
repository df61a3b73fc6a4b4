import type { BillingOverview, PlanPriceView, RedirectView, StartPlanCheckoutInput } from '../index.ts';
import type { BillingScope } from './scopes.ts';

/**
 * What the API needs from billing (implemented by `@qt/billing`'s BillingService, wired by the engine to
 * Stripe or to the project's Stripe emulator). Prices come from the server's catalog only: the input
 * names a tier and an interval, never an amount or a Stripe price id. Nothing here grants a plan: the
 * tier changes only from verified webhook events (or the reconciliation job reading Stripe).
 */
export interface BillingPort {
  /** The paid plans' prices (public: the Pricing page). */
  plans(): Promise<PlanPriceView[]>;
  overview(scope: BillingScope): Promise<BillingOverview>;
  /** A Checkout Session for the plan; BILLING_ALREADY_SUBSCRIBED when a plan subscription is live. */
  startPlanCheckout(scope: BillingScope, input: StartPlanCheckoutInput): Promise<RedirectView>;
  /** A billing portal session (change plan, card, cancel); BILLING_NO_CUSTOMER before any checkout. */
  openPortal(scope: BillingScope): Promise<RedirectView>;
}
