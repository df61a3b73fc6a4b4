import { createHash } from 'node:crypto';
import { isAppError, liveClock } from '@qt/shared';
import type Stripe from 'stripe';
import { afterEach, describe, expect, it } from 'vitest';
import { applySubscription } from '../src/apply-subscription.ts';
import { Catalog } from '../src/catalog.ts';
import type { BillingContext } from '../src/context.ts';
import { advanceCustomerClock, type Harness, payCheckout, startHarness, WEB } from './harness.ts';

const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.stop();
});

/** A seller's strategy version and a paid listing of it (rows as the marketplace writes them). */
async function listing(h: Harness, sellerTenantId: string, priceCents: number) {
  const wasm = Buffer.from('\0asm\x01\0\0\0');
  const strategy = await h.db.prisma.strategy.create({
    data: { tenantId: sellerTenantId, name: 'Mean reversion' },
  });
  const version = await h.db.prisma.strategyVersion.create({
    data: {
      strategyId: strategy.id,
      version: 1,
      wasm,
      sha256: createHash('sha256').update(wasm).digest('hex'),
      sizeBytes: wasm.length,
      source: 'upload',
      callbacks: [],
      memoryPages: 1,
    },
  });
  const row = await h.db.prisma.marketplaceListing.create({
    data: {
      sellerTenantId,
      strategyId: strategy.id,
      versionId: version.id,
      moduleSha256: version.sha256,
      title: 'Mean reversion BTC',
      instruments: [{ venue: 'sim', symbol: 'BTC-USDT' }],
      intervals: ['1m'],
      priceCents,
      billingInterval: 'month',
      status: 'published',
    },
  });
  const spec = {
    listingId: row.id,
    title: row.title,
    sellerTenantId,
    amountCents: priceCents,
    currency: 'usd',
    interval: 'month' as const,
  };
  const price = await h.billing.ensureListingPrice(spec);
  // Idempotent: the same listing answers the same product and price.
  expect(await h.billing.ensureListingPrice(spec)).toEqual(price);
  expect(price.productId).toBe(`qt_listing_${row.id}`);
  await h.db.prisma.marketplaceListing.update({
    where: { id: row.id },
    data: { stripeProductId: price.productId, stripePriceId: price.priceId },
  });
  return { listingId: row.id, priceId: price.priceId };
}

/** Onboards the seller through the account link's page, as a person would. */
async function onboard(h: Harness, sellerTenantId: string) {
  const link = await h.billing.sellerOnboardingLink(sellerTenantId);
  const page = await fetch(link.url);
  expect(page.status).toBe(200);
  const done = await fetch(link.url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'action=complete',
    redirect: 'manual',
  });
  expect(done.headers.get('location')).toBe('http://dashboard.test/marketplace/sell');
  await h.emulator.webhooksIdle(15_000);
}

describe('marketplace billing', () => {
  it('listing checkout with destination + fee -> entitlement active -> finance shows the fee; refunds show', async () => {
    const h = await startHarness();
    harnesses.push(h);
    const seller = await h.tenant('seller');
    const buyer = await h.tenant('buyer');
    const { listingId, priceId } = await listing(h, seller, 2_500);
    const input = {
      tenantId: buyer,
      tenantName: 'Buyer',
      userId: null,
      listingId,
      stripePriceId: priceId,
      sellerTenantId: seller,
      trialDays: 0,
    };

    const early = await h.billing.startListingCheckout(input).catch((e) => e);
    expect(isAppError(early) && early.code).toBe('SELLER_NOT_ONBOARDED');
    expect(await h.billing.sellerAccount(seller)).toBeNull();
    await onboard(h, seller);
    // account.updated (a verified webhook) stored the flags.
    expect(await h.billing.sellerAccount(seller)).toMatchObject({
      chargesEnabled: true,
      payoutsEnabled: true,
    });
    expect(await h.billing.sellerAccount(seller, true)).toMatchObject({
      chargesEnabled: true,
      detailsSubmitted: true,
    });

    const own = await h.billing.startListingCheckout({ ...input, tenantId: seller }).catch((e) => e);
    expect(isAppError(own) && own.code).toBe('LISTING_NOT_AVAILABLE');

    const { url } = await h.billing.startListingCheckout(input);
    expect((await payCheckout(url)).headers.get('location')).toMatch(
      new RegExp(`^http://dashboard.test/marketplace/${listingId}\\?checkout=cs_`),
    );
    await h.emulator.webhooksIdle(15_000);
    const ent = await h.db.prisma.marketplaceEntitlement.findUniqueOrThrow({
      where: { tenantId_listingId: { tenantId: buyer, listingId } },
    });
    expect(ent.status).toBe('active');
    expect(h.hooks.listings).toEqual([{ tenantId: buyer, listingId, access: 'active' }]);
    expect(
      (await h.db.prisma.marketplaceListing.findUniqueOrThrow({ where: { id: listingId } })).subscribers,
    ).toBe(1);
    const again = await h.billing.startListingCheckout(input).catch((e) => e);
    expect(isAppError(again) && again.code).toBe('BILLING_ALREADY_SUBSCRIBED');

    const finance = await h.billing.sellerFinance(seller);
    expect(finance).toMatchObject({ currency: 'usd', grossCents: 2_500, feesCents: 500, refundsCents: 0 });
    expect(finance.netCents).toBe(2_000);
    expect(finance.balanceCents).toBe(2_000);
    expect(finance.transactions.map((t) => [t.type, t.amountCents])).toEqual([['payment', 2_000]]);

    const charge = (await h.stripe.charges.list({ limit: 1 })).data[0] as Stripe.Charge;
    await h.stripe.refunds.create({
      charge: charge.id,
      reverse_transfer: true,
      refund_application_fee: true,
    });
    const refunded = await h.billing.sellerFinance(seller);
    expect(refunded).toMatchObject({ grossCents: 2_500, feesCents: 0, refundsCents: 2_500, netCents: 0 });

    // Cancel: access until the period ends, then ended (deployments paused through the hook).
    await h.billing.cancelListingSubscription(buyer, listingId);
    await h.emulator.webhooksIdle(15_000);
    const sub = await h.db.prisma.billingSubscription.findFirstOrThrow({
      where: { tenantId: buyer, listingId },
    });
    expect(sub).toMatchObject({
      access: 'active',
      cancelAtPeriodEnd: true,
      applicationFeePercent: expect.anything(),
    });
    expect(Number(sub.applicationFeePercent)).toBe(20);
    await advanceCustomerClock(
      h,
      sub.stripeCustomerId,
      Math.floor((sub.currentPeriodEnd as Date).getTime() / 1000) + 60,
    );
    expect(h.hooks.listings.at(-1)).toEqual({ tenantId: buyer, listingId, access: 'ended' });
    expect(
      (await h.db.prisma.marketplaceListing.findUniqueOrThrow({ where: { id: listingId } })).subscribers,
    ).toBe(0);
    const nothing = await h.billing.cancelListingSubscription(buyer, listingId).catch((e) => e);
    expect(isAppError(nothing) && nothing.code).toBe('NOT_FOUND');
  });

  it('a subscription to a listing on another price grants nothing', async () => {
    const h = await startHarness();
    harnesses.push(h);
    const seller = await h.tenant('seller');
    const buyer = await h.tenant('buyer');
    const { listingId } = await listing(h, seller, 2_500);
    await onboard(h, seller);
    const cheap = await h.stripe.prices.create({
      product_data: { name: 'cheap' },
      currency: 'usd',
      unit_amount: 1,
      recurring: { interval: 'month' },
    });
    const metadata = { qt_kind: 'listing', qt_tenant: buyer, qt_listing: listingId };
    const session = await h.stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{ price: cheap.id }],
      success_url: 'http://x.test',
      metadata,
      subscription_data: { metadata },
    });
    expect((await payCheckout(session.url as string)).status).toBe(303);
    await h.emulator.webhooksIdle(15_000);
    expect(await h.db.prisma.marketplaceEntitlement.count()).toBe(0);
    expect(h.hooks.listings).toEqual([]);
  });

  it('the listing price without the transfer to the seller grants nothing (customer + destination checked)', async () => {
    const h = await startHarness();
    harnesses.push(h);
    const seller = await h.tenant('seller');
    const buyer = await h.tenant('buyer');
    const { listingId, priceId } = await listing(h, seller, 2_500);
    await onboard(h, seller);
    // The buyer's customer exists the ordinary way; then a subscription to the right price and
    // metadata is made by hand, paying the platform instead of the seller.
    await h.billing.startListingCheckout({
      tenantId: buyer,
      tenantName: 'Buyer',
      userId: null,
      listingId,
      stripePriceId: priceId,
      sellerTenantId: seller,
      trialDays: 0,
    });
    const customer = (await h.db.prisma.billingCustomer.findUniqueOrThrow({ where: { tenantId: buyer } }))
      .stripeCustomerId;
    const metadata = { qt_kind: 'listing', qt_tenant: buyer, qt_listing: listingId };
    const session = await h.stripe.checkout.sessions.create({
      mode: 'subscription',
      customer,
      line_items: [{ price: priceId }],
      success_url: 'http://x.test',
      metadata,
      subscription_data: { metadata },
    });
    expect((await payCheckout(session.url as string)).status).toBe(303);
    await h.emulator.webhooksIdle(15_000);
    expect(await h.db.prisma.marketplaceEntitlement.count()).toBe(0);
    expect(h.hooks.listings).toEqual([]);
  });

  it('any price of the listing’s product identifies it (a repriced listing keeps old subscribers)', async () => {
    const h = await startHarness();
    harnesses.push(h);
    const seller = await h.tenant('seller');
    const buyer = await h.tenant('buyer');
    const { listingId } = await listing(h, seller, 2_500);
    await onboard(h, seller);
    // A second price on the listing's product; the listing row still names the first one.
    const repriced = await h.billing.ensureListingPrice({
      listingId,
      title: 'Mean reversion BTC',
      sellerTenantId: seller,
      amountCents: 3_000,
      currency: 'usd',
      interval: 'month',
    });
    const { url } = await h.billing.startListingCheckout({
      tenantId: buyer,
      tenantName: 'Buyer',
      userId: null,
      listingId,
      stripePriceId: repriced.priceId,
      sellerTenantId: seller,
      trialDays: 0,
    });
    expect((await payCheckout(url)).status).toBe(303);
    await h.emulator.webhooksIdle(15_000);
    expect(h.hooks.listings).toEqual([{ tenantId: buyer, listingId, access: 'active' }]);
  });

  it('buyers paying at the same time are all counted (listing row locked before the recount)', async () => {
    const h = await startHarness();
    harnesses.push(h);
    const seller = await h.tenant('seller');
    const { listingId, priceId } = await listing(h, seller, 2_500);
    await onboard(h, seller);
    const buyers = await Promise.all(Array.from({ length: 6 }, (_, i) => h.tenant(`buyer ${i}`)));
    const urls = await Promise.all(
      buyers.map(async (tenantId) => {
        const { url } = await h.billing.startListingCheckout({
          tenantId,
          tenantName: 'Buyer',
          userId: null,
          listingId,
          stripePriceId: priceId,
          sellerTenantId: seller,
          trialDays: 0,
        });
        return url;
      }),
    );
    await Promise.all(urls.map((u) => payCheckout(u)));
    await h.emulator.webhooksIdle(15_000);
    expect(await h.db.prisma.marketplaceEntitlement.count({ where: { status: 'active' } })).toBe(6);
    const subscribers = async () =>
      (await h.db.prisma.marketplaceListing.findUniqueOrThrow({ where: { id: listingId } })).subscribers;
    expect(await subscribers()).toBe(6);
    // The webhooks above arrive one after another; apply all six at once, from scratch, so their
    // transactions overlap (each recount must see the others' committed entitlements).
    await h.db.prisma.marketplaceEntitlement.deleteMany({});
    await h.db.prisma.marketplaceListing.update({ where: { id: listingId }, data: { subscribers: 0 } });
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
    const subs = await h.db.prisma.billingSubscription.findMany({ where: { listingId } });
    for (let round = 0; round < 5; round++) {
      await h.db.prisma.marketplaceEntitlement.deleteMany({});
      await Promise.all(
        subs.map((s) =>
          applySubscription(ctx, catalog, s.stripeSubscriptionId, { kind: 'reconcile' }, { kind: 'latest' }),
        ),
      );
      expect(await subscribers()).toBe(6);
    }
  });
});
