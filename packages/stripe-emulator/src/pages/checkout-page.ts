import type { Ctx } from '../context.ts';
import { StripeApiError } from '../errors.ts';
import { formatAmount } from '../resources/billing.ts';
import { completeSession, lineItemsOf, openSession } from '../resources/checkout.ts';
import type { CheckoutSession } from '../wire.ts';
import { esc, page } from './html.ts';
import type { PageHandler, PageResult } from './routes.ts';

function render(ctx: Ctx, session: CheckoutSession, error?: string, status = 200): PageResult {
  if (session.status === 'complete') {
    return {
      html: page(
        'Paid',
        `<h1>Payment complete</h1><p><a href="${esc(successUrl(session))}">Continue</a></p>`,
      ),
    };
  }
  if (session.status === 'expired') {
    return { status: 410, html: page('Expired', '<h1>This checkout session has expired.</h1>') };
  }
  const item = lineItemsOf(ctx, session).data[0];
  const price = item?.price;
  const interval = price?.recurring
    ? ` per ${price.recurring.interval_count > 1 ? `${price.recurring.interval_count} ` : ''}${price.recurring.interval}`
    : '';
  const needsEmail = !session.customer && !session.customer_email;
  const body = `
<h1>${esc(item?.description ?? 'Subscribe')}</h1>
<p class="amount" data-testid="amount">${esc(formatAmount(item?.amount_total ?? 0, session.currency ?? 'usd'))}${esc(interval)}</p>
${session.amount_total === 0 ? '<p>Free trial: nothing is charged today.</p>' : ''}
<form method="post" action="/c/pay/${esc(session.id)}">
  ${needsEmail ? '<label for="email">Email</label><input id="email" name="email" type="email" required autocomplete="email">' : `<p>Paying as ${esc(session.customer_email ?? '')}</p>`}
  <label for="cardNumber">Card number</label>
  <input id="cardNumber" name="cardNumber" inputmode="numeric" autocomplete="cc-number" placeholder="4242 4242 4242 4242" required>
  <label for="cardExpiry">Expiry</label>
  <input id="cardExpiry" name="cardExpiry" placeholder="12 / 34">
  <label for="cardCvc">CVC</label>
  <input id="cardCvc" name="cardCvc" placeholder="123">
  <button type="submit" data-testid="pay">${session.amount_total === 0 ? 'Start trial' : 'Pay'}</button>
</form>
${error ? `<p class="error" role="alert" data-testid="error">${esc(error)}</p>` : ''}
${session.cancel_url ? `<p><a href="${esc(session.cancel_url)}">Cancel and go back</a></p>` : ''}`;
  return { status, html: page('Checkout', body) };
}

function successUrl(session: CheckoutSession): string {
  return (session.success_url ?? '').replaceAll('{CHECKOUT_SESSION_ID}', session.id);
}

export const showCheckout: PageHandler = (ctx, _form, [id]) => render(ctx, openSession(ctx, id as string));

export const submitCheckout: PageHandler = (ctx, form, [id]) => {
  const session = openSession(ctx, id as string);
  if (session.status !== 'open') return render(ctx, session);
  try {
    completeSession(ctx, session, form.get('cardNumber') ?? '', form.get('email') || null);
  } catch (err) {
    if (err instanceof StripeApiError) return render(ctx, session, err.body.message, 402);
    throw err;
  }
  return { redirect: successUrl(session) };
};
