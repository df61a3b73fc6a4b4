import { liveClock } from '@qt/shared';
import type Stripe from 'stripe';
import { afterEach, describe, expect, it } from 'vitest';
import { applySubscription } from '../src/apply-subscription.ts';
import { Catalog } from '../src/catalog.ts';
import type { BillingContext } from '../src/context.ts';
import { createBilling } from '../src/create-billing.ts';
import { callHooks } from '../src/hooks-after-commit.ts';
import { type Harness, payCheckout, scope, startHarness, WEB } from './harness.ts';

const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.stop();
});

async function start() {
  const h = await startHarness();
  harnesses.push(h);
  await h.billing.ensureCatalog();
  return h;
}

async function buy(h: Harness, tenantId: string, tier: 'PRO' | 'ENTERPRISE' = 'PRO') {
  const { url } = await h.billing.startPlanCheckout(scope(tenantId), { tier, interval: 'month' });
  expect((await payCheckout(url)).status).toBe(303);
  await h.emulator.webhooksIdle(15_000);
  const customer = await h.db.prisma.billingCustomer.findUniqueOrThrow({ where: { tenantId } });
  const sub = (await h.stripe.subscriptions.list({ customer: customer.stripeCustomerId })).data[0];
  if (!sub) throw new Error('no subscription');
  return sub;
}

const tierOf = async (h: Harness, id: string) =>
  (await h.db.prisma.tenant.findUniqueOrThrow({ where: { id } })).tier;
const rowOf = (h: Harness, id: string) =>
  h.db.prisma.billingSubscription.findUniqueOrThrow({ where: { stripeSubscriptionId: id } });
const priceOf = async (h: Harness, lookupKey: string) =>
  (await h.stripe.prices.list({ lookup_keys: [lookupKey] })).data[0] as Stripe.Price;
const signed = (h: Harness, payload: string, secret = h.secret) =>
  h.stripe.webhooks.generateTestHeaderString({ payload, secret });

describe('plan identity from the price (portal switch)', () => {
  it('ENTERPRISE -> switched to the PRO price -> PRO; cancel -> FREE', async () => {
    const h = await start();
    const tenant = await h.tenant();
    const sub = await buy(h, tenant, 'ENTERPRISE');
    expect(await tierOf(h, tenant)).toBe('ENTERPRISE');
    const pro = await priceOf(h, 'qt_pro_monthly');
    await h.stripe.subscriptions.update(sub.id, {
      items: [{ id: sub.items.data[0]?.id as string, price: pro.id }],
    });
    await h.emulator.webhooksIdle(15_000);
    expect(await tierOf(h, tenant)).toBe('PRO');
    expect(await rowOf(h, sub.id)).toMatchObject({
      planTier: 'PRO',
      stripePriceId: pro.id,
      access: 'active',
    });
    expect(h.logger.lines.some((l) => /the price decides/.test(l.msg))).toBe(true);
    await h.stripe.subscriptions.cancel(sub.id);
    await h.emulator.webhooksIdle(15_000);
    expect(await tierOf(h, tenant)).toBe('FREE');
    expect(h.hooks.tiers.map((t) => t.tier)).toEqual(['ENTERPRISE', 'PRO', 'FREE']);
  });

  it('switched to a foreign price -> the stored row ends with Stripe’s status, tier FREE', async () => {
    const h = await start();
    const tenant = await h.tenant();
    const sub = await buy(h, tenant, 'PRO');
    const foreign = await h.stripe.prices.create({
      product_data: { name: 'not ours' },
      currency: 'usd',
      unit_amount: 1,
      recurring: { interval: 'month' },
    });
    await h.stripe.subscriptions.update(sub.id, {
      items: [{ id: sub.items.data[0]?.id as string, price: foreign.id }],
    });
    await h.emulator.webhooksIdle(15_000);
    expect(await rowOf(h, sub.id)).toMatchObject({ status: 'active', access: 'ended', planTier: 'PRO' });
    expect(await tierOf(h, tenant)).toBe('FREE');
    expect(h.hooks.tiers.at(-1)).toEqual({ tenantId: tenant, tier: 'FREE' });
  });
});

describe('no older read overwrites a newer state', () => {
  it('a snapshot read before a newer commit is re-read under the lock; the newer state stays', async () => {
    const h = await start();
    const tenant = await h.tenant();
    const sub = await buy(h, tenant);
    const ctx: BillingContext = {
      db: h.db.prisma,
      stripe: h.stripe,
      mode: 'emulator',
      clock: liveClock,
      logger: h.logger,
      hooks: h.hooks.hooks,
      webPublicUrl: WEB,
      testClocks: true,
      feePercent: 20,
    };
    // A reconciliation page read now (not cancelling) ...
    const readAt = Date.now();
    const older = await h.stripe.subscriptions.retrieve(sub.id);
    expect(older.cancel_at_period_end).toBe(false);
    // ... a newer state committed by its webhook meanwhile ...
    await h.stripe.subscriptions.update(sub.id, { cancel_at_period_end: true });
    await h.emulator.webhooksIdle(15_000);
    expect((await rowOf(h, sub.id)).cancelAtPeriodEnd).toBe(true);
    // ... and the old page applied after it: the row keeps the newer state.
    await applySubscription(
      ctx,
      new Catalog(ctx),
      sub.id,
      { kind: 'reconcile' },
      { kind: 'snapshot', sub: older, readAt },
    );
    expect(await rowOf(h, sub.id)).toMatchObject({ cancelAtPeriodEnd: true, access: 'active' });
  });

  it('an older event delivered after a newer commit changes nothing', async () => {
    const h = await start();
    const tenant = await h.tenant();
    const sub = await buy(h, tenant);
    const created = h.emulator.events().find((e) => e.type === 'customer.subscription.created');
    await h.stripe.subscriptions.update(sub.id, { cancel_at_period_end: true });
    await h.emulator.webhooksIdle(15_000);
    const payload = JSON.stringify({ ...created, id: 'evt_late_1' });
    const answer = await h.billing.handleWebhook(Buffer.from(payload), signed(h, payload));
    expect(answer).toEqual({ status: 200, body: { received: true, outcome: 'applied' } });
    expect(await rowOf(h, sub.id)).toMatchObject({ cancelAtPeriodEnd: true, updatedFrom: 'evt_late_1' });
  });
});

describe('tier derivation across subscriptions of one tenant', () => {
  it('two plan subscriptions applied at once: the tier is the one the committed rows grant', async () => {
    const h = await start();
    const tenant = await h.tenant();
    const a = await buy(h, tenant, 'PRO');
    // A second plan subscription, ENTERPRISE, made by hand for the same customer (ours: our price).
    const customer = a.customer as string;
    const enterprise = await priceOf(h, 'qt_enterprise_monthly');
    const metadata = { qt_kind: 'plan', qt_tenant: tenant, qt_tier: 'ENTERPRISE' };
    const session = await h.stripe.checkout.sessions.create({
      mode: 'subscription',
      customer,
      line_items: [{ price: enterprise.id }],
      success_url: 'http://x.test',
      metadata,
      subscription_data: { metadata },
    });
    expect((await payCheckout(session.url as string)).status).toBe(303);
    await h.emulator.webhooksIdle(15_000);
    expect(await tierOf(h, tenant)).toBe('ENTERPRISE');
    const b = (await h.stripe.subscriptions.list({ customer })).data.find((s) => s.id !== a.id);
    if (!b) throw new Error('no second subscription');
    // Missed: B canceled in Stripe, and A's row wrongly stored as ended. Truth: PRO (A active in Stripe).
    h.route(async () => ({ status: 200, body: {} }));
    await h.stripe.subscriptions.cancel(b.id);
    await h.emulator.webhooksIdle(15_000);
    await h.db.prisma.billingSubscription.update({
      where: { stripeSubscriptionId: a.id },
      data: { status: 'unpaid', access: 'ended' },
    });
    const ctx: BillingContext = {
      db: h.db.prisma,
      stripe: h.stripe,
      mode: 'emulator',
      clock: liveClock,
      logger: h.logger,
      hooks: h.hooks.hooks,
      webPublicUrl: WEB,
      testClocks: true,
      feePercent: 20,
    };
    const catalog = new Catalog(ctx);
    // Both at once: without the tenant's lock, each derives from the other's uncommitted state (A sees
    // B active -> ENTERPRISE, no change; B sees A ended -> FREE) and FREE is applied.
    const results = await Promise.all(
      [a.id, b.id].map((id) =>
        applySubscription(ctx, catalog, id, { kind: 'reconcile' }, { kind: 'latest' }),
      ),
    );
    for (const r of results) await callHooks(ctx, r);
    expect(await tierOf(h, tenant)).toBe('PRO');
  });
});

describe('reconcile never mass-ends', () => {
  async function fakeRows(
    h: Harness,
    template: Awaited<ReturnType<typeof rowOf>>,
    ids: string[],
    customer?: string,
  ) {
    for (const id of ids) {
      await h.db.prisma.billingSubscription.create({
        data: {
          ...template,
          stripeSubscriptionId: id,
          ...(customer ? { stripeCustomerId: customer } : {}),
          applicationFeePercent: null,
          createdAt: undefined,
          updatedAt: undefined,
        },
      });
    }
  }

  it('more than max(3, 10 %) missing -> none ended, an error logged', async () => {
    const h = await start();
    const tenant = await h.tenant();
    const sub = await buy(h, tenant);
    await fakeRows(h, await rowOf(h, sub.id), ['sub_x1', 'sub_x2', 'sub_x3', 'sub_x4']);
    await h.billing.reconcile();
    const ended = await h.db.prisma.billingSubscription.count({ where: { access: 'ended' } });
    expect(ended).toBe(0);
    expect(await tierOf(h, tenant)).toBe('PRO');
    expect(h.logger.lines.some((l) => l.level === 'error' && /NOT ended/.test(l.msg))).toBe(true);
  });

  it('a stored customer this Stripe does not know (another account) -> nothing ended', async () => {
    const h = await start();
    const tenant = await h.tenant();
    const sub = await buy(h, tenant);
    await fakeRows(h, await rowOf(h, sub.id), ['sub_elsewhere'], 'cus_from_another_account');
    await h.billing.reconcile();
    expect((await rowOf(h, 'sub_elsewhere')).access).toBe('active');
    expect(
      h.logger.lines.some(
        (l) => l.level === 'error' && (l.obj as { why?: string }).why?.includes('customer is unknown'),
      ),
    ).toBe(true);
    // Up to 3 missing with known customers do end (the ordinary repair still works).
    await h.db.prisma.billingSubscription.delete({ where: { stripeSubscriptionId: 'sub_elsewhere' } });
    await fakeRows(h, await rowOf(h, sub.id), ['sub_gone']);
    await h.billing.reconcile();
    expect((await rowOf(h, 'sub_gone')).access).toBe('ended');
    expect((await rowOf(h, sub.id)).access).toBe('active');
  });
});

describe('reconcile against another Stripe account', () => {
  it('the key now belongs to another account (GET /v1/account differs) -> nothing ended, an error logged', async () => {
    const h = await start();
    const tenant = await h.tenant();
    const sub = await buy(h, tenant);
    await h.billing.reconcile(); // the first run records the account
    h.emulator.switchPlatformAccount();
    // A row Stripe does not have (and whose customer it does know): it would be ended against the same
    // account; against another account the run refuses to end anything.
    await h.db.prisma.billingSubscription.create({
      data: {
        ...(await rowOf(h, sub.id)),
        stripeSubscriptionId: 'sub_other_account',
        applicationFeePercent: null,
        createdAt: undefined,
        updatedAt: undefined,
      },
    });
    await h.billing.reconcile();
    expect((await rowOf(h, 'sub_other_account')).access).toBe('active');
    expect(
      h.logger.lines.some(
        (l) => l.level === 'error' && (l.obj as { why?: string }).why?.includes('account or mode differs'),
      ),
    ).toBe(true);
  });
});

describe('webhook inputs', () => {
  it('invoice without parent: the subscription id comes from invoice.subscription', async () => {
    const h = await start();
    const tenant = await h.tenant();
    const sub = await buy(h, tenant);
    await h.db.prisma.billingSubscription.delete({ where: { stripeSubscriptionId: sub.id } });
    const payload = JSON.stringify({
      id: 'evt_old_invoice_1',
      object: 'event',
      type: 'invoice.paid',
      created: Math.floor(Date.now() / 1000),
      data: { object: { id: 'in_old_1', object: 'invoice', subscription: sub.id, parent: null } },
    });
    const answer = await h.billing.handleWebhook(Buffer.from(payload), signed(h, payload));
    expect(answer.body.outcome).toBe('applied');
    expect((await rowOf(h, sub.id)).access).toBe('active');
  });

  it('account.updated: flags from Stripe, not the event copy; a second (Connect) secret verifies', async () => {
    const h = await start();
    const seller = await h.tenant('seller');
    await h.billing.sellerOnboardingLink(seller);
    const row = await h.db.prisma.marketplaceSeller.findUniqueOrThrow({ where: { tenantId: seller } });
    expect(row.chargesEnabled).toBe(false);
    const connectSecret = 'whsec_connect_endpoint';
    const billing = createBilling({
      db: h.db.prisma,
      stripe: h.stripe,
      mode: 'emulator',
      webhookSecret: h.secret,
      webhookSecrets: [connectSecret],
      clock: liveClock,
      logger: h.logger,
      hooks: h.hooks.hooks,
      webPublicUrl: WEB,
    });
    // A forged-looking copy (charges enabled) that Stripe's account does not confirm.
    const payload = JSON.stringify({
      id: 'evt_acct_1',
      object: 'event',
      type: 'account.updated',
      created: Math.floor(Date.now() / 1000),
      account: row.stripeAccountId,
      data: {
        object: {
          id: row.stripeAccountId,
          object: 'account',
          charges_enabled: true,
          payouts_enabled: true,
          details_submitted: true,
        },
      },
    });
    const wrong = await billing.handleWebhook(Buffer.from(payload), signed(h, payload, 'whsec_other'));
    expect(wrong.status).toBe(400);
    const answer = await billing.handleWebhook(Buffer.from(payload), signed(h, payload, connectSecret));
    expect(answer).toEqual({ status: 200, body: { received: true, outcome: 'applied' } });
    expect(
      await h.db.prisma.marketplaceSeller.findUniqueOrThrow({ where: { tenantId: seller } }),
    ).toMatchObject({ chargesEnabled: false, payoutsEnabled: false, detailsSubmitted: false });
  });
});

describe('checkout', () => {
  it('an open checkout for the same tenant and plan is handed out again; another price gets its own', async () => {
    const h = await start();
    const tenant = await h.tenant();
    const a = await h.billing.startPlanCheckout(scope(tenant), { tier: 'PRO', interval: 'month' });
    const b = await h.billing.startPlanCheckout(scope(tenant), { tier: 'PRO', interval: 'month' });
    expect(b.url).toBe(a.url);
    const c = await h.billing.startPlanCheckout(scope(tenant), { tier: 'PRO', interval: 'year' });
    expect(c.url).not.toBe(a.url);
    const customer = await h.db.prisma.billingCustomer.findUniqueOrThrow({ where: { tenantId: tenant } });
    const open = await h.stripe.checkout.sessions.list({
      customer: customer.stripeCustomerId,
      status: 'open',
    });
    expect(open.data).toHaveLength(2);
  });
});
