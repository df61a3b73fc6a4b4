import { attachCard, cardFromNumber } from '../cards.ts';
import type { Ctx } from '../context.ts';
import { emit } from '../context.ts';
import { StripeApiError } from '../errors.ts';
import { customerOf, formatAmount, payNow } from '../resources/billing.ts';
import type { Invoice } from '../wire.ts';
import { esc, page } from './html.ts';
import type { PageHandler, PageResult } from './routes.ts';

const day = (seconds: number | null | undefined) =>
  seconds ? new Date(seconds * 1000).toISOString().slice(0, 10) : '';

/**
 * The hosted invoice page (`invoice.hosted_invoice_url`): what Stripe shows a customer who follows the
 * link in an invoice email or on the platform's billing page: number, status, lines, totals and, for an
 * open invoice, a card form that pays it (as Stripe's page does; the card becomes the customer's).
 */
function render(invoice: Invoice, error?: string, status = 200): PageResult {
  const currency = invoice.currency;
  const lines = invoice.lines.data
    .map(
      (l) =>
        `<tr><td>${esc(l.description ?? '')}<br><small>${esc(day(l.period?.start))} – ${esc(day(l.period?.end))}</small></td><td style="text-align:right">${esc(formatAmount(l.amount, currency))}</td></tr>`,
    )
    .join('');
  const open = invoice.status === 'open';
  const payForm = open
    ? `<form method="post" action="/i/${esc(invoice.id)}">
  <label for="cardNumber">Card number</label>
  <input id="cardNumber" name="cardNumber" inputmode="numeric" autocomplete="cc-number" placeholder="4242 4242 4242 4242" required>
  <button type="submit" data-testid="pay-invoice">Pay ${esc(formatAmount(invoice.amount_remaining, currency))}</button>
</form>`
    : '';
  const body = `
<h1>Invoice ${esc(invoice.number ?? invoice.id)}</h1>
<p data-testid="invoice-status">Status: <strong>${esc(invoice.status ?? '')}</strong>${invoice.status_transitions?.paid_at ? ` (paid ${esc(day(invoice.status_transitions.paid_at))})` : ''}</p>
<p>Billed to ${esc(invoice.customer_email ?? customerOf({ customer: invoice.customer }))} · issued ${esc(day(invoice.created))}</p>
<table style="width:100%;border-collapse:collapse">${lines}
<tr><td><strong>Total</strong></td><td style="text-align:right"><strong>${esc(formatAmount(invoice.total, currency))}</strong></td></tr>
<tr><td>Amount paid</td><td style="text-align:right" data-testid="invoice-paid">${esc(formatAmount(invoice.amount_paid, currency))}</td></tr>
<tr><td>Amount due</td><td style="text-align:right">${esc(formatAmount(invoice.amount_remaining, currency))}</td></tr>
</table>
${payForm}
${error ? `<p class="error" role="alert" data-testid="error">${esc(error)}</p>` : ''}`;
  return { status, html: page(`Invoice ${invoice.number ?? invoice.id}`, body) };
}

function invoiceOf(ctx: Ctx, id: string | undefined): Invoice {
  const invoice = ctx.store.find('invoice', id ?? '');
  // Drafts have no hosted page on Stripe either.
  if (!invoice || invoice.status === 'draft')
    throw new StripeApiError(404, { type: 'invalid_request_error', message: 'No such invoice.' });
  return invoice;
}

export const showInvoice: PageHandler = (ctx, _form, [id]) => render(invoiceOf(ctx, id));

export const payInvoice: PageHandler = (ctx, form, [id]) => {
  const invoice = invoiceOf(ctx, id);
  if (invoice.status !== 'open') return render(invoice);
  try {
    const customer = customerOf({ customer: invoice.customer });
    const pm = attachCard(ctx, cardFromNumber(form.get('cardNumber') ?? ''), customer);
    emit(ctx, 'payment_method.attached', pm);
    const outcome = payNow(ctx, invoice, pm.id);
    if (!outcome.ok) return render(invoice, outcome.error?.message ?? 'Your card was declined.', 402);
  } catch (err) {
    if (err instanceof StripeApiError) return render(invoice, err.body.message, 402);
    throw err;
  }
  return { redirect: `/i/${invoice.id}` };
};
