import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StripeEmulator } from '../src/index.ts';
import { makePrice, payCheckout, startWithSdk } from './harness.ts';

let emulator: StripeEmulator;
let stripe: Stripe;

beforeAll(async () => {
  ({ emulator, stripe } = await startWithSdk());
});
afterAll(() => emulator.stop());

async function subscribe(priceId: string): Promise<Stripe.Subscription> {
  const customer = await stripe.customers.create({ email: 'sub@example.com' });
  const session = await stripe.checkout.sessions.create({
    mode: 'subscription',
    customer: customer.id,
    line_items: [{ price: priceId }],
    success_url: 'http://app.test/ok',
  });
  const res = await payCheckout(session.url as string, '4242424242424242');
  if (res.status !== 303) throw new Error(`checkout answered ${res.status}`);
  const done = await stripe.checkout.sessions.retrieve(session.id);
  return stripe.subscriptions.retrieve(done.subscription as string);
}

function eventsOf(type: string, subId: string) {
  return emulator.events().filter((e) => e.type === type && e.data.object.id === subId);
}

describe('subscriptions', () => {
  it('retrieves and lists by customer and price', async () => {
    const price = await makePrice(stripe, 1000);
    const sub = await subscribe(price.id);
    expect(sub.id).toMatch(/^sub_/);
    const item = sub.items.data[0] as Stripe.SubscriptionItem;
    expect(item.current_period_end).toBeGreaterThan(item.current_period_start);
    const listed = await stripe.subscriptions.list({ customer: sub.customer as string, price: price.id });
    expect(listed.data.map((s) => s.id)).toEqual([sub.id]);
  });

  it('switches price with always_invoice and charges the prorated difference at once', async () => {
    const basic = await makePrice(stripe, 1000);
    const pro = await makePrice(stripe, 3000);
    const sub = await subscribe(basic.id);
    const item = sub.items.data[0] as Stripe.SubscriptionItem;
    const updated = await stripe.subscriptions.update(sub.id, {
      items: [{ id: item.id, price: pro.id }],
      proration_behavior: 'always_invoice',
    });
    expect(updated.items.data[0]?.price.id).toBe(pro.id);
    const latest = await stripe.invoices.retrieve(updated.latest_invoice as string);
    expect(latest.billing_reason).toBe('subscription_update');
    expect(latest.status).toBe('paid');
    const [credit, debit] = latest.lines.data;
    // Just after the start almost the whole period remains: about -10.00 and +30.00, in whole cents.
    expect(credit?.amount).toBeLessThanOrEqual(-990);
    expect(debit?.amount).toBeGreaterThanOrEqual(2970);
    expect(latest.total).toBe((credit?.amount ?? 0) + (debit?.amount ?? 0));
    expect(Number.isInteger(latest.total)).toBe(true);
    const [updatedEvent] = eventsOf('customer.subscription.updated', sub.id);
    expect(updatedEvent?.data.previous_attributes).toHaveProperty('items');
  });

  it('keeps create_prorations for the next invoice and shows them in the preview', async () => {
    const basic = await makePrice(stripe, 1000);
    const pro = await makePrice(stripe, 3000);
    const sub = await subscribe(basic.id);
    const invoicesBefore = (await stripe.invoices.list({ subscription: sub.id })).data.length;
    await stripe.subscriptions.update(sub.id, { items: [{ id: sub.items.data[0]?.id, price: pro.id }] });
    expect((await stripe.invoices.list({ subscription: sub.id })).data).toHaveLength(invoicesBefore);
    const preview = await stripe.invoices.createPreview({
      customer: sub.customer as string,
      subscription: sub.id,
    });
    expect(preview.lines.data).toHaveLength(3);
    expect(preview.lines.data.at(-1)?.amount).toBe(3000);
    expect(preview.amount_due).toBe(preview.lines.data.reduce((s, l) => s + l.amount, 0));
  });

  it('switching to a yearly price restarts the cycle and invoices now', async () => {
    const monthly = await makePrice(stripe, 1000);
    const yearly = await makePrice(stripe, 10000, 'year');
    const sub = await subscribe(monthly.id);
    const updated = await stripe.subscriptions.update(sub.id, {
      items: [{ id: sub.items.data[0]?.id, price: yearly.id }],
    });
    const item = updated.items.data[0] as Stripe.SubscriptionItem;
    expect(item.current_period_end - item.current_period_start).toBeGreaterThanOrEqual(365 * 86_400);
    const latest = await stripe.invoices.retrieve(updated.latest_invoice as string);
    expect(latest.status).toBe('paid');
    expect(latest.lines.data.at(-1)?.amount).toBe(10000);
  });

  it('cancels at period end, can undo it, and cancels now with a deleted event', async () => {
    const price = await makePrice(stripe, 1000);
    const sub = await subscribe(price.id);
    const ending = await stripe.subscriptions.update(sub.id, { cancel_at_period_end: true });
    expect(ending.cancel_at_period_end).toBe(true);
    expect(ending.cancel_at).toBe(ending.items.data[0]?.current_period_end);
    expect(ending.status).toBe('active');
    const undone = await stripe.subscriptions.update(sub.id, { cancel_at_period_end: false });
    expect(undone.cancel_at).toBeNull();
    const updates = eventsOf('customer.subscription.updated', sub.id);
    expect(updates.map((e) => e.data.previous_attributes?.cancel_at_period_end)).toEqual([false, true]);

    const canceled = await stripe.subscriptions.cancel(sub.id);
    expect(canceled.status).toBe('canceled');
    expect(canceled.ended_at).not.toBeNull();
    expect(eventsOf('customer.subscription.deleted', sub.id)).toHaveLength(1);
    expect((await stripe.subscriptions.list({ customer: sub.customer as string })).data).toHaveLength(0);
    expect(
      (await stripe.subscriptions.list({ customer: sub.customer as string, status: 'all' })).data,
    ).toHaveLength(1);
  });
});
