import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StripeEmulator } from '../src/index.ts';
import { makePrice, payCheckout, startReceiver, startWithSdk } from './harness.ts';

let emulator: StripeEmulator;
let stripe: Stripe;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  receiver = await startReceiver();
  ({ emulator, stripe } = await startWithSdk({
    webhookUrl: receiver.url,
    webhookSecret: 'whsec_checkout_test',
  }));
});
afterAll(async () => {
  await emulator.stop();
  await receiver.close();
});

describe('hosted checkout in subscription mode', () => {
  it('shows the price, shows a declined card on the page, then pays with 4242 and redirects', async () => {
    const price = await makePrice(stripe, 2900);
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{ price: price.id, quantity: 1 }],
      customer_email: 'buyer@example.com',
      client_reference_id: 'tenant_42',
      metadata: { tenantId: 'tenant_42' },
      subscription_data: { metadata: { tenantId: 'tenant_42' } },
      success_url: 'http://app.test/billing/success?session={CHECKOUT_SESSION_ID}',
      cancel_url: 'http://app.test/billing',
    });
    expect(session.id).toMatch(/^cs_test_/);
    expect(session.status).toBe('open');
    expect(session.amount_total).toBe(2900);
    expect(session.url).toBe(`${emulator.url}/c/pay/${session.id}`);

    const pageHtml = await (await fetch(session.url as string)).text();
    expect(pageHtml).toContain('USD 29.00 per month');
    expect(pageHtml).toContain('name="cardNumber"');

    const declined = await payCheckout(session.url as string, '4000 0000 0000 0002');
    expect(declined.status).toBe(402);
    expect(await declined.text()).toContain('Your card was declined.');
    expect((await stripe.checkout.sessions.retrieve(session.id)).status).toBe('open');
    expect((await stripe.customers.list({ email: 'buyer@example.com' })).data).toHaveLength(0);

    const paid = await payCheckout(session.url as string, '4242 4242 4242 4242');
    expect(paid.status).toBe(303);
    expect(paid.headers.get('location')).toBe(`http://app.test/billing/success?session=${session.id}`);

    const done = await stripe.checkout.sessions.retrieve(session.id, {
      expand: ['subscription', 'invoice', 'line_items'],
    });
    expect(done.status).toBe('complete');
    expect(done.payment_status).toBe('paid');
    expect(done.client_reference_id).toBe('tenant_42');
    expect(done.line_items?.data[0]?.price?.id).toBe(price.id);
    const sub = done.subscription as Stripe.Subscription;
    expect(sub.status).toBe('active');
    expect(sub.metadata).toEqual({ tenantId: 'tenant_42' });
    expect(sub.items.data[0]?.price.id).toBe(price.id);
    const invoice = done.invoice as Stripe.Invoice;
    expect(invoice.status).toBe('paid');
    expect(invoice.amount_paid).toBe(2900);
    expect(invoice.billing_reason).toBe('subscription_create');
    const intentId = invoice.payments?.data[0]?.payment.payment_intent as string;
    expect((await stripe.paymentIntents.retrieve(intentId)).status).toBe('succeeded');
    const customer = (await stripe.customers.retrieve(done.customer as string)) as Stripe.Customer;
    expect(customer.email).toBe('buyer@example.com');

    await emulator.webhooksIdle();
    const types = receiver.acceptedTypes();
    const required = [
      'checkout.session.completed',
      'customer.subscription.created',
      'invoice.created',
      'invoice.paid',
      'invoice.payment_succeeded',
    ];
    expect(types.filter((t) => required.includes(t))).toEqual(required);
    expect(types.indexOf('customer.created')).toBeLessThan(types.indexOf('checkout.session.completed'));

    // Every delivery verifies with the endpoint secret and carries the final objects.
    const events = receiver.received.map((r) =>
      stripe.webhooks.constructEvent(r.body, r.headers['stripe-signature'] as string, 'whsec_checkout_test'),
    );
    const completed = events.find(
      (e) => e.type === 'checkout.session.completed',
    ) as Stripe.CheckoutSessionCompletedEvent;
    expect(completed.data.object.subscription).toBe(sub.id);
    expect(completed.data.object.client_reference_id).toBe('tenant_42');
    expect(completed.api_version).toBe(Stripe.API_VERSION);
    expect(completed.id).toMatch(/^evt_/);
  });

  it('rejects a tampered delivery and a wrong secret', async () => {
    await emulator.webhooksIdle();
    const delivery = receiver.received[0];
    if (!delivery) throw new Error('no delivery');
    const header = delivery.headers['stripe-signature'] as string;
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    const tampered = delivery.body.replace('"livemode": false', '"livemode": true');
    expect(tampered).not.toBe(delivery.body);
    expect(() => stripe.webhooks.constructEvent(tampered, header, 'whsec_checkout_test')).toThrow(
      Stripe.errors.StripeSignatureVerificationError,
    );
    expect(() => stripe.webhooks.constructEvent(delivery.body, header, 'whsec_other')).toThrow(
      Stripe.errors.StripeSignatureVerificationError,
    );
  });

  it('starts a trial without charging and reuses an existing customer', async () => {
    const price = await makePrice(stripe, 9900);
    const customer = await stripe.customers.create({ email: 'trial@example.com' });
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: customer.id,
      line_items: [{ price: price.id }],
      subscription_data: { trial_period_days: 14 },
      success_url: 'http://app.test/ok',
    });
    expect(session.amount_total).toBe(0);
    expect((await payCheckout(session.url as string, '4242424242424242')).status).toBe(303);
    const subs = await stripe.subscriptions.list({ customer: customer.id });
    const sub = subs.data[0] as Stripe.Subscription;
    expect(sub.status).toBe('trialing');
    expect((sub.trial_end as number) - (sub.trial_start as number)).toBe(14 * 86_400);
    const invoices = await stripe.invoices.list({ subscription: sub.id });
    expect(invoices.data.map((i) => [i.status, i.amount_paid])).toEqual([['paid', 0]]);
  });

  it('refuses what Stripe refuses when creating a session', async () => {
    const oneTime = await stripe.prices.create({
      product: (await stripe.products.create({ name: 'Once' })).id,
      currency: 'usd',
      unit_amount: 100,
    });
    const notRecurring = await stripe.checkout.sessions
      .create({
        mode: 'subscription',
        line_items: [{ price: oneTime.id }],
        success_url: 'http://app.test/ok',
      })
      .catch((e) => e);
    expect(notRecurring).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(notRecurring.message).toContain('recurring price');
    const price = await makePrice(stripe, 100);
    const customer = await stripe.customers.create({});
    const both = await stripe.checkout.sessions
      .create({
        mode: 'subscription',
        line_items: [{ price: price.id }],
        customer: customer.id,
        customer_email: 'x@example.com',
        success_url: 'http://app.test/ok',
      })
      .catch((e) => e);
    expect(both.param).toBe('customer_email');
  });

  it('expires an open session so its page can no longer be paid', async () => {
    const price = await makePrice(stripe, 500);
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{ price: price.id }],
      success_url: 'http://app.test/ok',
    });
    const expired = await stripe.checkout.sessions.expire(session.id);
    expect(expired.status).toBe('expired');
    const res = await payCheckout(
      `${emulator.url}/c/pay/${session.id}`,
      '4242424242424242',
      'late@example.com',
    );
    expect(res.status).toBe(410);
  });
});
