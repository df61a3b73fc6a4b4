import { randomBytes } from 'node:crypto';
import { createPrisma } from '@qt/db';
import { createTestDatabase, type TestDatabase } from '@qt/db/testing';
import type { DeploymentView } from '@qt/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_VERIFICATIONS } from '../../src/strategies/backtest-jobs.ts';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { waitUntil } from './stripe-pages.ts';

const BTC = { venue: 'binance', symbol: 'BTC-USDT' } as const;
const REDIS_URL = process.env.REDIS_URL;

/**
 * Two engines on one database (and one Redis, as deployed): the buyer's listing deployment runs on A,
 * the access ends through B, and A pauses it within seconds (billing's hook on B publishes the change;
 * A applies it from the entitlement rows). Also what the sweep, the seller's own deployment, a stale
 * feed and the verification bound do on A.
 */
describe.runIf(REDIS_URL)('listing access on every engine', () => {
  let db: TestDatabase;
  let a: TestEngine;
  let b: TestEngine;
  let seller: { token: string; userId: string; tenantId: string };
  let buyer: { userId: string; tenantId: string };
  let strategyId: string;
  let versionId: string;
  let listingId: string;
  let running: DeploymentView;
  let own: DeploymentView;
  const title = 'Shared SMA';

  beforeAll(async () => {
    db = await createTestDatabase();
    const shared = { databaseUrl: db.url, redisKeyPrefix: `qt-test-${randomBytes(4).toString('hex')}` };
    a = await startTestEngine({
      ...shared,
      marketSource: 'simulator',
      simulatorTradesPerSecond: 40,
      marketSymbols: ['BTC-USDT'],
      marketplaceVerifyMinCandles: 5,
      marketplaceVerifyDays: 1,
    });
    b = await startTestEngine({ ...shared, marketSource: 'off' });
    const s = await a.signUp('seller');
    seller = { token: s.token, userId: s.user.id, tenantId: s.tenant.id };
    const u = await a.signUp('buyer');
    buyer = { userId: u.user.id, tenantId: u.tenant.id };
    const strategy = await a
      .client(seller.token)
      .strategies.createFromExample.mutate({ name: 'SMA', example: 'sma-crossover' });
    strategyId = strategy.id;
    versionId = strategy.versions[0]?.id as string;
    await waitUntil(
      () => a.engine.api.db.$queryRaw<{ n: bigint }[]>`
        SELECT count(*) AS n FROM market_klines
         WHERE venue = ${BTC.venue} AND symbol = ${BTC.symbol} AND "interval" = '1s' AND closed`,
      (rows) => Number(rows[0]?.n ?? 0) >= 8,
      30_000,
      'stored candles',
    );
    const listing = await a.client(seller.token).marketplace.publish.mutate({
      strategyId,
      title,
      instruments: [BTC],
      intervals: ['1s'],
      tunableParams: [{ name: 'fast', min: 2, max: 4, default: 2 }],
      defaultParams: { slow: 3, quantity: 0.001 },
      price: { kind: 'free' },
    });
    listingId = listing.id;
    await waitUntil(
      () => a.client(seller.token).marketplace.get.query({ listingId }),
      (d) => d.listing.status === 'published',
      60_000,
      'published',
    );
  }, 150_000);
  afterAll(async () => {
    await b?.stop().catch(() => undefined);
    await a?.stop().catch(() => undefined);
    await db?.drop();
  });

  /** The buyer's client on engine `t` (each engine signs its own sessions). */
  const buyerOn = async (t: TestEngine) => t.client(await t.sessionToken(buyer.userId, buyer.tenantId));
  const onA = async (id: string) => (await buyerOn(a)).strategies.deployment.query({ deploymentId: id });

  it('deployed through A, access ended through B: paused on A within seconds, resumed when it is back', async () => {
    const buyerA = await buyerOn(a);
    expect((await buyerA.marketplace.subscribe.mutate({ listingId })).kind).toBe('granted');
    const account = await buyerA.paperAccounts.create.mutate({ name: 'listing' });
    await buyerA.paperAccounts.deposit.mutate({ accountId: account.id, asset: 'USDT', amount: '100000' });
    running = await buyerA.marketplace.deploy.mutate({
      listingId,
      accountId: account.id,
      instruments: [BTC],
      interval: '1s',
    });
    expect(running.state).toBe('running');
    // The seller's own deployment of the listing: never subscription-bound.
    const sellerA = a.client(seller.token);
    const sellerAccount = await sellerA.paperAccounts.create.mutate({ name: 'own' });
    await sellerA.paperAccounts.deposit.mutate({
      accountId: sellerAccount.id,
      asset: 'USDT',
      amount: '100000',
    });
    own = await sellerA.marketplace.deploy.mutate({
      listingId,
      accountId: sellerAccount.id,
      instruments: [BTC],
      interval: '1s',
    });
    expect(own.state).toBe('running');

    const buyerB = await buyerOn(b);
    const endedAt = Date.now();
    await buyerB.marketplace.cancelSubscription.mutate({ listingId });
    const paused = await waitUntil(
      () => onA(running.id),
      (d) => d.state === 'paused',
      5_000,
      'paused on A',
    );
    expect(paused.reason).toBe(`SUBSCRIPTION_ENDED: ${title}`);
    expect(Date.now() - endedAt).toBeLessThan(5_000);
    expect((await sellerA.strategies.deployment.query({ deploymentId: own.id })).state).toBe('running');

    expect((await buyerB.marketplace.subscribe.mutate({ listingId })).kind).toBe('granted');
    await waitUntil(
      () => onA(running.id),
      (d) => d.state === 'running',
      5_000,
      'running again on A',
    );
  }, 60_000);

  it('the sweep applies an end no hook announced, and never pauses the seller', async () => {
    const prisma = createPrisma(db.url, { max: 1 });
    const setStatus = (status: string) =>
      prisma.marketplaceEntitlement.update({
        where: { tenantId_listingId: { tenantId: buyer.tenantId, listingId } },
        data: { status },
      });
    try {
      // Written behind billing's back (another engine's webhook with the change feed down, a crash after
      // the commit): only the sweep finds it.
      await setStatus('ended');
      const changed = await a.engine.strategies.service.syncListingAccess();
      expect(changed).toEqual([running.id]);
      expect((await onA(running.id)).reason).toBe(`SUBSCRIPTION_ENDED: ${title}`);
      const sellerA = a.client(seller.token);
      expect((await sellerA.strategies.deployment.query({ deploymentId: own.id })).state).toBe('running');
      // The seller pauses and resumes their own deployment with no subscription.
      await sellerA.strategies.pause.mutate({ deploymentId: own.id });
      expect((await sellerA.strategies.resume.mutate({ deploymentId: own.id })).state).toBe('running');

      // The engine re-checks the entitlement inside the cap transaction (the marketplace checked before).
      const tier = 'FREE' as const;
      await expect(
        a.engine.strategies.service.deployListing(
          { tenantId: buyer.tenantId, actor: 'test', tier },
          {
            listingId,
            strategyId,
            versionId,
            accountId: running.accountId,
            instruments: [BTC],
            interval: '1s',
            params: { fast: 2, slow: 3, quantity: 0.001 },
          },
        ),
      ).rejects.toMatchObject({ code: 'SUBSCRIPTION_REQUIRED' });

      await setStatus('active');
      expect(await a.engine.strategies.service.syncListingAccess()).toEqual([running.id]);
      expect((await onA(running.id)).state).toBe('running');
    } finally {
      await prisma.$disconnect();
    }
  }, 30_000);

  it('a deployment paused by a stale feed whose access ends is held by the subscription, and runs when both are back', async () => {
    const service = a.engine.strategies.service;
    expect(
      await service.pauseForStaleFeed(buyer.tenantId, BTC.venue, BTC.symbol, 'binance BTC-USDT (test)'),
    ).toEqual([running.id]);
    expect((await onA(running.id)).reason).toMatch(/^FEED_STALE: /);
    const buyerB = await buyerOn(b);
    await buyerB.marketplace.cancelSubscription.mutate({ listingId });
    await waitUntil(
      () => onA(running.id),
      (d) => d.reason === `SUBSCRIPTION_ENDED: ${title}`,
      5_000,
      'access wins over the stale feed',
    );
    // The feed coming back does not resume it while the access is ended.
    expect(await service.resumeAfterStaleFeed(BTC.venue, BTC.symbol)).toEqual([]);
    expect((await buyerB.marketplace.subscribe.mutate({ listingId })).kind).toBe('granted');
    // The simulator's feed is live: resumed.
    await waitUntil(
      () => onA(running.id),
      (d) => d.state === 'running',
      5_000,
      'resumed',
    );
  }, 30_000);

  it(`queues at most ${MAX_VERIFICATIONS} verifications, apart from users' backtests`, async () => {
    const to = Date.now();
    const spec = {
      versionId,
      strategyId,
      instruments: [BTC],
      interval: '1s' as const,
      from: to - 60_000,
      to,
      params: { fast: 2, slow: 3, quantity: 0.001 },
      mode: 'candles' as const,
      quoteCurrency: 'USDT',
      initialBalances: { USDT: '10000' },
    };
    const jobs = a.engine.strategies.service;
    const results = await Promise.allSettled(
      Array.from({ length: MAX_VERIFICATIONS + 1 }, () => jobs.startVerification(seller.tenantId, spec)),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(MAX_VERIFICATIONS);
    const refused = results.find((r) => r.status === 'rejected');
    expect((refused as PromiseRejectedResult).reason).toMatchObject({ code: 'BACKTEST_QUEUE_FULL' });
    // A user's backtest still gets its place in line.
    const own = await a.client(seller.token).backtests.run.mutate({
      strategyId,
      instruments: [BTC],
      interval: '1s',
      from: spec.from,
      to: spec.to,
    });
    expect(['queued', 'running']).toContain(own.status);
  }, 30_000);
});
