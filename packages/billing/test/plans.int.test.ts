import { isAppError } from '@qt/shared';
import type Stripe from 'stripe';
import { afterEach, describe, expect, it } from 'vitest';
import { advanceCustomerClock, type Harness, payCheckout, scope, startHarness } from './harness.ts';

const day = 86_400;
const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.stop();
});

async function start(webhooks: Parameters<typeof startHarness>[0] = {}) {
  const h = await startHarness(webhooks);
  harnesses.push(h);
  await h.billing.ensureCatalog();
  return h;
}

/** A tenant that bought PRO monthly through the hosted page; answers its subscription. */
async function subscribePro(h: Harness, tenantId: string): Promise<Stripe.Subscription> {
  const { url } = await h.billing.startPlanCheckout(scope(tenantId), { tier: 'PRO', interval: 'month' });
  expect(url).toContain('/c/pay/');
  const paid = await payCheckout(url);
  expect(paid.status).toBe(303);
  expect(paid.headers.get('location')).toMatch(/^http:\/\/dashboard\.test\/billing\?checkout=cs_/);
  await h.emulator.webhooksIdle(15_000);
  const customer = await h.db.prisma.billingCustomer.findUniqueOrThrow({ where: { tenantId } });
  const subs = await h.stripe.subscriptions.list({ customer: customer.stripeCustomerId });
  expect(subs.data).toHaveLength(1);
  return subs.data[0] as Stripe.Subscription;
}

const periodEnd = (s: Stripe.Subscription) => s.items.data[0]?.current_period_end as number;
const tierOf = async (h: Harness, id: string) =>
  (await h.db.prisma.tenant.findUniqueOrThrow({ where: { id } })).tier;

describe('plans', () => {
  it('creates the catalog idempotently and answers plans from the server table', async () => {
    const h = await start();
    await h.billing.ensureCatalog();
    const prices = await h.stripe.prices.list({ limit: 100 });
    expect(prices.data.map((p) => p.lookup_key).sort()).toEqual([
      'qt_enterprise_monthly',
      'qt_enterprise_yearly',
      'qt_pro_monthly',
      'qt_pro_yearly',
    ]);
    // A second service on the same Stripe account (a restart) reuses everything.
    const again = await startHarnessOn(h);
    await again.ensureCatalog();
    expect((await h.stripe.prices.list({ limit: 100 })).data).toHaveLength(4);
    expect((await h.stripe.billingPortal.configurations.list({ limit: 100 })).data).toHaveLength(1);
    const plans = await h.billing.plans();
    expect(plans).toContainEqual({
      tier: 'PRO',
      interval: 'month',
      amountCents: 4900,
      currency: 'usd',
      lookupKey: 'qt_pro_monthly',
    });
  });

  it('checkout paid on the hosted page -> PRO through hooks.applyTier, once; a second checkout is refused', async () => {
    const h = await start();
    const tenant = await h.tenant();
    const sub = await subscribePro(h, tenant);
    expect(h.hooks.tiers).toEqual([{ tenantId: tenant, tier: 'PRO' }]);
    expect(await tierOf(h, tenant)).toBe('PRO');
    const row = await h.db.prisma.billingSubscription.findUniqueOrThrow({
      where: { stripeSubscriptionId: sub.id },
    });
    expect(row).toMatchObject({
      kind: 'plan',
      planTier: 'PRO',
      status: 'active',
      access: 'active',
      amountCents: 4900,
    });
    const events = await h.db.prisma.stripeEvent.findMany();
    expect(events.length).toBe(h.emulator.events().length);
    expect(h.answers.every((a) => a.status === 200)).toBe(true);

    const err = await h.billing
      .startPlanCheckout(scope(tenant, 'PRO'), { tier: 'ENTERPRISE', interval: 'year' })
      .catch((e) => e);
    expect(isAppError(err) && err.code).toBe('BILLING_ALREADY_SUBSCRIBED');
    const bad = await h.billing
      .startPlanCheckout(scope(tenant), { tier: 'FREE', interval: 'month' } as never)
      .catch((e) => e);
    expect(isAppError(bad) && bad.code).toBe('VALIDATION_FAILED');

    const view = await h.billing.overview(scope(tenant, 'PRO'));
    expect(view.plan).toMatchObject({
      tier: 'PRO',
      interval: 'month',
      access: 'active',
      cancelAtPeriodEnd: false,
    });
    expect(view.invoices.map((i) => [i.status, i.amountPaidCents])).toEqual([['paid', 4900]]);
    expect(view.nextInvoice).toMatchObject({ amountDueCents: 4900, currency: 'usd' });
    expect(view.paymentProblem).toBeNull();
    expect((await h.billing.openPortal(scope(tenant, 'PRO'))).url).toContain('/p/session/');
  });

  it('portal before any checkout is BILLING_NO_CUSTOMER; one customer per tenant under concurrent checkouts', async () => {
    const h = await start();
    const tenant = await h.tenant();
    const err = await h.billing.openPortal(scope(tenant)).catch((e) => e);
    expect(isAppError(err) && err.code).toBe('BILLING_NO_CUSTOMER');
    await Promise.all(
      Array.from({ length: 5 }, () =>
        h.billing.startPlanCheckout(scope(tenant), { tier: 'PRO', interval: 'month' }),
      ),
    );
    const customers = await h.stripe.customers.list({ limit: 100 });
    expect(customers.data.filter((c) => c.metadata?.qt_tenant === tenant)).toHaveLength(1);
    expect(await h.db.prisma.billingCustomer.count()).toBe(1);
  });

  it('test-clock renewal is paid and the period moves on', async () => {
    const h = await start();
    const tenant = await h.tenant();
    const sub = await subscribePro(h, tenant);
    await advanceCustomerClock(h, sub.customer as string, periodEnd(sub) + day);
    const row = await h.db.prisma.billingSubscription.findUniqueOrThrow({
      where: { stripeSubscriptionId: sub.id },
    });
    expect(row.access).toBe('active');
    expect(row.currentPeriodStart?.getTime()).toBe(periodEnd(sub) * 1000);
    const view = await h.billing.overview(scope(tenant, 'PRO'));
    expect(view.invoices.map((i) => i.status)).toEqual(['paid', 'paid']);
    expect(h.hooks.tiers).toEqual([{ tenantId: tenant, tier: 'PRO' }]);
  });

  it('a failing card: past_due keeps the tier (grace), after the retries canceled -> FREE', async () => {
    const h = await start();
    const tenant = await h.tenant();
    const sub = await subscribePro(h, tenant);
    const customer = sub.customer as string;
    const pm = await h.stripe.paymentMethods.attach('pm_card_chargeCustomerFail', { customer });
    await h.stripe.subscriptions.update(sub.id, { default_payment_method: pm.id });
    await advanceCustomerClock(h, customer, periodEnd(sub) + 60);
    const grace = await h.db.prisma.billingSubscription.findUniqueOrThrow({
      where: { stripeSubscriptionId: sub.id },
    });
    expect(grace).toMatchObject({ status: 'past_due', access: 'grace' });
    expect(await tierOf(h, tenant)).toBe('PRO');
    const view = await h.billing.overview(scope(tenant, 'PRO'));
    expect(view.paymentProblem).toMatch(/renewal payment failed/);
    expect(view.plan?.access).toBe('grace');

    await advanceCustomerClock(h, customer, periodEnd(sub) + 16 * day);
    const ended = await h.db.prisma.billingSubscription.findUniqueOrThrow({
      where: { stripeSubscriptionId: sub.id },
    });
    expect(ended).toMatchObject({ status: 'canceled', access: 'ended' });
    expect(h.hooks.tiers).toEqual([
      { tenantId: tenant, tier: 'PRO' },
      { tenantId: tenant, tier: 'FREE' },
    ]);
    expect(await tierOf(h, tenant)).toBe('FREE');
  });

  it('cancel at period end keeps access until the clock passes the end', async () => {
    const h = await start();
    const tenant = await h.tenant();
    const sub = await subscribePro(h, tenant);
    await h.stripe.subscriptions.update(sub.id, { cancel_at_period_end: true });
    await h.emulator.webhooksIdle(15_000);
    const cancelling = await h.db.prisma.billingSubscription.findUniqueOrThrow({
      where: { stripeSubscriptionId: sub.id },
    });
    expect(cancelling).toMatchObject({ status: 'active', access: 'active', cancelAtPeriodEnd: true });
    expect(await tierOf(h, tenant)).toBe('PRO');
    await advanceCustomerClock(h, sub.customer as string, periodEnd(sub) - 60);
    expect(await tierOf(h, tenant)).toBe('PRO');
    await advanceCustomerClock(h, sub.customer as string, periodEnd(sub) + 60);
    expect(await tierOf(h, tenant)).toBe('FREE');
    const ended = await h.db.prisma.billingSubscription.findUniqueOrThrow({
      where: { stripeSubscriptionId: sub.id },
    });
    expect(ended.access).toBe('ended');
  });

  it('a tampered subscription (a price not ours, metadata claiming ENTERPRISE) grants nothing', async () => {
    const h = await start();
    const tenant = await h.tenant();
    // Make the tenant's customer exist the ordinary way, then subscribe it to a foreign price by hand.
    await h.billing.startPlanCheckout(scope(tenant), { tier: 'PRO', interval: 'month' });
    const customer = (await h.db.prisma.billingCustomer.findUniqueOrThrow({ where: { tenantId: tenant } }))
      .stripeCustomerId;
    const cheap = await h.stripe.prices.create({
      product_data: { name: 'Enterprise (not really)' },
      currency: 'usd',
      unit_amount: 1,
      recurring: { interval: 'month' },
    });
    const metadata = { qt_kind: 'plan', qt_tenant: tenant, qt_tier: 'ENTERPRISE' };
    const session = await h.stripe.checkout.sessions.create({
      mode: 'subscription',
      customer,
      line_items: [{ price: cheap.id }],
      success_url: 'http://x.test/ok',
      metadata,
      subscription_data: { metadata },
    });
    expect((await payCheckout(session.url as string)).status).toBe(303);
    await h.emulator.webhooksIdle(15_000);
    expect(h.hooks.tiers).toEqual([]);
    expect(await tierOf(h, tenant)).toBe('FREE');
    expect(await h.db.prisma.billingSubscription.count()).toBe(0);
    const outcomes = await h.db.prisma.stripeEvent.findMany({
      where: { type: 'customer.subscription.created' },
    });
    expect(outcomes.map((e) => e.outcome)).toEqual(['ignored']);
    expect(h.logger.lines.some((l) => l.level === 'warn' && /grants nothing/.test(l.msg))).toBe(true);
  });
});

/** Another billing service on the same database and Stripe (an engine restart). */
async function startHarnessOn(h: Harness) {
  const { createBilling } = await import('../src/create-billing.ts');
  return createBilling({
    db: h.db.prisma,
    stripe: h.stripe,
    mode: 'emulator',
    webhookSecret: h.secret,
    clock: { now: () => Date.now() },
    logger: h.logger,
    hooks: h.hooks.hooks,
    webPublicUrl: 'http://dashboard.test',
    testClocks: true,
  });
}
