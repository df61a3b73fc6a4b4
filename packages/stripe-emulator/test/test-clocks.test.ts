import type Stripe from 'stripe';
import { afterEach, describe, expect, it } from 'vitest';
import type { StripeEmulator } from '../src/index.ts';
import { advanceClock, makePrice, payCheckout, startWithSdk } from './harness.ts';

const start = Date.UTC(2030, 0, 15, 12) / 1000;
const day = 86_400;
const stops: StripeEmulator[] = [];
afterEach(async () => {
  for (const e of stops.splice(0)) await e.stop();
});

async function subscribedOnClock(options: Parameters<typeof startWithSdk>[0] = {}) {
  const { emulator, stripe } = await startWithSdk(options);
  stops.push(emulator);
  const clock = await stripe.testHelpers.testClocks.create({ frozen_time: start, name: 'renewal' });
  expect(clock.id).toMatch(/^clock_/);
  const customer = await stripe.customers.create({ email: 'clock@example.com', test_clock: clock.id });
  const price = await makePrice(stripe, 2900);
  const session = await stripe.checkout.sessions.create({
    mode: 'subscription',
    customer: customer.id,
    line_items: [{ price: price.id }],
    success_url: 'http://app.test/ok',
  });
  expect((await payCheckout(session.url as string, '4242424242424242')).status).toBe(303);
  const sub = (await stripe.subscriptions.list({ customer: customer.id })).data[0] as Stripe.Subscription;
  return { emulator, stripe, clock, customer, sub };
}

const types = (emulator: StripeEmulator, subId: string, after: number) =>
  emulator
    .events()
    .slice(after)
    .filter((e) => {
      const o = e.data.object as {
        id?: string;
        parent?: { subscription_details?: { subscription?: string } };
      };
      return o.id === subId || o.parent?.subscription_details?.subscription === subId;
    })
    .map((e) => e.type);

describe('test clocks', () => {
  it('renews with a good card when advanced past the period end', async () => {
    const { emulator, stripe, clock, sub } = await subscribedOnClock();
    const item = sub.items.data[0] as Stripe.SubscriptionItem;
    expect(item.current_period_start).toBe(start);
    expect(item.current_period_end).toBe(Date.UTC(2030, 1, 15, 12) / 1000);
    const seen = emulator.events().length;
    await advanceClock(stripe, clock.id, item.current_period_end + day);
    const renewed = await stripe.subscriptions.retrieve(sub.id);
    expect(renewed.status).toBe('active');
    expect(renewed.items.data[0]?.current_period_start).toBe(item.current_period_end);
    const invoices = await stripe.invoices.list({ subscription: sub.id });
    expect(invoices.data.map((i) => [i.billing_reason, i.status, i.amount_paid])).toEqual([
      ['subscription_cycle', 'paid', 2900],
      ['subscription_create', 'paid', 2900],
    ]);
    expect(types(emulator, sub.id, seen)).toEqual([
      'invoice.created',
      'invoice.finalized',
      'invoice.paid',
      'invoice.payment_succeeded',
      'customer.subscription.updated',
    ]);
    const ready = await stripe.testHelpers.testClocks.retrieve(clock.id);
    expect(ready.frozen_time).toBe(item.current_period_end + day);
  });

  it('renews several periods in one advance, on the calendar', async () => {
    const { stripe, clock, sub } = await subscribedOnClock();
    await advanceClock(stripe, clock.id, Date.UTC(2030, 3, 20) / 1000);
    const renewed = await stripe.subscriptions.retrieve(sub.id);
    expect(renewed.items.data[0]?.current_period_start).toBe(Date.UTC(2030, 3, 15, 12) / 1000);
    expect((await stripe.invoices.list({ subscription: sub.id })).data).toHaveLength(4);
  });

  it('a failing card makes the renewal fail, the subscription past_due, and after the retries canceled', async () => {
    const { emulator, stripe, clock, sub } = await subscribedOnClock();
    // Checkout made the paying card the subscription's default, which wins over the customer's.
    await stripe.subscriptions.update(sub.id, { default_payment_method: 'pm_card_chargeCustomerFail' });
    const periodEnd = sub.items.data[0]?.current_period_end as number;
    const seen = emulator.events().length;
    await advanceClock(stripe, clock.id, periodEnd + 60);
    const pastDue = await stripe.subscriptions.retrieve(sub.id);
    expect(pastDue.status).toBe('past_due');
    const failed = await stripe.invoices.retrieve(pastDue.latest_invoice as string);
    expect(failed.status).toBe('open');
    expect(failed.attempt_count).toBe(1);
    expect(failed.next_payment_attempt).toBe(periodEnd + 3 * day);
    expect(types(emulator, sub.id, seen)).toEqual([
      'invoice.created',
      'invoice.finalized',
      'invoice.payment_failed',
      'customer.subscription.updated',
    ]);

    // Default schedule: retries 3, 5 and 7 days apart; after the last the subscription is canceled.
    await advanceClock(stripe, clock.id, periodEnd + 16 * day);
    const ended = await stripe.subscriptions.retrieve(sub.id);
    expect(ended.status).toBe('canceled');
    expect(ended.cancellation_details?.reason).toBe('payment_failed');
    expect((await stripe.invoices.retrieve(failed.id)).attempt_count).toBe(4);
    const after = types(emulator, sub.id, seen);
    expect(after.filter((t) => t === 'invoice.payment_failed')).toHaveLength(4);
    expect(after.at(-1)).toBe('customer.subscription.deleted');
  });

  it('can leave the subscription unpaid instead, and a new card pays the open invoice', async () => {
    const { stripe, clock, customer, sub } = await subscribedOnClock({
      billing: { retryDelaysDays: [1], afterFinalFailure: 'unpaid' },
    });
    await stripe.customers.update(customer.id, {
      invoice_settings: { default_payment_method: 'pm_card_chargeCustomerFail' },
    });
    await stripe.subscriptions.update(sub.id, { default_payment_method: '' });
    const periodEnd = sub.items.data[0]?.current_period_end as number;
    await advanceClock(stripe, clock.id, periodEnd + 2 * day);
    const unpaid = await stripe.subscriptions.retrieve(sub.id);
    expect(unpaid.status).toBe('unpaid');
    await stripe.customers.update(customer.id, {
      invoice_settings: { default_payment_method: 'pm_card_visa' },
    });
    const paid = await stripe.invoices.pay(unpaid.latest_invoice as string);
    expect(paid.status).toBe('paid');
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('active');
  });

  it('the hosted invoice page shows a past-due invoice and paying it there recovers the subscription', async () => {
    const { emulator, stripe, clock, sub } = await subscribedOnClock();
    await stripe.subscriptions.update(sub.id, { default_payment_method: 'pm_card_chargeCustomerFail' });
    await advanceClock(stripe, clock.id, (sub.items.data[0]?.current_period_end as number) + 60);
    const pastDue = await stripe.subscriptions.retrieve(sub.id);
    expect(pastDue.status).toBe('past_due');
    const invoice = await stripe.invoices.retrieve(pastDue.latest_invoice as string);
    const url = invoice.hosted_invoice_url as string;
    expect(url.startsWith(emulator.url)).toBe(true);
    const shown = await (await fetch(url)).text();
    expect(shown).toContain(`Invoice ${invoice.number}`);
    expect(shown).toMatch(/Status: <strong>open<\/strong>/);
    expect(shown).toContain('data-testid="pay-invoice"');
    const pay = (card: string) =>
      fetch(url, { method: 'POST', body: new URLSearchParams({ cardNumber: card }), redirect: 'manual' });
    // A declined card: the page says so, nothing changes.
    const declined = await pay('4000 0000 0000 0002');
    expect(declined.status).toBe(402);
    expect(await declined.text()).toContain('role="alert"');
    expect((await stripe.invoices.retrieve(invoice.id)).status).toBe('open');
    const ok = await pay('4242 4242 4242 4242');
    expect(ok.status).toBe(303);
    expect((await stripe.invoices.retrieve(invoice.id)).status).toBe('paid');
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('active');
    expect(await (await fetch(url)).text()).not.toContain('data-testid="pay-invoice"');
    // Unknown ids get a 404 page.
    expect((await fetch(`${emulator.url}/i/in_unknown`)).status).toBe(404);
  });

  it('ends a subscription set to cancel at period end when the clock passes it', async () => {
    const { emulator, stripe, clock, sub } = await subscribedOnClock();
    await stripe.subscriptions.update(sub.id, { cancel_at_period_end: true });
    await advanceClock(stripe, clock.id, (sub.items.data[0]?.current_period_end as number) + 1);
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('canceled');
    expect(emulator.events().at(-2)?.type).toBe('customer.subscription.deleted');
    expect((await stripe.invoices.list({ subscription: sub.id })).data).toHaveLength(1);
  });

  it('refuses to move a clock backwards', async () => {
    const { stripe, clock } = await subscribedOnClock();
    const err = await stripe.testHelpers.testClocks
      .advance(clock.id, { frozen_time: start - 1 })
      .catch((e) => e);
    expect(err.param).toBe('frozen_time');
  });
});
