import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatedApiVersion, type StripeEmulator } from '../src/index.ts';
import { startWithSdk } from './harness.ts';

let emulator: StripeEmulator;
let stripe: Stripe;

beforeAll(async () => {
  ({ emulator, stripe } = await startWithSdk());
});
afterAll(() => emulator.stop());

describe('customers', () => {
  it('creates, retrieves, updates and lists customers with metadata', async () => {
    const created = await stripe.customers.create({
      email: 'ada@example.com',
      name: 'Ada',
      metadata: { tenantId: 't1', plan: 'free' },
    });
    expect(created.id).toMatch(/^cus_/);
    expect(created.object).toBe('customer');
    expect(created.metadata).toEqual({ tenantId: 't1', plan: 'free' });

    const updated = await stripe.customers.update(created.id, {
      metadata: { plan: 'pro', tenantId: '' },
      name: '',
    });
    expect(updated.metadata).toEqual({ plan: 'pro' });
    expect(updated.name).toBeNull();
    expect(((await stripe.customers.retrieve(created.id)) as Stripe.Customer).metadata).toEqual({
      plan: 'pro',
    });

    const byEmail = await stripe.customers.list({ email: 'ada@example.com' });
    expect(byEmail.data.map((c) => c.id)).toEqual([created.id]);
  });

  it('attaches a test card as the default payment method', async () => {
    const c = await stripe.customers.create({
      payment_method: 'pm_card_visa',
      invoice_settings: { default_payment_method: 'pm_card_visa' },
    });
    const pm = await stripe.paymentMethods.retrieve(c.invoice_settings.default_payment_method as string);
    expect(pm.card?.last4).toBe('4242');
    expect(pm.customer).toBe(c.id);
  });

  it('refuses a card that declines on attach with a StripeCardError', async () => {
    const c = await stripe.customers.create({});
    const err = await stripe.paymentMethods
      .attach('pm_card_chargeDeclined', { customer: c.id })
      .catch((e) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(err.code).toBe('card_declined');
    expect(err.decline_code).toBe('generic_decline');
    expect(err.statusCode).toBe(402);
  });
});

describe('products and prices', () => {
  it('creates recurring prices with lookup keys and filters the list by lookup_keys', async () => {
    const product = await stripe.products.create({ name: 'Pro', metadata: { tier: 'PRO' } });
    expect(product.id).toMatch(/^prod_/);
    const monthly = await stripe.prices.create({
      product: product.id,
      currency: 'usd',
      unit_amount: 2900,
      recurring: { interval: 'month' },
      lookup_key: 'pro_monthly_test1',
    });
    const yearly = await stripe.prices.create({
      product: product.id,
      currency: 'usd',
      unit_amount: 29000,
      recurring: { interval: 'year' },
      lookup_key: 'pro_yearly_test1',
    });
    expect(monthly.id).toMatch(/^price_/);
    expect(monthly.recurring).toMatchObject({ interval: 'month', interval_count: 1 });
    expect(monthly.type).toBe('recurring');
    // The SDK coerces the wire string into its Decimal class.
    expect(monthly.unit_amount_decimal?.toString()).toBe('2900');

    const found = await stripe.prices.list({
      lookup_keys: ['pro_monthly_test1', 'pro_yearly_test1'],
      expand: ['data.product'],
    });
    expect(found.data.map((p) => p.id).sort()).toEqual([monthly.id, yearly.id].sort());
    expect(found.data.map((p) => (p.product as Stripe.Product).name)).toEqual(['Pro', 'Pro']);
  });

  it('refuses a taken lookup key unless transfer_lookup_key moves it', async () => {
    const product = await stripe.products.create({ name: 'Basic' });
    const first = await stripe.prices.create({
      product: product.id,
      currency: 'usd',
      unit_amount: 500,
      recurring: { interval: 'month' },
      lookup_key: 'basic_test2',
    });
    const err = await stripe.prices
      .create({
        product: product.id,
        currency: 'usd',
        unit_amount: 600,
        recurring: { interval: 'month' },
        lookup_key: 'basic_test2',
      })
      .catch((e) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err.param).toBe('lookup_key');

    const second = await stripe.prices.create({
      product: product.id,
      currency: 'usd',
      unit_amount: 600,
      recurring: { interval: 'month' },
      lookup_key: 'basic_test2',
      transfer_lookup_key: true,
    });
    expect((await stripe.prices.retrieve(first.id)).lookup_key).toBeNull();
    const list = await stripe.prices.list({ lookup_keys: ['basic_test2'] });
    expect(list.data.map((p) => p.id)).toEqual([second.id]);
  });

  it('accepts a caller-chosen product id once, so plans can be created idempotently at start', async () => {
    await stripe.products.create({ id: 'prod_qt_enterprise_test3', name: 'Enterprise' });
    const err = await stripe.products
      .create({ id: 'prod_qt_enterprise_test3', name: 'Enterprise' })
      .catch((e) => e);
    expect(err.code).toBe('resource_already_exists');
  });
});

describe('pagination', () => {
  it('pages newest first with limit, starting_after and ending_before, and auto-paginates', async () => {
    const product = await stripe.products.create({ name: 'Paged' });
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      ids.push(
        (await stripe.prices.create({ product: product.id, currency: 'eur', unit_amount: 100 + i })).id,
      );
    }
    const newestFirst = [...ids].reverse();
    const page1 = await stripe.prices.list({ product: product.id, limit: 3 });
    expect(page1.object).toBe('list');
    expect(page1.url).toBe('/v1/prices');
    expect(page1.data.map((p) => p.id)).toEqual(newestFirst.slice(0, 3));
    expect(page1.has_more).toBe(true);
    const page2 = await stripe.prices.list({
      product: product.id,
      limit: 3,
      starting_after: page1.data[2]?.id,
    });
    expect(page2.data.map((p) => p.id)).toEqual(newestFirst.slice(3, 6));
    const back = await stripe.prices.list({
      product: product.id,
      limit: 2,
      ending_before: page2.data[0]?.id,
    });
    expect(back.data.map((p) => p.id)).toEqual(newestFirst.slice(1, 3));
    expect(back.has_more).toBe(true);

    const all: string[] = [];
    for await (const p of stripe.prices.list({ product: product.id, limit: 2 })) all.push(p.id);
    expect(all).toEqual(newestFirst);
  });

  it('refuses a limit outside 1..100', async () => {
    const err = await stripe.customers.list({ limit: 101 }).catch((e) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err.param).toBe('limit');
  });
});

describe('errors', () => {
  it('answers 404 resource_missing for an unknown id', async () => {
    const err = await stripe.customers.retrieve('cus_doesnotexist').catch((e) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err.statusCode).toBe(404);
    expect(err.code).toBe('resource_missing');
    expect(err.message).toContain("No such customer: 'cus_doesnotexist'");
  });

  it('names a missing and an unknown parameter', async () => {
    const missing = await stripe.products.create({} as Stripe.ProductCreateParams).catch((e) => e);
    expect(missing.code).toBe('parameter_missing');
    expect(missing.param).toBe('name');
    const unknown = await stripe.customers
      .create({ emial: 'x@example.com' } as unknown as Stripe.CustomerCreateParams)
      .catch((e) => e);
    expect(unknown.code).toBe('parameter_unknown');
    expect(unknown.param).toBe('emial');
  });

  it('refuses a live or missing key with StripeAuthenticationError', async () => {
    const live = new Stripe('sk_live_nope', { ...emulator.sdkOptions, maxNetworkRetries: 0 });
    await expect(live.customers.list()).rejects.toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
  });
});

describe('idempotency', () => {
  it('replays the first answer for the same key and parameters', async () => {
    const first = await stripe.customers.create(
      { email: 'idem@example.com' },
      { idempotencyKey: 'idem-test-1' },
    );
    const again = await stripe.customers.create(
      { email: 'idem@example.com' },
      { idempotencyKey: 'idem-test-1' },
    );
    expect(again.id).toBe(first.id);
    expect(again.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect((await stripe.customers.list({ email: 'idem@example.com' })).data).toHaveLength(1);
  });

  it('refuses the same key with other parameters with StripeIdempotencyError', async () => {
    await stripe.customers.create({ email: 'idem2@example.com' }, { idempotencyKey: 'idem-test-2' });
    const err = await stripe.customers
      .create({ email: 'other@example.com' }, { idempotencyKey: 'idem-test-2' })
      .catch((e) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(err.type).toBe('StripeIdempotencyError');
  });

  it('does not save a parameter error, so the key may be retried with a fixed request', async () => {
    const bad = await stripe.products
      .create({ name: 'X', bogus: 1 } as unknown as Stripe.ProductCreateParams, {
        idempotencyKey: 'idem-test-3',
      })
      .catch((e) => e);
    expect(bad.code).toBe('parameter_unknown');
    const good = await stripe.products.create({ name: 'X' }, { idempotencyKey: 'idem-test-3' });
    expect(good.id).toMatch(/^prod_/);
  });
});

describe('versions', () => {
  it('emulates the API version of the pinned SDK', () => {
    expect(emulatedApiVersion).toBe(Stripe.API_VERSION);
  });

  it('answers an unimplemented endpoint with a 404 that says so', async () => {
    const err = await stripe.coupons.list().catch((e) => e);
    expect(err.statusCode).toBe(404);
    expect(err.message).toMatch(/does not implement/);
  });
});
