import { createTestDatabase, type TestDatabase } from '@qt/db/testing';
import type { PublishListingInput } from '@qt/shared';
import { ManualClock } from '@qt/shared';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMarketplace, type MarketplaceService } from '../src/index.ts';
import {
  appCode,
  RecordingBilling,
  RecordingStrategies,
  type SeededTenant,
  seedTenant,
  silentLogger,
} from './support/fakes.ts';

const H = 3_600_000;
const DAY = 24 * H;
/** When the seeded strategy versions were uploaded; candles run from 500 h before to 2,000 h after. */
const UP = Date.parse('2026-09-01T00:00:00Z');
const BTC = { venue: 'binance', symbol: 'BTC-USDT' } as const;
const ETH = { venue: 'binance', symbol: 'ETH-USDT' } as const;

let db: TestDatabase;
let clock: ManualClock;
let strategies: RecordingStrategies;
let billing: RecordingBilling;
let market: MarketplaceService;
let seller: SeededTenant;
let buyer: SeededTenant;
let stranger: SeededTenant;

function listingInput(over: Partial<PublishListingInput> = {}): PublishListingInput {
  return {
    strategyId: seller.strategyId,
    title: 'Trend follower',
    summary: 'Buys breakouts',
    description: '# Hello\n\n[x](javascript:alert(1)) <script>alert(1)</script>',
    tags: ['trend', 'btc'],
    instruments: [BTC, ETH],
    intervals: ['1h', '4h'],
    tunableParams: [{ name: 'fast', min: 2, max: 50, default: 10 }],
    defaultParams: { size: 1 },
    price: { kind: 'free' },
    ...over,
  };
}

/** Publishes and runs the verification to `published` with the given stats. */
async function publishVerified(over: Partial<PublishListingInput> = {}, totalReturn = 0.25) {
  const l = await market.publish(seller.scope, listingInput(over));
  await market.finishVerifications();
  const row = await db.prisma.marketplaceListing.findUniqueOrThrow({ where: { id: l.id } });
  await strategies.finish(row.verificationBacktestId as string, {
    metrics: { totalReturn, maxDrawdown: 0.1, sharpe: 1.5 },
  });
  await market.finishVerifications();
  return l;
}

beforeAll(async () => {
  db = await createTestDatabase();
  clock = new ManualClock(Date.parse('2026-12-01T00:00:00Z'));
  strategies = new RecordingStrategies(db.prisma);
  billing = new RecordingBilling();
  market = createMarketplace({ db: db.prisma, clock, logger: silentLogger, billing, strategies });
  seller = await seedTenant(db.prisma, 'Seller Co', 2);
  buyer = await seedTenant(db.prisma, 'Buyer Co');
  stranger = await seedTenant(db.prisma, 'Stranger Co');
  await db.prisma.strategyVersion.updateMany({ data: { createdAt: new Date(UP) } });
  strategies.setCandles('binance:BTC-USDT:1h', UP - 500 * H, H, 2_501);
});

// At most 3 listings of a tenant verify at once: a test's leftovers must not count against the next one.
beforeEach(async () => {
  await db.prisma.marketplaceListing.updateMany({
    where: { status: 'verifying' },
    data: { status: 'verification_failed', statusReason: 'test cleanup' },
  });
});

afterAll(async () => {
  await market?.close();
  await db?.drop();
});

describe('publishing and verification', () => {
  it('pins the latest version and its sha256, sanitizes the description, starts as verifying', async () => {
    const l = await market.publish(seller.scope, listingInput());
    const version = await db.prisma.strategyVersion.findUniqueOrThrow({
      where: { id: seller.versionIds[1] },
    });
    expect(l.status).toBe('verifying');
    expect(l.moduleSha256).toBe(version.sha256);
    expect(l.stats).toBeNull();
    expect(l.sellerName).toBe('Seller Co');
    expect(l).not.toHaveProperty('versionId');
    const row = await db.prisma.marketplaceListing.findUniqueOrThrow({ where: { id: l.id } });
    expect(row.versionId).toBe(seller.versionIds[1]);
    expect(row.markets).toEqual(['binance:BTC-USDT', 'binance:ETH-USDT']);
    expect(row.descriptionHtml).toContain('<h1>Hello</h1>');
    expect(row.descriptionHtml).not.toMatch(/<script|href=/);
  });

  it('pins an explicit version; NOT_FOUND for another tenant strategy', async () => {
    const l = await market.publish(seller.scope, listingInput({ version: 1 }));
    const row = await db.prisma.marketplaceListing.findUniqueOrThrow({ where: { id: l.id } });
    expect(row.versionId).toBe(seller.versionIds[0]);
    expect(await appCode(market.publish(buyer.scope, listingInput()))).toBe('NOT_FOUND');
  });

  it('refuses bad tunable bounds and duplicate instruments', async () => {
    expect(await appCode(market.publish(seller.scope, listingInput({ defaultParams: { fast: 99 } })))).toBe(
      'VALIDATION_FAILED',
    );
    expect(await appCode(market.publish(seller.scope, listingInput({ instruments: [BTC, BTC] })))).toBe(
      'VALIDATION_FAILED',
    );
  });

  it('a paid listing needs the seller onboarded (checked fresh), then gets its Stripe price', async () => {
    const paid = listingInput({
      price: { kind: 'recurring', amountCents: 2_000, interval: 'month', trialDays: 7 },
    });
    expect(await appCode(market.publish(stranger.scope, { ...paid, strategyId: stranger.strategyId }))).toBe(
      'SELLER_NOT_ONBOARDED',
    );
    const refreshCall = billing.calls.filter((c) => c.method === 'sellerAccount').at(-1);
    expect(refreshCall?.args).toEqual([stranger.scope.tenantId, true]);
    expect(billing.count('ensureListingPrice')).toBe(0);

    billing.onboard(seller.scope.tenantId);
    const l = await market.publish(seller.scope, paid);
    expect(l.price).toEqual({ amountCents: 2_000, currency: 'usd', interval: 'month', trialDays: 7 });
    const row = await db.prisma.marketplaceListing.findUniqueOrThrow({ where: { id: l.id } });
    expect(row.stripePriceId).toBe(`price_${l.id}`);
  });

  it('verification: window from stored candles, default params, then published with stats; idempotent', async () => {
    await db.prisma.marketplaceListing.updateMany({
      where: { status: 'verifying' },
      data: { status: 'unlisted' },
    });
    const l = await market.publish(seller.scope, listingInput());
    expect(await market.finishVerifications()).toBe(1);
    expect(await market.finishVerifications()).toBe(0); // queued: nothing moves, nothing started twice
    const start = strategies.calls.filter((c) => c.method === 'startVerification');
    expect(start).toHaveLength(1);
    expect(start[0]?.args[0]).toMatchObject({
      instrument: BTC,
      interval: '1h',
      to: UP + 2_001 * H,
      from: UP + 2_001 * H - 30 * DAY,
      params: { size: 1, fast: 10 },
    });
    const row = await db.prisma.marketplaceListing.findUniqueOrThrow({ where: { id: l.id } });
    await strategies.finish(row.verificationBacktestId as string, {
      metrics: { totalReturn: 0.2, maxDrawdown: 0.05, sharpe: 2 },
    });
    clock.advance(1_000);
    expect(await market.finishVerifications()).toBe(1);
    expect(await market.finishVerifications()).toBe(0);
    const detail = await market.get(buyer.scope, l.id);
    expect(detail.listing.status).toBe('published');
    expect(detail.listing.stats).toEqual({ totalReturn: 0.2, maxDrawdown: 0.05, sharpe: 2 });
    expect(detail.verified).toMatchObject({
      status: 'completed',
      moduleSha256: l.moduleSha256,
      instrument: BTC,
      interval: '1h',
      from: UP + 2_001 * H - 30 * DAY,
      to: UP + 2_001 * H,
      feesBps: { maker: 10, taker: 10 },
      verifiedAt: new Date(clock.now()).toISOString(),
      label: 'out of sample: data after the module was uploaded',
    });
    // The stats say what they were computed on.
    expect(detail.listing).toMatchObject({ statsInstrument: BTC, statsInterval: '1h' });
  });

  it('too few candles -> waits, then verification_failed with BACKTEST_NO_DATA; a failed backtest -> its reason', async () => {
    const noData = await market.publish(seller.scope, listingInput({ instruments: [ETH] }));
    const failing = await market.publish(seller.scope, listingInput());
    await market.finishVerifications();
    const row = await db.prisma.marketplaceListing.findUniqueOrThrow({ where: { id: failing.id } });
    await strategies.finish(row.verificationBacktestId as string, { failed: 'TRAP: unreachable' });
    await market.finishVerifications();
    expect(await db.prisma.marketplaceListing.findUniqueOrThrow({ where: { id: noData.id } })).toMatchObject({
      status: 'verifying',
      statusReason: 'waiting for 100 more 1h candles of binance ETH-USDT after upload',
    });
    clock.advance(30 * DAY);
    await market.finishVerifications();
    const a = await db.prisma.marketplaceListing.findUniqueOrThrow({ where: { id: noData.id } });
    const b = await db.prisma.marketplaceListing.findUniqueOrThrow({ where: { id: failing.id } });
    expect(a.status).toBe('verification_failed');
    expect(a.statusReason).toMatch(/^BACKTEST_NO_DATA: /);
    expect(b.status).toBe('verification_failed');
    expect(b.statusReason).toBe('TRAP: unreachable');
    // The seller sees it; nobody else does.
    expect((await market.get(seller.scope, noData.id)).listing.status).toBe('verification_failed');
    expect(await appCode(market.get(buyer.scope, noData.id))).toBe('NOT_FOUND');
  });
});

describe('tenant isolation', () => {
  it('an unpublished listing is NOT_FOUND to others, for every buyer-side call', async () => {
    const l = await market.publish(seller.scope, listingInput());
    for (const call of [
      () => market.get(buyer.scope, l.id),
      () => market.subscribe(buyer.scope, l.id),
      () => market.review(buyer.scope, { listingId: l.id, rating: 5, body: '' }),
      () =>
        market.deploy(buyer.scope, {
          listingId: l.id,
          accountId: buyer.accountId,
          instruments: [BTC],
          interval: '1h',
          params: {},
        }),
      () => market.cancelSubscription(buyer.scope, l.id),
    ])
      expect(await appCode(call())).toBe('NOT_FOUND');
    expect((await market.myListings(buyer.scope)).map((x) => x.id)).not.toContain(l.id);
  });

  it('only the seller updates or attaches a record; visibility only once verified', async () => {
    const l = await publishVerified();
    expect(await appCode(market.update(buyer.scope, { listingId: l.id, title: 'Mine now' }))).toBe(
      'NOT_FOUND',
    );
    expect(
      await appCode(market.attachTrackRecord(buyer.scope, { listingId: l.id, deploymentId: null })),
    ).toBe('NOT_FOUND');
    const pending = await market.publish(seller.scope, listingInput());
    expect(
      await appCode(market.update(seller.scope, { listingId: pending.id, visibility: 'published' })),
    ).toBe('LISTING_NOT_AVAILABLE');
    const updated = await market.update(seller.scope, {
      listingId: l.id,
      title: 'Trend follower v2',
      description: '<img src=x onerror=alert(1)>',
      visibility: 'unlisted',
    });
    expect(updated.title).toBe('Trend follower v2');
    expect(updated.status).toBe('unlisted');
    expect((await market.get(seller.scope, l.id)).descriptionHtml).not.toMatch(/<img/);
    expect(await appCode(market.get(stranger.scope, l.id))).toBe('NOT_FOUND');
  });

  it('no view gives a buyer the version id or module bytes', async () => {
    const l = await publishVerified();
    const detail = await market.get(buyer.scope, l.id);
    const text = JSON.stringify(detail);
    const row = await db.prisma.marketplaceListing.findUniqueOrThrow({ where: { id: l.id } });
    expect(text).not.toContain(row.versionId);
    expect(text).not.toContain(row.strategyId);
    expect(text).not.toMatch(/wasm/i);
    expect(detail.viewer).toMatchObject({ isSeller: false, entitled: false, access: null, canReview: false });
  });
});

describe('subscribing, reviewing, deploying', () => {
  it('free: granted at once, counted once, reviewable by subscribers only, cancel ends access', async () => {
    const l = await publishVerified();
    expect(await appCode(market.subscribe(seller.scope, l.id))).toBe('VALIDATION_FAILED');
    expect(await appCode(market.review(stranger.scope, { listingId: l.id, rating: 1, body: 'spam' }))).toBe(
      'SUBSCRIPTION_REQUIRED',
    );
    expect(await appCode(market.review(seller.scope, { listingId: l.id, rating: 5, body: '' }))).toBe(
      'VALIDATION_FAILED',
    );
    const results = await Promise.all([
      market.subscribe(buyer.scope, l.id),
      market.subscribe(buyer.scope, l.id),
    ]);
    expect(results).toEqual([{ kind: 'granted' }, { kind: 'granted' }]);
    let detail = await market.get(buyer.scope, l.id);
    expect(detail.listing.subscribers).toBe(1);
    expect(detail.viewer).toMatchObject({ entitled: true, access: 'active', canReview: true });

    const r = await market.review(buyer.scope, { listingId: l.id, rating: 4, body: 'solid' });
    expect(r).toMatchObject({ rating: 4, body: 'solid', author: 'Buyer', mine: true });
    await market.review(buyer.scope, { listingId: l.id, rating: 5, body: 'better' });
    detail = await market.get(stranger.scope, l.id);
    expect(detail.reviews).toHaveLength(1);
    expect(detail.reviews[0]).toMatchObject({ rating: 5, body: 'better', mine: false });
    expect(detail.listing.rating).toEqual({ average: 5, count: 1 });

    const subs = await market.mySubscriptions(buyer.scope);
    expect(subs.find((s) => s.listing.id === l.id)).toMatchObject({ access: 'active', status: null });
    const cancelled = await market.cancelSubscription(buyer.scope, l.id);
    expect(cancelled.access).toBe('ended');
    expect((await market.get(buyer.scope, l.id)).listing.subscribers).toBe(0);
    expect(billing.count('cancelListingSubscription')).toBe(0);
    // Ended subscribers may still review; they may not deploy.
    await market.review(buyer.scope, { listingId: l.id, rating: 3, body: 'ended' });
    expect(
      await appCode(
        market.deploy(buyer.scope, {
          listingId: l.id,
          accountId: buyer.accountId,
          instruments: [BTC],
          interval: '1h',
          params: {},
        }),
      ),
    ).toBe('SUBSCRIPTION_REQUIRED');
  });

  it('deploy: instruments subset, interval in list, tunable params within bounds, pinned version', async () => {
    const l = await publishVerified();
    await market.subscribe(buyer.scope, l.id);
    const base = {
      listingId: l.id,
      accountId: buyer.accountId,
      instruments: [BTC],
      interval: '1h' as const,
      params: {},
    };
    expect(await appCode(market.deploy(stranger.scope, { ...base, accountId: stranger.accountId }))).toBe(
      'SUBSCRIPTION_REQUIRED',
    );
    expect(
      await appCode(
        market.deploy(buyer.scope, { ...base, instruments: [{ venue: 'okx', symbol: 'BTC-USDT' }] }),
      ),
    ).toBe('VALIDATION_FAILED');
    expect(await appCode(market.deploy(buyer.scope, { ...base, interval: '1m' }))).toBe('VALIDATION_FAILED');
    expect(await appCode(market.deploy(buyer.scope, { ...base, params: { size: 100 } }))).toBe(
      'LISTING_PARAM_NOT_ALLOWED',
    );
    expect(await appCode(market.deploy(buyer.scope, { ...base, params: { fast: 51 } }))).toBe(
      'LISTING_PARAM_NOT_ALLOWED',
    );
    const before = strategies.count('deployListing');
    const d = await market.deploy(buyer.scope, {
      ...base,
      instruments: [ETH, BTC],
      interval: '4h',
      params: { fast: 20 },
    });
    expect(strategies.count('deployListing')).toBe(before + 1);
    const call = strategies.calls.filter((c) => c.method === 'deployListing').at(-1);
    const row = await db.prisma.marketplaceListing.findUniqueOrThrow({ where: { id: l.id } });
    expect(call?.args).toEqual([
      { tenantId: buyer.scope.tenantId, actor: buyer.scope.actor, tier: 'PRO' },
      {
        listingId: l.id,
        title: 'Trend follower',
        strategyId: seller.strategyId,
        versionId: row.versionId,
        accountId: buyer.accountId,
        instruments: [ETH, BTC],
        interval: '4h',
        params: { size: 1, fast: 20 },
      },
    ]);
    expect(d.strategyName).toBe('Trend follower');
    // The seller deploys their own listing without subscribing.
    await market.deploy(seller.scope, { ...base, accountId: seller.accountId });
  });

  it('paid: checkout from the server-side price; already subscribed -> BILLING_ALREADY_SUBSCRIBED; cancel goes to Stripe', async () => {
    billing.onboard(seller.scope.tenantId);
    const l = await publishVerified({
      price: { kind: 'recurring', amountCents: 1_200, interval: 'year', trialDays: 0 },
    });
    const res = await market.subscribe(buyer.scope, l.id);
    expect(res).toEqual({ kind: 'checkout', url: `https://checkout.test/${l.id}/${buyer.scope.tenantId}` });
    expect(billing.calls.filter((c) => c.method === 'startListingCheckout').at(-1)?.args[0]).toEqual({
      tenantId: buyer.scope.tenantId,
      tenantName: 'Buyer Co',
      userId: buyer.userId,
      listingId: l.id,
      stripePriceId: `price_${l.id}`,
      sellerTenantId: seller.scope.tenantId,
      trialDays: 0,
    });
    // Nothing granted by starting a checkout.
    expect((await market.get(buyer.scope, l.id)).viewer.entitled).toBe(false);

    // What billing's verified webhook writes (simulated here as rows).
    await db.prisma.billingSubscription.create({
      data: {
        stripeSubscriptionId: 'sub_1',
        tenantId: buyer.scope.tenantId,
        kind: 'listing',
        listingId: l.id,
        stripeCustomerId: 'cus_1',
        stripePriceId: `price_${l.id}`,
        billingInterval: 'year',
        amountCents: 1_200,
        currency: 'usd',
        status: 'active',
        access: 'active',
        currentPeriodEnd: new Date(clock.now() + 365 * 24 * H),
        updatedFrom: 'evt_1',
      },
    });
    await db.prisma.marketplaceEntitlement.create({
      data: {
        tenantId: buyer.scope.tenantId,
        listingId: l.id,
        stripeSubscriptionId: 'sub_1',
        status: 'active',
      },
    });
    await db.prisma.marketplaceListing.update({ where: { id: l.id }, data: { subscribers: 1 } });
    expect(await appCode(market.subscribe(buyer.scope, l.id))).toBe('BILLING_ALREADY_SUBSCRIBED');
    const detail = await market.get(buyer.scope, l.id);
    expect(detail.viewer).toMatchObject({ entitled: true, access: 'active', cancelAtPeriodEnd: false });

    const c = await market.cancelSubscription(buyer.scope, l.id);
    expect(billing.cancelled.at(-1)).toEqual({ tenantId: buyer.scope.tenantId, listingId: l.id });
    expect(c).toMatchObject({ access: 'active', status: 'active', cancelAtPeriodEnd: true });

    // The seller's dashboard: MRR = 1,200 / 12 = 100 cents; finance from billing once onboarded.
    const dash = await market.sellerDashboard(seller.scope);
    expect(dash.seller).toEqual({
      onboarded: true,
      chargesEnabled: true,
      payoutsEnabled: true,
      feePercent: 20,
    });
    expect(dash.listings.find((x) => x.listing.id === l.id)).toMatchObject({ subscribers: 1, mrrCents: 100 });
    expect(dash.mrrCents).toBe(100);
    expect(dash.grossCents).toBe(2_000);
    expect(dash.transactions).toHaveLength(1);
  });

  it('a trial is offered once per tenant: after a paid subscription ended, the new checkout has no trial', async () => {
    billing.onboard(seller.scope.tenantId);
    const l = await publishVerified({
      price: { kind: 'recurring', amountCents: 900, interval: 'month', trialDays: 14 },
    });
    const checkoutArgs = () =>
      billing.calls.filter((c) => c.method === 'startListingCheckout').at(-1)?.args[0] as {
        trialDays: number;
      };
    await market.subscribe(buyer.scope, l.id);
    expect(checkoutArgs().trialDays).toBe(14);
    // A checkout started and abandoned leaves no subscription: the trial is still there.
    await market.subscribe(buyer.scope, l.id);
    expect(checkoutArgs().trialDays).toBe(14);
    // Subscribed with the trial, cancelled during it, ended (what billing's webhooks write).
    await db.prisma.billingSubscription.create({
      data: {
        stripeSubscriptionId: `sub_trial_${l.id}`,
        tenantId: buyer.scope.tenantId,
        kind: 'listing',
        listingId: l.id,
        stripeCustomerId: 'cus_1',
        stripePriceId: `price_${l.id}`,
        billingInterval: 'month',
        amountCents: 900,
        currency: 'usd',
        status: 'canceled',
        access: 'ended',
        currentPeriodEnd: new Date(clock.now()),
        updatedFrom: 'evt_trial_end',
      },
    });
    await market.subscribe(buyer.scope, l.id);
    expect(checkoutArgs().trialDays).toBe(0);
    expect((await market.get(buyer.scope, l.id)).viewer.trialAvailable).toBe(false);
    expect((await market.get(stranger.scope, l.id)).viewer.trialAvailable).toBe(true);
    // Another tenant still gets it.
    await market.subscribe(stranger.scope, l.id);
    expect(checkoutArgs().trialDays).toBe(14);

    // Subscribed again (no trial); the old subscription's row is then touched after the new one's (a late
    // webhook): the listing still shows the live subscription, not the latest updated.
    const base = await db.prisma.billingSubscription.findUniqueOrThrow({
      where: { stripeSubscriptionId: `sub_trial_${l.id}` },
    });
    await db.prisma.billingSubscription.create({
      data: {
        ...base,
        stripeSubscriptionId: `sub_again_${l.id}`,
        status: 'active',
        access: 'active',
        currentPeriodEnd: new Date(clock.now() + 30 * 24 * H),
        applicationFeePercent: null,
        createdAt: undefined,
        updatedAt: undefined,
      },
    });
    await db.prisma.billingSubscription.update({
      where: { stripeSubscriptionId: `sub_trial_${l.id}` },
      data: { updatedFrom: 'evt_late' },
    });
    expect((await market.get(buyer.scope, l.id)).viewer.access).toBe('active');
  });

  it("a seller that is not onboarded gets zeros and no Stripe call; another tenant's dashboard is its own", async () => {
    const before = billing.count('sellerFinance');
    const dash = await market.sellerDashboard(stranger.scope);
    expect(dash).toMatchObject({
      mrrCents: 0,
      subscribers: 0,
      grossCents: 0,
      balanceCents: 0,
      listings: [],
      transactions: [],
    });
    expect(billing.count('sellerFinance')).toBe(before);
    expect(await market.sellerOnboarding(stranger.scope)).toEqual({
      url: `https://connect.test/onboard/${stranger.scope.tenantId}`,
    });
  });
});

describe('forward record', () => {
  /** A deployment of the seller's (on a paper account of its own unless given), matching the listing. */
  async function sellerDeployment(over: Record<string, unknown> = {}) {
    const accountId =
      (over.accountId as string | undefined) ??
      (
        await db.prisma.paperAccount.create({
          data: { tenantId: seller.scope.tenantId, name: `acct ${clock.now()}-${Math.random()}` },
        })
      ).id;
    return db.prisma.strategyDeployment.create({
      data: {
        tenantId: seller.scope.tenantId,
        strategyId: seller.strategyId,
        versionId: seller.versionIds[1] as string,
        accountId,
        instruments: [BTC],
        interval: '1h',
        params: { size: 1, fast: 10 },
        state: 'running',
        ...over,
      },
    });
  }

  it('attaches only a deployment that is this listing: version, instruments, interval, params, alone on its account', async () => {
    const l = await publishVerified();
    const attach = (deploymentId: string) =>
      appCode(market.attachTrackRecord(seller.scope, { listingId: l.id, deploymentId }));
    expect(await attach((await sellerDeployment({ versionId: seller.versionIds[0] })).id)).toBe(
      'VALIDATION_FAILED',
    );
    expect(
      await attach((await sellerDeployment({ instruments: [{ venue: 'okx', symbol: 'BTC-USDT' }] })).id),
    ).toBe('VALIDATION_FAILED');
    expect(await attach((await sellerDeployment({ interval: '1m' })).id)).toBe('VALIDATION_FAILED');
    expect(await attach((await sellerDeployment({ params: { size: 2, fast: 10 } })).id)).toBe(
      'VALIDATION_FAILED',
    );
    expect(await attach((await sellerDeployment({ params: { size: 1 } })).id)).toBe('VALIDATION_FAILED');
    expect(await attach((await sellerDeployment({ state: 'paused' })).id)).toBe('VALIDATION_FAILED');
    const shared = await sellerDeployment();
    await sellerDeployment({ accountId: shared.accountId, state: 'paused', params: {} });
    expect(await attach(shared.id)).toBe('VALIDATION_FAILED');
    const own = await sellerDeployment({ instruments: [ETH, BTC], interval: '4h' });
    // Another tenant's deployment is NOT_FOUND (checked by the strategies side with the seller's tenant).
    expect(
      await appCode(market.attachTrackRecord(buyer.scope, { listingId: l.id, deploymentId: own.id })),
    ).toBe('NOT_FOUND');
    expect(await attach(own.id)).toBe('no error');
  });

  it('samples equity; ends the record (kept, with its reason) on a stop, a deposit, changed params or a second deployment', async () => {
    const l = await publishVerified();
    const own = await sellerDeployment();
    const since = clock.now();
    strategies.equity.set(own.id, '10000');
    await market.attachTrackRecord(seller.scope, { listingId: l.id, deploymentId: own.id });
    for (const eq of ['11000', '9900', '12100']) {
      clock.advance(60_000);
      strategies.equity.set(own.id, eq);
      await market.sampleTrackRecords();
    }
    let rec = (await market.get(buyer.scope, l.id)).trackRecord;
    expect(rec?.since).toBe(new Date(since).toISOString());
    expect(rec?.running).toBe(true);
    expect(rec?.equity.map((p) => p[1])).toEqual([10_000, 11_000, 9_900, 12_100]);
    expect(rec?.totalReturn).toBeCloseTo(0.21, 12);
    expect(rec?.maxDrawdown).toBeCloseTo(0.1, 12);
    expect(rec?.drawdown.map((p) => p[1])).toEqual([0, 0, 0.1, 0]);

    // A deposit would read as return: the record ends, its samples stay.
    clock.advance(60_000);
    strategies.flows.set(own.accountId, clock.now());
    strategies.equity.set(own.id, '20000');
    await market.sampleTrackRecords();
    rec = (await market.get(buyer.scope, l.id)).trackRecord;
    expect(rec).toMatchObject({
      running: false,
      endedReason: 'money was deposited to or withdrawn from the paper account',
    });
    expect(rec?.equity).toHaveLength(4);

    const ends: [string, (id: string, accountId: string) => Promise<unknown>][] = [
      [
        "the deployment's parameters changed",
        (id) =>
          db.prisma.strategyDeployment.update({ where: { id }, data: { params: { size: 3, fast: 10 } } }),
      ],
      [
        'another deployment trades on the same paper account',
        (_id, accountId) => sellerDeployment({ accountId, params: {} }),
      ],
      [
        'the deployment is not running',
        (id) => db.prisma.strategyDeployment.update({ where: { id }, data: { state: 'stopped' } }),
      ],
    ];
    for (const [reason, change] of ends) {
      const d = await sellerDeployment();
      clock.advance(60_000);
      await market.attachTrackRecord(seller.scope, { listingId: l.id, deploymentId: d.id });
      clock.advance(60_000);
      await market.sampleTrackRecords();
      expect((await market.get(buyer.scope, l.id)).trackRecord?.running, reason).toBe(true);
      await change(d.id, d.accountId);
      clock.advance(60_000);
      await market.sampleTrackRecords();
      expect((await market.get(buyer.scope, l.id)).trackRecord, reason).toMatchObject({
        running: false,
        endedReason: reason,
      });
    }
  });

  it('re-attaching keeps the earlier records and their samples (shown, newest first)', async () => {
    const l = await publishVerified();
    const first = await sellerDeployment();
    strategies.equity.set(first.id, '10000');
    await market.attachTrackRecord(seller.scope, { listingId: l.id, deploymentId: first.id });
    clock.advance(60_000);
    strategies.equity.set(first.id, '5000'); // a bad run the seller would like to hide
    await market.sampleTrackRecords();
    clock.advance(60_000);
    const second = await sellerDeployment();
    strategies.equity.set(second.id, '10000');
    await market.attachTrackRecord(seller.scope, { listingId: l.id, deploymentId: second.id });
    const detail = await market.get(buyer.scope, l.id);
    expect(detail.trackRecord?.equity.map((p) => p[1])).toEqual([10_000]);
    expect(detail.earlierTrackRecords).toHaveLength(1);
    expect(detail.earlierTrackRecords?.[0]).toMatchObject({
      running: false,
      endedReason: 'replaced by another deployment',
      totalReturn: -0.5,
    });
    expect(detail.earlierTrackRecords?.[0]?.equity.map((p) => p[1])).toEqual([10_000, 5_000]);
    // Detaching closes the current record too; nothing is deleted.
    clock.advance(60_000);
    await market.attachTrackRecord(seller.scope, { listingId: l.id, deploymentId: null });
    const after = await market.get(buyer.scope, l.id);
    expect(after.trackRecord).toBeNull();
    expect(after.earlierTrackRecords?.map((r) => r.endedReason)).toEqual([
      'detached by the seller',
      'replaced by another deployment',
    ]);
    expect(await db.prisma.marketplaceTrackPoint.count({ where: { listingId: l.id } })).toBe(3);
  });

  it('a sampling pass reaches every attached listing, beyond one page of 500', async () => {
    const l = await publishVerified();
    const d = await sellerDeployment();
    await market.attachTrackRecord(seller.scope, { listingId: l.id, deploymentId: d.id });
    await db.prisma.marketplaceListing.updateMany({
      where: { id: { not: l.id } },
      data: { trackDeploymentId: null },
    });
    // 600 copies of the listing with the same record attached.
    await db.prisma.$executeRaw`
      INSERT INTO marketplace_listings (id, seller_tenant_id, strategy_id, version_id, module_sha256, title,
        instruments, markets, intervals, tunable_params, default_params, status, track_deployment_id, track_since)
      SELECT gen_random_uuid(), seller_tenant_id, strategy_id, version_id, module_sha256, title || g, instruments,
             markets, intervals, tunable_params, default_params, 'unlisted', track_deployment_id, track_since
        FROM marketplace_listings, generate_series(1, 600) g WHERE id = ${l.id}::uuid`;
    clock.advance(60_000);
    expect(await market.sampleTrackRecords()).toBe(601);
    // The copies would count against the seller's listing limit in the next tests.
    await db.prisma.$executeRaw`DELETE FROM marketplace_listings WHERE title ~ '^Trend follower[0-9]+$'`;
  });

  it('thins a long record to at most 500 points and keeps the last', async () => {
    const l = await publishVerified();
    const start = clock.now();
    await db.prisma.marketplaceListing.update({ where: { id: l.id }, data: { trackSince: new Date(start) } });
    await db.prisma.marketplaceTrackPoint.createMany({
      data: Array.from({ length: 1_234 }, (_, i) => ({
        listingId: l.id,
        at: new Date(start + i * 60_000),
        equity: String(10_000 + (i === 700 ? -5_000 : i)),
      })),
    });
    const rec = (await market.get(buyer.scope, l.id)).trackRecord;
    expect(rec?.equity.length).toBeLessThanOrEqual(500);
    expect(rec?.equity.at(-1)).toEqual([start + 1_233 * 60_000, 11_233]);
    // The trough at i=700 may be thinned out of the curve, never out of the stat.
    expect(rec?.maxDrawdown).toBeCloseTo(1 - 5_000 / 10_699, 12);
  });
});

describe('background loops', () => {
  it('start() advances verifications by itself; close() stops the loops', async () => {
    const loopMarket = createMarketplace({
      db: db.prisma,
      clock,
      logger: silentLogger,
      billing,
      strategies,
      pollMs: 20,
      trackSampleMs: 60_000,
    });
    const l = await loopMarket.publish(seller.scope, listingInput());
    loopMarket.start();
    const deadline = Date.now() + 5_000;
    let row = await db.prisma.marketplaceListing.findUniqueOrThrow({ where: { id: l.id } });
    while (!row.verificationBacktestId && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      row = await db.prisma.marketplaceListing.findUniqueOrThrow({ where: { id: l.id } });
    }
    await loopMarket.close();
    expect(row.verificationBacktestId).not.toBeNull();
  });
});
