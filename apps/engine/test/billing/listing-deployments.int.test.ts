import { createPrisma } from '@qt/db';
import { createTestDatabase, type TestDatabase } from '@qt/db/testing';
import type { DeploymentView } from '@qt/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAppError } from '../support/expect-app-error.ts';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { waitUntil } from './stripe-pages.ts';

const BTC = { venue: 'binance', symbol: 'BTC-USDT' } as const;
const market = {
  marketSource: 'simulator' as const,
  simulatorTradesPerSecond: 40,
  marketSymbols: ['BTC-USDT'],
  marketplaceVerifyMinCandles: 5,
  marketplaceVerifyDays: 1,
};

/**
 * A buyer's deployments of a (free) listing follow the buyer's access: ended pauses the running ones
 * with SUBSCRIPTION_ENDED (one the buyer paused stays as it was), a resume is refused meanwhile, access
 * again resumes only those; an engine that starts while the access is ended does not run them.
 */
describe('listing deployments follow the access', () => {
  let db: TestDatabase;
  let t: TestEngine | undefined;
  let buyer: { token: string; userId: string; tenantId: string };
  let listingId: string;
  let running: DeploymentView;
  let ownPaused: DeploymentView;
  const title = 'Free SMA';

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestEngine({ ...market, databaseUrl: db.url });
    const s = await t.signUp('seller');
    const b = await t.signUp('buyer');
    buyer = { token: b.token, userId: b.user.id, tenantId: b.tenant.id };
    const a = t.client(s.token);
    const strategy = await a.strategies.createFromExample.mutate({ name: 'SMA', example: 'sma-crossover' });
    const engine = t;
    await waitUntil(
      () => engine.engine.api.db.$queryRaw<{ n: bigint }[]>`
        SELECT count(*) AS n FROM market_klines
         WHERE venue = ${BTC.venue} AND symbol = ${BTC.symbol} AND "interval" = '1s' AND closed`,
      (rows) => Number(rows[0]?.n ?? 0) >= 8,
      30_000,
      'stored candles',
    );
    const listing = await a.marketplace.publish.mutate({
      strategyId: strategy.id,
      title,
      instruments: [BTC],
      intervals: ['1s'],
      tunableParams: [{ name: 'fast', min: 2, max: 4, default: 2 }],
      defaultParams: { slow: 3, quantity: 0.001 },
      price: { kind: 'free' },
    });
    listingId = listing.id;
    await waitUntil(
      () => a.marketplace.get.query({ listingId }),
      (d) => d.listing.status === 'published',
      60_000,
      'published',
    );
  }, 120_000);
  afterAll(async () => {
    await t?.stop().catch(() => undefined);
    await db?.drop();
  });

  const b = () => (t as TestEngine).client(buyer.token);
  const state = (id: string) => b().strategies.deployment.query({ deploymentId: id });

  it('pauses running listing deployments when a free subscription is cancelled, resumes them on a new one', async () => {
    expect((await b().marketplace.subscribe.mutate({ listingId })).kind).toBe('granted');
    const account = await b().paperAccounts.create.mutate({ name: 'listing' });
    await b().paperAccounts.deposit.mutate({ accountId: account.id, asset: 'USDT', amount: '100000' });
    const deploy = () =>
      b().marketplace.deploy.mutate({ listingId, accountId: account.id, instruments: [BTC], interval: '1s' });
    running = await deploy();
    ownPaused = await deploy();
    await b().strategies.pause.mutate({ deploymentId: ownPaused.id });
    expect(running.state).toBe('running');
    expect(running.strategyName).toBe(title);

    await b().marketplace.cancelSubscription.mutate({ listingId });
    const paused = await state(running.id);
    expect(paused.state).toBe('paused');
    expect(paused.reason).toBe(`SUBSCRIPTION_ENDED: ${title}`);
    expect((await state(ownPaused.id)).reason).toBeNull();
    await expectAppError(b().strategies.resume.mutate({ deploymentId: running.id }), 'SUBSCRIPTION_REQUIRED');
    await expectAppError(
      b().strategies.resume.mutate({ deploymentId: ownPaused.id }),
      'SUBSCRIPTION_REQUIRED',
    );

    expect((await b().marketplace.subscribe.mutate({ listingId })).kind).toBe('granted');
    expect((await state(running.id)).state).toBe('running');
    // Paused by its owner: stays paused until they resume it.
    expect((await state(ownPaused.id)).state).toBe('paused');
  }, 30_000);

  it('an engine starting while the access is ended restores them paused, and running again once it is back', async () => {
    await (t as TestEngine).stop();
    t = undefined;
    const prisma = createPrisma(db.url, { max: 1 });
    try {
      // Ended while no engine ran (a webhook another engine handled, reconciliation): only the row says so.
      await prisma.marketplaceEntitlement.update({
        where: { tenantId_listingId: { tenantId: buyer.tenantId, listingId } },
        data: { status: 'ended' },
      });
      t = await startTestEngine({ ...market, databaseUrl: db.url });
      buyer.token = await t.sessionToken(buyer.userId, buyer.tenantId);
      const restored = await state(running.id);
      expect(restored.state).toBe('paused');
      expect(restored.reason).toBe(`SUBSCRIPTION_ENDED: ${title}`);
      expect((await state(ownPaused.id)).state).toBe('paused');

      await t.stop();
      t = undefined;
      await prisma.marketplaceEntitlement.update({
        where: { tenantId_listingId: { tenantId: buyer.tenantId, listingId } },
        data: { status: 'active' },
      });
      t = await startTestEngine({ ...market, databaseUrl: db.url });
      buyer.token = await t.sessionToken(buyer.userId, buyer.tenantId);
      expect((await state(running.id)).state).toBe('running');
      expect((await state(ownPaused.id)).state).toBe('paused');
    } finally {
      await prisma.$disconnect();
    }
  }, 90_000);
});
