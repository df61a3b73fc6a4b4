import { z } from 'zod';
import { tierSchema } from '../accounts/roles.ts';

/** Paid plans are billed monthly or yearly. */
export const billingInterval = z.enum(['month', 'year']);
export type BillingInterval = z.infer<typeof billingInterval>;

/** Paid tiers (FREE is the absence of a plan subscription). */
export const paidTier = z.enum(['PRO', 'ENTERPRISE']);
export type PaidTier = z.infer<typeof paidTier>;

/**
 * What a subscription gives access to now (derived from Stripe's status by the billing state machine):
 * `active` (trialing, active, or active until the period end after a cancellation), `grace` (a renewal
 * failed and Stripe is still retrying: access continues), `none` (not paid yet: incomplete), `ended`.
 */
export const subscriptionAccess = z.enum(['active', 'grace', 'none', 'ended']);
export type SubscriptionAccess = z.infer<typeof subscriptionAccess>;

export const planPriceSchema = z.strictObject({
  tier: paidTier,
  interval: billingInterval,
  /** Integer minor units of `currency`. */
  amountCents: z.number().int().nonnegative(),
  currency: z.string(),
  /** Stripe's price lookup key (`qt_pro_monthly`, ...). */
  lookupKey: z.string(),
});
export type PlanPriceView = z.infer<typeof planPriceSchema>;

export const invoiceSchema = z.strictObject({
  id: z.string(),
  number: z.string().nullable(),
  status: z.string(),
  amountDueCents: z.number().int(),
  amountPaidCents: z.number().int(),
  currency: z.string(),
  created: z.string(),
  periodStart: z.string().nullable(),
  periodEnd: z.string().nullable(),
  description: z.string().nullable(),
  hostedInvoiceUrl: z.string().nullable(),
});
export type InvoiceView = z.infer<typeof invoiceSchema>;

export const billingOverviewSchema = z.strictObject({
  tier: tierSchema,
  /** Stripe's mode for this engine: the project's emulator (offline), Stripe test mode or live. */
  stripeMode: z.enum(['emulator', 'test', 'live']),
  plan: z
    .strictObject({
      tier: paidTier,
      interval: billingInterval,
      amountCents: z.number().int(),
      currency: z.string(),
      status: z.string(),
      access: subscriptionAccess,
      cancelAtPeriodEnd: z.boolean(),
      currentPeriodEnd: z.string().nullable(),
      trialEnd: z.string().nullable(),
    })
    .nullable(),
  /** The next invoice Stripe would send (with waiting prorations), if any. */
  nextInvoice: z
    .strictObject({ amountDueCents: z.number().int(), currency: z.string(), date: z.string().nullable() })
    .nullable(),
  invoices: z.array(invoiceSchema),
  /** A payment problem to show: a failed renewal being retried, an unpaid invoice. */
  paymentProblem: z.string().nullable(),
});
export type BillingOverview = z.infer<typeof billingOverviewSchema>;

export const startPlanCheckoutInput = z.strictObject({
  tier: paidTier,
  interval: billingInterval,
});
export type StartPlanCheckoutInput = z.infer<typeof startPlanCheckoutInput>;

/** Where to send the browser: Stripe's hosted Checkout or billing portal page. */
export const redirectSchema = z.strictObject({ url: z.string() });
export type RedirectView = z.infer<typeof redirectSchema>;
