import { attachCard, cardFromNumber } from '../cards.ts';
import type { Ctx } from '../context.ts';
import { emit, previousAttributes } from '../context.ts';
import { StripeApiError } from '../errors.ts';
import { formatAmount, payNow, productName } from '../resources/billing.ts';
import { portalConfigOf, switchablePrices } from '../resources/portal.ts';
import { cancelSubscription, updateSubscription } from '../resources/subscriptions.ts';
import type { PortalSession, Subscription } from '../wire.ts';
import { esc, page } from './html.ts';
import type { PageHandler, PageResult } from './routes.ts';

function liveSubscriptions(ctx: Ctx, customer: string): Subscription[] {
  return ctx.store.all('subscription').filter((s) => s.customer === customer && s.status !== 'canceled');
}

function date(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 10);
}

function render(ctx: Ctx, session: PortalSession, error?: string, status = 200): PageResult {
  const config = portalConfigOf(ctx, session);
  const customer = ctx.store.get('customer', session.customer);
  const pmId = customer.invoice_settings.default_payment_method;
  const pm = typeof pmId === 'string' ? ctx.store.find('payment_method', pmId) : undefined;
  const action = (name: string) => `/p/session/${esc(session.id)}/${name}`;
  const subs = liveSubscriptions(ctx, customer.id)
    .map((sub) => {
      const item = sub.items.data[0];
      const price = item ? ctx.store.get('price', item.price.id) : undefined;
      const end = item?.current_period_end ?? 0;
      const options = switchablePrices(ctx, config, sub)
        .map(
          (p) =>
            `<option value="${esc(p.id)}">${esc(productName(ctx, p))}: ${esc(formatAmount(p.unit_amount ?? 0, p.currency))} / ${esc(p.recurring?.interval)}</option>`,
        )
        .join('');
      const hidden = `<input type="hidden" name="subscription" value="${esc(sub.id)}">`;
      return `<section data-testid="subscription" data-subscription="${esc(sub.id)}">
  <h2>${esc(price ? productName(ctx, price) : 'Subscription')}</h2>
  <p>${esc(price ? formatAmount(price.unit_amount ?? 0, price.currency) : '')} / ${esc(price?.recurring?.interval)} · status <strong data-testid="status">${esc(sub.status)}</strong></p>
  <p>${sub.cancel_at_period_end ? `Cancels on ${esc(date(end))}` : `Renews on ${esc(date(end))}`}</p>
  ${
    options
      ? `<form method="post" action="${action('switch')}">${hidden}<label for="price-${esc(sub.id)}">Change plan</label><select id="price-${esc(sub.id)}" name="price">${options}</select><button type="submit">Update plan</button></form>`
      : ''
  }
  ${
    config.features.subscription_cancel.enabled
      ? sub.cancel_at_period_end
        ? `<form method="post" action="${action('renew')}">${hidden}<button type="submit">Renew plan</button></form>`
        : `<form method="post" action="${action('cancel')}">${hidden}<button class="secondary" type="submit">Cancel plan</button></form>`
      : ''
  }
</section>`;
    })
    .join('\n');
  const card = config.features.payment_method_update.enabled
    ? `<section><h2>Payment method</h2><p data-testid="card">${pm?.card ? `${esc(pm.card.brand)} •••• ${esc(pm.card.last4)}` : 'None'}</p>
<form method="post" action="${action('card')}"><label for="cardNumber">New card number</label><input id="cardNumber" name="cardNumber" inputmode="numeric" required><button type="submit">Update card</button></form></section>`
    : '';
  const body = `<h1>Manage your subscription</h1>
<p>${esc(customer.email ?? '')}</p>
${error ? `<p class="error" role="alert" data-testid="error">${esc(error)}</p>` : ''}
${subs || '<p>No active subscriptions.</p>'}
${card}
${session.return_url ? `<p><a href="${esc(session.return_url)}">Return</a></p>` : ''}`;
  return { status, html: page('Billing portal', body) };
}

function sessionOf(ctx: Ctx, id: string | undefined): PortalSession {
  return ctx.store.get('billing_portal.session', id as string);
}

/** The subscription named in the form, only if it belongs to the session's customer. */
function ownSubscription(ctx: Ctx, session: PortalSession, form: URLSearchParams): Subscription {
  const sub = ctx.store.find('subscription', form.get('subscription') ?? '');
  if (!sub || sub.customer !== session.customer || sub.status === 'canceled') {
    throw new StripeApiError(404, { type: 'invalid_request_error', message: 'No such subscription.' });
  }
  return sub;
}

function act(ctx: Ctx, id: string | undefined, run: (session: PortalSession) => void): PageResult {
  const session = sessionOf(ctx, id);
  try {
    run(session);
  } catch (err) {
    if (err instanceof StripeApiError) return render(ctx, session, err.body.message, err.status);
    throw err;
  }
  return { redirect: `/p/session/${session.id}` };
}

export const showPortal: PageHandler = (ctx, _form, [id]) => render(ctx, sessionOf(ctx, id));

export const portalCancel: PageHandler = (ctx, form, [id]) =>
  act(ctx, id, (session) => {
    const sub = ownSubscription(ctx, session, form);
    if (portalConfigOf(ctx, session).features.subscription_cancel.mode === 'immediately')
      cancelSubscription(ctx, sub);
    else updateSubscription(ctx, sub, { cancel_at_period_end: 'true' });
  });

export const portalRenew: PageHandler = (ctx, form, [id]) =>
  act(ctx, id, (session) => {
    updateSubscription(ctx, ownSubscription(ctx, session, form), { cancel_at_period_end: 'false' });
  });

export const portalSwitch: PageHandler = (ctx, form, [id]) =>
  act(ctx, id, (session) => {
    const sub = ownSubscription(ctx, session, form);
    const config = portalConfigOf(ctx, session);
    const price = switchablePrices(ctx, config, sub).find((p) => p.id === form.get('price'));
    // Only prices of the configuration: a tampered form cannot pick another price.
    if (!price)
      throw new StripeApiError(400, {
        type: 'invalid_request_error',
        message: 'That plan is not available.',
      });
    updateSubscription(ctx, sub, {
      items: [{ id: sub.items.data[0]?.id ?? '', price: price.id }],
      proration_behavior: config.features.subscription_update.proration_behavior,
    });
  });

/**
 * A new card becomes the default of the customer and of their subscriptions; open invoices of past-due
 * subscriptions are paid with it at once (so a customer in dunning recovers by updating the card).
 */
export const portalCard: PageHandler = (ctx, form, [id]) =>
  act(ctx, id, (session) => {
    const customer = ctx.store.get('customer', session.customer);
    const pm = attachCard(ctx, cardFromNumber(form.get('cardNumber') ?? ''), customer.id);
    emit(ctx, 'payment_method.attached', pm);
    const before = structuredClone(customer);
    customer.invoice_settings.default_payment_method = pm.id;
    emit(ctx, 'customer.updated', customer, previousAttributes(before, customer));
    for (const sub of liveSubscriptions(ctx, customer.id)) {
      if (sub.default_payment_method) updateSubscription(ctx, sub, { default_payment_method: pm.id });
      const latest =
        typeof sub.latest_invoice === 'string' ? ctx.store.find('invoice', sub.latest_invoice) : undefined;
      if ((sub.status === 'past_due' || sub.status === 'unpaid') && latest?.status === 'open')
        payNow(ctx, latest, pm.id);
    }
  });
