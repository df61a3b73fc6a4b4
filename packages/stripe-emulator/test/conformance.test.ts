import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StripeEmulator } from '../src/index.ts';
import { allEntries, allowedBy, withoutExample } from './conformance/allow-lists.ts';
import { stripeEventTypes, stripeFixtures } from './conformance/fixtures.ts';
import {
  compareShape,
  describeProblem,
  generalize,
  idPrefixes,
  type Json,
  type Problem,
} from './conformance/shape.ts';
import { advanceClock, payCheckout, startWithSdk } from './harness.ts';

let emulator: StripeEmulator;
let stripe: Stripe;
/** Every answer of the flow, by what it is, in the order the flow got them. */
const answers: { label: string; value: Json }[] = [];
const seen = (label: string, value: unknown) => {
  // What the SDK returns is the parsed JSON plus `lastResponse`, a non-enumerable property.
  answers.push({ label, value: JSON.parse(JSON.stringify(value)) as Json });
};

const start = Date.UTC(2030, 0, 15, 12) / 1000;

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
  redirect: 'manual' as const,
});

/** One flow that makes the emulator produce every resource it returns. */
async function runFlow(): Promise<void> {
  const account = await stripe.accounts.create({ type: 'express', email: 'seller@example.com' });
  seen('account (new)', account);
  const link = await stripe.accountLinks.create({
    account: account.id,
    type: 'account_onboarding',
    refresh_url: 'http://app.test/connect/refresh',
    return_url: 'http://app.test/connect/return',
  });
  seen('account link', link);
  expect((await fetch(link.url)).status).toBe(200);
  expect((await fetch(link.url, form({ action: 'complete' }))).status).toBe(303);
  const seller = await stripe.accounts.retrieve(account.id);
  expect(seller.charges_enabled).toBe(true);
  seen('account (onboarded)', seller);
  seen('login link', await stripe.accounts.createLoginLink(account.id));
  seen('account (platform)', await stripe.accounts.retrieveCurrent());
  // With Stripe-Account, GET /v1/account is the connected account.
  expect((await stripe.accounts.retrieveCurrent({}, { stripeAccount: seller.id })).id).toBe(seller.id);

  const clock = await stripe.testHelpers.testClocks.create({ frozen_time: start, name: 'conformance' });
  seen('test clock', clock);
  const customer = await stripe.customers.create({
    email: 'buyer@example.com',
    name: 'Buyer',
    metadata: { tenantId: 't_1' },
    test_clock: clock.id,
  });
  seen('customer', customer);
  seen('payment method', await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id }));

  const product = await stripe.products.create({ name: 'Strategy listing', metadata: { listing: 'l_1' } });
  seen('product', product);
  const price = await stripe.prices.create({
    product: product.id,
    currency: 'usd',
    unit_amount: 10_000,
    recurring: { interval: 'month' },
    lookup_key: 'listing_monthly',
  });
  seen('price', price);

  const session = await stripe.checkout.sessions.create({
    mode: 'subscription',
    customer: customer.id,
    line_items: [{ price: price.id }],
    success_url: 'http://app.test/ok?session={CHECKOUT_SESSION_ID}',
    cancel_url: 'http://app.test/billing',
    subscription_data: { application_fee_percent: 10, transfer_data: { destination: seller.id } },
  });
  seen('checkout session (open)', session);
  for (const item of (await stripe.checkout.sessions.listLineItems(session.id)).data) {
    seen('checkout line item', item);
  }
  expect((await payCheckout(session.url as string, '4242424242424242')).status).toBe(303);
  const done = await stripe.checkout.sessions.retrieve(session.id, { expand: ['line_items'] });
  seen('checkout session (complete, line_items expanded)', done);

  const sub = await stripe.subscriptions.retrieve(done.subscription as string);
  seen('subscription', sub);
  seen(
    'subscription (expanded customer, latest_invoice)',
    await stripe.subscriptions.retrieve(sub.id, {
      expand: ['customer', 'latest_invoice'],
    }),
  );
  const invoice = await stripe.invoices.retrieve(sub.latest_invoice as string, { expand: ['payments'] });
  expect(invoice.status).toBe('paid');
  seen('invoice (paid)', invoice);
  const paymentIntentId = invoice.payments?.data[0]?.payment.payment_intent as string;
  seen('payment intent', await stripe.paymentIntents.retrieve(paymentIntentId));

  const charge = (await stripe.charges.list({ customer: customer.id })).data[0] as Stripe.Charge;
  seen('charge', charge);
  seen('application fee', await stripe.applicationFees.retrieve(charge.application_fee as string));
  const refund = await stripe.refunds.create({
    charge: charge.id,
    amount: 5_000,
    reverse_transfer: true,
    refund_application_fee: true,
  });
  seen('refund', refund);
  const refunded = await stripe.charges.retrieve(charge.id, { expand: ['refunds'] });
  expect(refunded.refunds?.data.map((r) => r.id)).toEqual([refund.id]);
  seen('charge (refunded, refunds expanded)', refunded);
  seen('balance (platform)', await stripe.balance.retrieve());
  seen('balance (connected account)', await stripe.balance.retrieve({}, { stripeAccount: seller.id }));
  for (const txn of (await stripe.balanceTransactions.list({ limit: 100 })).data)
    seen('balance transaction', txn);
  const sellerTxns = await stripe.balanceTransactions.list({ limit: 100 }, { stripeAccount: seller.id });
  for (const txn of sellerTxns.data) seen('balance transaction (connected account)', txn);

  seen(
    'invoice (preview)',
    await stripe.invoices.createPreview({ customer: customer.id, subscription: sub.id }),
  );

  const configuration = await stripe.billingPortal.configurations.create({
    features: {
      subscription_update: {
        enabled: true,
        default_allowed_updates: ['price'],
        products: [{ product: product.id, prices: [price.id] }],
        proration_behavior: 'create_prorations',
      },
      subscription_cancel: { enabled: true, mode: 'at_period_end' },
      payment_method_update: { enabled: true },
    },
  });
  seen('billing portal configuration', configuration);
  seen(
    'billing portal session',
    await stripe.billingPortal.sessions.create({
      customer: customer.id,
      configuration: configuration.id,
      return_url: 'http://app.test/billing',
    }),
  );

  // A renewal on the clock: a second invoice, charge, fee and their events.
  const item = sub.items.data[0] as Stripe.SubscriptionItem;
  await advanceClock(stripe, clock.id, item.current_period_end + 86_400);
  seen('test clock (advanced)', await stripe.testHelpers.testClocks.retrieve(clock.id));
  seen('subscription (renewed)', await stripe.subscriptions.retrieve(sub.id));
  seen(
    'subscription (cancel at period end)',
    await stripe.subscriptions.update(sub.id, { cancel_at_period_end: true }),
  );

  for await (const event of stripe.events.list({ limit: 100 })) seen(`event (${event.type})`, event);
}

beforeAll(async () => {
  ({ emulator, stripe } = await startWithSdk());
  await runFlow();
});
afterAll(() => emulator.stop());

/** Problems of one answer against Stripe's example of its `object` type. */
function problemsOf(value: Json): Problem[] {
  const object = (value as { object?: unknown }).object;
  if (typeof object !== 'string') return [{ kind: 'type', path: 'object', detail: 'no object type' }];
  const fixture = stripeFixtures[object];
  if (!fixture) {
    const id = (value as { id?: unknown }).id;
    const prefix = idPrefixes[object];
    if (!(object in withoutExample)) return [{ kind: 'type', path: object, detail: 'no Stripe example' }];
    return prefix && typeof id === 'string' && !id.startsWith(prefix)
      ? [{ kind: 'type', path: `${object}.id`, detail: `"${id}" lacks Stripe's prefix ${prefix}` }]
      : [];
  }
  if (object !== 'event') return compareShape(value, fixture, object, { fixtures: stripeFixtures });
  // An event's `data.object` is compared with the example of its own type (Stripe's example event
  // carries a plan), the envelope with Stripe's example event.
  const event = value as { data: { object: Json } & Record<string, Json> };
  const envelope = { ...event, data: { ...event.data, object: null } } as Json;
  return [
    ...compareShape(envelope, fixture, object, { fixtures: stripeFixtures }),
    ...problemsOf(event.data.object),
  ];
}

/** Every object type the flow must produce at the top level of an answer (nested ones are checked below). */
const resources = [
  'account',
  'account_link',
  'application_fee',
  'balance',
  'balance_transaction',
  'billing_portal.configuration',
  'billing_portal.session',
  'charge',
  'checkout.session',
  'customer',
  'event',
  'invoice',
  'item',
  'login_link',
  'payment_intent',
  'payment_method',
  'price',
  'product',
  'refund',
  'subscription',
  'test_helpers.test_clock',
];

const objectOf = (value: Json): string => String((value as { object?: unknown }).object);

describe("conformance with Stripe's example objects", () => {
  it('the flow produced every resource, each in its answers and in events', () => {
    expect(new Set(answers.map((a) => objectOf(a.value)))).toEqual(new Set(resources));
    // Compared where they occur: a subscription's items and an invoice's lines (paid and preview).
    const nested = (label: string) => answers.find((a) => a.label === label)?.value as Json;
    const first = (value: Json, list: string) =>
      objectOf((value as Record<string, { data: Json[] }>)[list]?.data[0] ?? null);
    expect(first(nested('subscription'), 'items')).toBe('subscription_item');
    expect(first(nested('invoice (paid)'), 'lines')).toBe('line_item');
    expect(first(nested('invoice (preview)'), 'lines')).toBe('line_item');
    const inEvents = new Set(
      answers
        .filter((a) => a.label.startsWith('event ('))
        .map((a) => objectOf((a.value as { data: { object: Json } }).data.object)),
    );
    expect([...inEvents].sort()).toEqual([
      'account',
      'application_fee',
      'charge',
      'checkout.session',
      'customer',
      'invoice',
      'payment_intent',
      'payment_method',
      'price',
      'product',
      'refund',
      'subscription',
      'test_helpers.test_clock',
    ]);
  });

  it('every key, type, object name and id prefix agrees with Stripe, except the listed differences', () => {
    const unexpected: string[] = [];
    const used = new Set<string>();
    for (const { label, value } of answers) {
      for (const problem of problemsOf(value)) {
        const general = { ...problem, path: generalize(problem.path) };
        const entry = allowedBy(general);
        if (entry) used.add(entry);
        else unexpected.push(`${describeProblem(general)} (in ${label})`);
      }
    }
    expect([...new Set(unexpected)]).toEqual([]);
    // An entry nothing needs any more is removed, so the lists say exactly what differs.
    expect(allEntries().filter((e) => !used.has(e))).toEqual([]);
  });

  it("events carry a type from Stripe's list, named after their object", () => {
    const events = answers
      .filter((a) => a.label.startsWith('event ('))
      .map((a) => a.value as { type: string; data: { object: Json } });
    expect(events.length).toBeGreaterThan(20);
    for (const event of events) {
      expect(stripeEventTypes.has(event.type), event.type).toBe(true);
      const object = objectOf(event.data.object);
      // `customer.subscription.*` is the one family not named after its object type.
      const family = event.type.startsWith('customer.subscription.')
        ? 'subscription'
        : event.type.slice(0, event.type.lastIndexOf('.'));
      expect(family, event.type).toBe(object);
    }
  });

  it('the comparison catches an invented key, a missing key, a wrong type and a wrong id prefix', () => {
    const customer = answers.find((a) => a.label === 'customer')?.value as Record<string, Json>;
    const { email: _email, ...withoutEmail } = customer;
    const broken = { ...withoutEmail, id: 'cust_123', balance: '0', loyalty_points: 3 } as Json;
    expect(problemsOf(broken).map(describeProblem).sort()).toEqual(
      [
        'customer.balance: string where Stripe has number',
        'customer.email: missing',
        'customer.id: "cust_123" lacks Stripe\'s prefix cus_',
        "customer.loyalty_points: not in Stripe's object",
      ].sort(),
    );
    // Inside an event, and one level down in a list, too.
    const subscription = answers.find((a) => a.label === 'subscription')?.value as {
      items: { data: Record<string, Json>[] };
    };
    const item = { ...subscription.items.data[0], quantity: true } as Json;
    const event = {
      ...(answers.find((a) => a.label.startsWith('event ('))?.value as Record<string, Json>),
      data: { object: { ...subscription, items: { ...subscription.items, data: [item] } } },
    } as Json;
    expect(problemsOf(event).map(describeProblem)).toContain(
      'subscription_item.quantity: boolean where Stripe has number',
    );
  });

  it('lists every example object type without a fixture', () => {
    for (const object of resources) {
      expect(object in stripeFixtures || object in withoutExample, object).toBe(true);
    }
  });
});
