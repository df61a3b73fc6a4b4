import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StripeEmulator } from '../src/index.ts';
import { advanceClock, makePrice, payCheckout, startWithSdk } from './harness.ts';

let emulator: StripeEmulator;
let stripe: Stripe;

beforeAll(async () => {
  ({ emulator, stripe } = await startWithSdk());
});
afterAll(() => emulator.stop());

async function post(url: string, form: Record<string, string>): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
    redirect: 'manual',
  });
}

async function subscribed(clock?: string) {
  const product = await stripe.products.create({ name: 'Pro' });
  const monthly = await stripe.prices.create({
    product: product.id,
    currency: 'usd',
    unit_amount: 2900,
    recurring: { interval: 'month' },
  });
  const yearly = await stripe.prices.create({
    product: product.id,
    currency: 'usd',
    unit_amount: 29000,
    recurring: { interval: 'year' },
  });
  const customer = await stripe.customers.create({
    email: 'portal@example.com',
    ...(clock ? { test_clock: clock } : {}),
  });
  const session = await stripe.checkout.sessions.create({
    mode: 'subscription',
    customer: customer.id,
    line_items: [{ price: monthly.id }],
    success_url: 'http://app.test/ok',
  });
  expect((await payCheckout(session.url as string, '4242424242424242')).status).toBe(303);
  const sub = (await stripe.subscriptions.list({ customer: customer.id })).data[0] as Stripe.Subscription;
  const config = await stripe.billingPortal.configurations.create({
    features: {
      subscription_update: {
        enabled: true,
        default_allowed_updates: ['price'],
        products: [{ product: product.id, prices: [monthly.id, yearly.id] }],
        proration_behavior: 'always_invoice',
      },
      subscription_cancel: { enabled: true, mode: 'at_period_end' },
      payment_method_update: { enabled: true },
    },
  });
  const portal = await stripe.billingPortal.sessions.create({
    customer: customer.id,
    configuration: config.id,
    return_url: 'http://app.test/billing',
  });
  return { product, monthly, yearly, customer, sub, portal };
}

describe('billing portal', () => {
  it('creates a session whose page lists the subscription, the plans and the card', async () => {
    const { portal, sub, yearly } = await subscribed();
    expect(portal.id).toMatch(/^bps_/);
    expect(portal.url).toBe(`${emulator.url}/p/session/${portal.id}`);
    const html = await (await fetch(portal.url)).text();
    expect(html).toContain(`data-subscription="${sub.id}"`);
    expect(html).toContain(`value="${yearly.id}"`);
    expect(html).toContain('visa •••• 4242');
    expect(html).toContain('http://app.test/billing');
  });

  it('switches plan to a price of the configuration and refuses any other price', async () => {
    const { portal, sub, yearly } = await subscribed();
    const stranger = await makePrice(stripe, 1);
    const refused = await post(`${portal.url}/switch`, { subscription: sub.id, price: stranger.id });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('That plan is not available.');

    const res = await post(`${portal.url}/switch`, { subscription: sub.id, price: yearly.id });
    expect(res.status).toBe(303);
    const switched = await stripe.subscriptions.retrieve(sub.id);
    expect(switched.items.data[0]?.price.id).toBe(yearly.id);
    expect((await stripe.invoices.retrieve(switched.latest_invoice as string)).status).toBe('paid');
  });

  it('cancels at period end and renews again', async () => {
    const { portal, sub } = await subscribed();
    expect((await post(`${portal.url}/cancel`, { subscription: sub.id })).status).toBe(303);
    expect((await stripe.subscriptions.retrieve(sub.id)).cancel_at_period_end).toBe(true);
    expect(await (await fetch(portal.url)).text()).toContain('Cancels on');
    expect((await post(`${portal.url}/renew`, { subscription: sub.id })).status).toBe(303);
    expect((await stripe.subscriptions.retrieve(sub.id)).cancel_at_period_end).toBe(false);
  });

  it("refuses another customer's subscription", async () => {
    const a = await subscribed();
    const b = await subscribed();
    const res = await post(`${a.portal.url}/cancel`, { subscription: b.sub.id });
    expect(res.status).toBe(404);
    expect((await stripe.subscriptions.retrieve(b.sub.id)).cancel_at_period_end).toBe(false);
  });

  it('updates the card, shows a declined one, and a new card pays a past-due renewal', async () => {
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: Date.UTC(2031, 4, 1) / 1000 });
    const { portal, sub, customer } = await subscribed(clock.id);
    await stripe.subscriptions.update(sub.id, { default_payment_method: 'pm_card_chargeCustomerFail' });
    await advanceClock(stripe, clock.id, (sub.items.data[0]?.current_period_end as number) + 3600);
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('past_due');

    const declined = await post(`${portal.url}/card`, { cardNumber: '4000000000000002' });
    expect(declined.status).toBe(402);
    expect(await declined.text()).toContain('Your card was declined.');

    expect((await post(`${portal.url}/card`, { cardNumber: '5555 5555 5555 4444' })).status).toBe(303);
    const recovered = await stripe.subscriptions.retrieve(sub.id);
    expect(recovered.status).toBe('active');
    expect((await stripe.invoices.retrieve(recovered.latest_invoice as string)).status).toBe('paid');
    const updated = (await stripe.customers.retrieve(customer.id)) as Stripe.Customer;
    const pm = await stripe.paymentMethods.retrieve(
      updated.invoice_settings.default_payment_method as string,
    );
    expect(pm.card?.last4).toBe('4444');
    expect(recovered.default_payment_method).toBe(pm.id);
  });
});
