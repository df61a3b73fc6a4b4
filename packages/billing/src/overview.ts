import {
  type BillingInterval,
  type BillingOverview,
  type BillingScope,
  type InvoiceView,
  type PaidTier,
  PLAN_CURRENCY,
  PLAN_PRICES,
  type PlanPriceView,
  planLookupKey,
} from '@qt/shared';
import type Stripe from 'stripe';
import type { BillingContext } from './context.ts';
import { customerOf } from './customers.ts';
import { isStripeUnavailable, stripeCall, toBillingError } from './stripe-call.ts';

/** Invoices shown on the billing page (newest first). */
const MAX_INVOICES = 24;

/** The paid plans from the server's own table (no Stripe call: the catalog is created from it). */
export function plans(): PlanPriceView[] {
  const out: PlanPriceView[] = [];
  for (const tier of Object.keys(PLAN_PRICES) as PaidTier[]) {
    for (const interval of ['month', 'year'] as BillingInterval[]) {
      out.push({
        tier,
        interval,
        amountCents: PLAN_PRICES[tier][interval],
        currency: PLAN_CURRENCY,
        lookupKey: planLookupKey(tier, interval),
      });
    }
  }
  return out;
}

const iso = (s: number | null | undefined): string | null => (s ? new Date(s * 1000).toISOString() : null);

/** The billing page: plan as stored, invoices and the next invoice as Stripe has them. */
export async function overview(ctx: BillingContext, scope: BillingScope): Promise<BillingOverview> {
  const rows = await ctx.db.billingSubscription.findMany({
    where: { tenantId: scope.tenantId, kind: 'plan' },
    orderBy: { updatedAt: 'desc' },
    take: 20,
  });
  // The live one (highest tier first), else the most recent.
  const rank = (a: string) => (a === 'active' ? 0 : a === 'grace' ? 1 : a === 'none' ? 2 : 3);
  const row = [...rows].sort((a, b) => rank(a.access) - rank(b.access))[0] ?? null;
  const plan: BillingOverview['plan'] =
    row?.planTier && row.planTier !== 'FREE'
      ? {
          tier: row.planTier,
          interval: row.billingInterval === 'year' ? 'year' : 'month',
          amountCents: row.amountCents,
          currency: row.currency,
          status: row.status,
          access: row.access as 'active' | 'grace' | 'none' | 'ended',
          cancelAtPeriodEnd: row.cancelAtPeriodEnd,
          currentPeriodEnd: row.currentPeriodEnd?.toISOString() ?? null,
          trialEnd: row.trialEnd?.toISOString() ?? null,
        }
      : null;
  const customer = await customerOf(ctx, scope.tenantId);
  let invoices: InvoiceView[] = [];
  let nextInvoice: BillingOverview['nextInvoice'] = null;
  let openInvoice = false;
  if (customer) {
    const list = await stripeCall('reading invoices', () =>
      ctx.stripe.invoices.list({ customer, limit: MAX_INVOICES }),
    );
    invoices = list.data.map(invoiceView);
    openInvoice = list.data.some((i) => i.status === 'open');
    if (row && (row.access === 'active' || row.access === 'grace') && !row.cancelAtPeriodEnd) {
      try {
        const preview = await ctx.stripe.invoices.createPreview({
          customer,
          subscription: row.stripeSubscriptionId,
        });
        nextInvoice = {
          amountDueCents: preview.amount_due,
          currency: preview.currency,
          date: iso(preview.next_payment_attempt ?? preview.period_end),
        };
      } catch (err) {
        // Stripe down is an error of the page; "no upcoming invoice" (just ended, say) is not.
        if (isStripeUnavailable(err)) throw toBillingError('previewing the next invoice', err);
        ctx.logger.debug({ err: String(err) }, 'billing: no next invoice');
      }
    }
  }
  let paymentProblem: string | null = null;
  if (row?.access === 'grace') {
    paymentProblem =
      'The last renewal payment failed. Stripe retries it over the coming days; update your card in the billing portal to keep your plan.';
  } else if (openInvoice) {
    paymentProblem = 'An invoice is unpaid. Pay it or update your card in the billing portal.';
  }
  return { tier: scope.tier, stripeMode: ctx.mode, plan, nextInvoice, invoices, paymentProblem };
}

function invoiceView(i: Stripe.Invoice): InvoiceView {
  return {
    id: i.id ?? '',
    number: i.number ?? null,
    status: i.status ?? 'draft',
    amountDueCents: i.amount_due,
    amountPaidCents: i.amount_paid,
    currency: i.currency,
    created: new Date(i.created * 1000).toISOString(),
    periodStart: iso(i.period_start),
    periodEnd: iso(i.period_end),
    description: i.description ?? null,
    hostedInvoiceUrl: i.hosted_invoice_url ?? null,
  };
}
