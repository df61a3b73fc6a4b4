import { setTenantTier } from '@qt/api';
import { TIER_CAPS } from '@qt/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import {
  HISTORY_FROM,
  MINUTE,
  outcome,
  quietModule,
  setTier,
  slowModule,
  storeCandles,
  tally,
  tenantOf,
  until,
} from './limits-fixtures.ts';

const CALLS = 40;
const FREE = TIER_CAPS.FREE;
const BTC = [{ venue: 'binance', symbol: 'BTC-USDT' }];

/**
 * Every tier cap holds under 40 concurrent calls through the real API (tRPC over HTTP): exactly the
 * cap succeeds, the rest get the typed code with the tier and the limit, and the database holds exactly
 * the cap. Before the caps were counted under a lock, all 40 deploys passed the check.
 */
describe('tier caps under 40 concurrent calls (FREE)', () => {
  let t: TestEngine;

  beforeAll(async () => {
    t = await startTestEngine({
      marketSource: 'simulator',
      marketVenues: ['binance'],
      marketSymbols: ['BTC-USDT'],
      simulatorTradesPerSecond: 2,
    });
    await storeCandles(t, 3_000);
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
  });

  it('creates exactly 5 API keys of 40 concurrent creates; the rest get TIER_LIMIT_REACHED', async () => {
    const { tenantId, client } = await tenantOf(t);
    const results = await Promise.all(
      Array.from({ length: CALLS }, (_, i) =>
        outcome(client.apiKeys.create.mutate({ name: `key ${i}`, scopes: ['read'] })),
      ),
    );
    expect(tally(results)).toEqual({ ok: FREE.apiKeys, TIER_LIMIT_REACHED: CALLS - FREE.apiKeys });
    const refused = results.find((r) => r.code !== 'ok');
    expect(refused?.details).toMatchObject({ tier: 'FREE', limit: FREE.apiKeys });
    expect(await t.engine.api.db.apiKey.count({ where: { tenantId } })).toBe(FREE.apiKeys);
    // A revoked key frees its place.
    const [first] = await client.apiKeys.list.query();
    await client.apiKeys.revoke.mutate({ id: first?.id as string });
    expect((await outcome(client.apiKeys.create.mutate({ name: 'again', scopes: ['read'] }))).code).toBe(
      'ok',
    );
  }, 60_000);

  it('creates exactly 3 paper accounts of 40 concurrent creates; the rest get TIER_LIMIT_REACHED', async () => {
    const { tenantId, client } = await tenantOf(t);
    const results = await Promise.all(
      Array.from({ length: CALLS }, (_, i) =>
        outcome(client.paperAccounts.create.mutate({ name: `acct ${i}` })),
      ),
    );
    expect(tally(results)).toEqual({
      ok: FREE.paperAccounts,
      TIER_LIMIT_REACHED: CALLS - FREE.paperAccounts,
    });
    expect(results.find((r) => r.code !== 'ok')?.details).toMatchObject({
      tier: 'FREE',
      limit: FREE.paperAccounts,
    });
    expect(await t.engine.api.db.paperAccount.count({ where: { tenantId } })).toBe(FREE.paperAccounts);
    expect(await client.paperAccounts.list.query()).toHaveLength(FREE.paperAccounts);
  }, 60_000);

  it('a contract override of a cap is the cap enforced (not only the one shown)', async () => {
    const { tenantId, client } = await tenantOf(t);
    const contract = FREE.paperAccounts + 2;
    await setTenantTier(t.engine.api, tenantId, 'FREE', { paperAccounts: contract });
    const results = await Promise.all(
      Array.from({ length: CALLS }, (_, i) =>
        outcome(client.paperAccounts.create.mutate({ name: `contract acct ${i}` })),
      ),
    );
    expect(tally(results)).toEqual({ ok: contract, TIER_LIMIT_REACHED: CALLS - contract });
    expect(results.find((r) => r.code !== 'ok')?.details).toMatchObject({ tier: 'FREE', limit: contract });
    expect(await t.engine.api.db.paperAccount.count({ where: { tenantId } })).toBe(contract);
    expect((await client.usage.today.query()).limits.paperAccounts).toBe(contract);
  }, 60_000);

  it('starts exactly 3 deployments of 40 concurrent deploys; the rest get STRATEGY_LIMIT_REACHED', async () => {
    const { tenantId, client } = await tenantOf(t);
    const account = await client.paperAccounts.create.mutate({ name: 'deploys' });
    const strategy = await client.strategies.upload.mutate({
      name: 'quiet',
      wasmBase64: await quietModule(),
    });
    const results = await Promise.all(
      Array.from({ length: CALLS }, () =>
        outcome(
          client.strategies.deploy.mutate({
            strategyId: strategy.id,
            accountId: account.id,
            instruments: BTC,
            interval: '1m',
          }),
        ),
      ),
    );
    expect(tally(results)).toEqual({
      ok: FREE.deployments,
      STRATEGY_LIMIT_REACHED: CALLS - FREE.deployments,
    });
    expect(results.find((r) => r.code !== 'ok')?.details).toMatchObject({
      tier: 'FREE',
      limit: FREE.deployments,
    });
    const rows = await t.engine.api.db.strategyDeployment.findMany({ where: { tenantId } });
    expect(rows).toHaveLength(FREE.deployments);
    expect(rows.every((r) => r.state === 'running')).toBe(true);
  }, 90_000);

  it('resumes exactly 3 of 10 paused deployments (a downgrade left them) under 40 concurrent resumes; redeploy is capped too', async () => {
    const { tenantId, client } = await tenantOf(t, 'ENTERPRISE');
    const account = await client.paperAccounts.create.mutate({ name: 'resumes' });
    const strategy = await client.strategies.upload.mutate({
      name: 'quiet',
      wasmBase64: await quietModule(),
    });
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const d = await client.strategies.deploy.mutate({
        strategyId: strategy.id,
        accountId: account.id,
        instruments: BTC,
        interval: '1m',
      });
      await client.strategies.pause.mutate({ deploymentId: d.id });
      ids.push(d.id);
    }
    await setTier(t, tenantId, 'FREE');
    // Four resumes per deployment, all at once: a deployment's first resume that gets a place runs it,
    // its later ones find it running (STRATEGY_STATE_CONFLICT); the others are refused by the cap.
    const results = await Promise.all(
      Array.from({ length: CALLS }, (_, i) =>
        outcome(client.strategies.resume.mutate({ deploymentId: ids[i % ids.length] as string })),
      ),
    );
    const counts = tally(results);
    expect(counts.ok).toBe(FREE.deployments);
    expect(counts.STRATEGY_LIMIT_REACHED).toBeGreaterThan(0);
    expect(
      (counts.ok ?? 0) + (counts.STRATEGY_LIMIT_REACHED ?? 0) + (counts.STRATEGY_STATE_CONFLICT ?? 0),
    ).toBe(CALLS);
    expect(results.find((r) => r.code === 'STRATEGY_LIMIT_REACHED')?.details).toMatchObject({
      tier: 'FREE',
      limit: FREE.deployments,
    });
    const states = (await client.strategies.deployments.query()).map((d) => d.state);
    expect(states.filter((s) => s === 'running')).toHaveLength(FREE.deployments);
    expect(states.filter((s) => s === 'paused')).toHaveLength(10 - FREE.deployments);
    expect(await t.engine.api.db.strategyDeployment.count({ where: { tenantId, state: 'running' } })).toBe(
      FREE.deployments,
    );

    // A stopped deployment started again by redeploy needs a place like a new one: there is none.
    const paused = (await client.strategies.deployments.query()).find((d) => d.state === 'paused');
    await client.strategies.stop.mutate({ deploymentId: paused?.id as string });
    const redeploy = await outcome(client.strategies.redeploy.mutate({ deploymentId: paused?.id as string }));
    expect(redeploy).toMatchObject({ code: 'STRATEGY_LIMIT_REACHED', details: { tier: 'FREE' } });
    expect((await client.strategies.deployment.query({ deploymentId: paused?.id as string })).state).toBe(
      'stopped',
    );
  }, 180_000);

  it('resumes and redeploys for more tenants at once than the engine has pooled connections, without a stall; the caps hold', async () => {
    // Twelve tenants, each with one call of every kind in its own line at once: twelve transactions under
    // their tenants' cap locks against the engine's pooled connections. A resume or redeploy that wrote
    // its state on a second connection while holding the first stalled the pool until the connect
    // timeout (PRISMA_CONNECT_TIMEOUT_MS, 10 s) failed them.
    const TENANTS = 12;
    // One tenant after the other: dozens of sandboxes booting at once on a loaded machine can overrun
    // the FREE tier's 50 ms start budget, which is not what this test is about.
    const tenants = [];
    for (let n = 0; n < TENANTS; n++) {
      const { tenantId, client } = await tenantOf(t);
      const account = await client.paperAccounts.create.mutate({ name: `pool ${n}` });
      const v1 = await client.strategies.upload.mutate({ name: 'quiet', wasmBase64: await quietModule() });
      const deploy = () =>
        client.strategies.deploy.mutate({
          strategyId: v1.id,
          accountId: account.id,
          instruments: BTC,
          interval: '1m',
        });
      // Three hold the FREE cap's three places, one of them paused.
      const running = await deploy();
      const paused = await deploy();
      await client.strategies.pause.mutate({ deploymentId: paused.id });
      await deploy();
      // Version 2 of the same strategy, for the redeploys.
      await client.strategies.upload.mutate({ name: 'quiet', wasmBase64: await slowModule(1) });
      tenants.push({ tenantId, client, accountId: account.id, running, paused, deploy, n });
    }

    // Other work holds most of the pool meanwhile (requests, pushes, persisters in a busy engine): seven
    // of its ten connections sit in open transactions, so the calls share three and every transaction
    // that wanted a second connection would wait for one that never comes free.
    let letGo = () => {};
    const released = new Promise<void>((resolve) => {
      letGo = resolve;
    });
    const busy = Array.from({ length: 7 }, () =>
      t.engine.api.db.$transaction(
        async (tx) => {
          await tx.$executeRaw`SELECT 1`;
          await released;
        },
        { timeout: 120_000, maxWait: 30_000 },
      ),
    );
    const started = performance.now();
    const results = await Promise.all(
      tenants.flatMap((x) => [
        outcome(x.client.strategies.resume.mutate({ deploymentId: x.paused.id })),
        outcome(x.client.strategies.resume.mutate({ deploymentId: x.paused.id })),
        // Half the tenants redeploy a running one (a new sandbox each: kept to six at once).
        ...(x.n % 2 === 0
          ? [outcome(x.client.strategies.redeploy.mutate({ deploymentId: x.running.id, version: 2 }))]
          : []),
        outcome(x.deploy()),
      ]),
    );
    const elapsed = performance.now() - started;
    letGo();
    await Promise.all(busy);
    console.info(
      `${results.length} resumes, redeploys and deploys of ${TENANTS} tenants in ${Math.round(elapsed)} ms`,
    );
    // Per tenant: one resume runs it (two others run: within the cap of 3), the other finds it running;
    // the redeploy replaces a deployment that holds its place; a new deploy finds no place.
    expect(tally(results)).toEqual({
      ok: TENANTS + TENANTS / 2,
      STRATEGY_STATE_CONFLICT: TENANTS,
      STRATEGY_LIMIT_REACHED: TENANTS,
    });
    // A stalled pool fails a call only after the 10 s connect timeout, and each tenant's line has two such calls.
    expect(elapsed).toBeLessThan(20_000);

    for (const x of tenants) {
      const views = await x.client.strategies.deployments.query();
      const rows = await t.engine.api.db.strategyDeployment.findMany({
        where: { tenantId: x.tenantId },
        include: { strategyVersion: { select: { version: true } } },
      });
      // Memory and the rows agree: three running, the cap; the redeployed one at version 2.
      expect(views.filter((v) => v.reason !== null).map((v) => v.reason)).toEqual([]);
      expect(views.map((v) => v.state)).toEqual(Array(FREE.deployments).fill('running'));
      expect(rows.map((r) => r.state)).toEqual(Array(FREE.deployments).fill('running'));
      expect(rows.find((r) => r.id === x.running.id)?.strategyVersion.version).toBe(x.n % 2 === 0 ? 2 : 1);
      // One sandbox per deployment (each follows the account's fills and orders): the old run of the
      // redeployed one is gone, none is left over.
      expect(t.engine.trading.service.liveSubscribers(x.accountId)).toBe(2 * FREE.deployments);
    }
  }, 240_000);

  it('queues exactly 2 backtests of 40 concurrent runs; the rest get STRATEGY_LIMIT_REACHED', async () => {
    // Another tenant's long job holds the engine's backtest slot, so none of the 40 finishes (and frees
    // a place) while they arrive.
    const blocker = await tenantOf(t, 'ENTERPRISE');
    const slow = await blocker.client.strategies.upload.mutate({
      name: 'slow',
      wasmBase64: await slowModule(3_000_000),
    });
    const held = await blocker.client.backtests.run.mutate({
      strategyId: slow.id,
      instruments: BTC,
      interval: '1m',
      from: HISTORY_FROM,
      to: HISTORY_FROM + 3_000 * MINUTE,
    });

    const { tenantId, client } = await tenantOf(t);
    const strategy = await client.strategies.upload.mutate({
      name: 'quiet',
      wasmBase64: await quietModule(),
    });
    const results = await Promise.all(
      Array.from({ length: CALLS }, () =>
        outcome(
          client.backtests.run.mutate({
            strategyId: strategy.id,
            instruments: BTC,
            interval: '1m',
            from: HISTORY_FROM,
            to: HISTORY_FROM + 100 * MINUTE,
          }),
        ),
      ),
    );
    expect(tally(results)).toEqual({ ok: FREE.backtests, STRATEGY_LIMIT_REACHED: CALLS - FREE.backtests });
    expect(results.find((r) => r.code !== 'ok')?.details).toMatchObject({
      tier: 'FREE',
      limit: FREE.backtests,
    });
    expect(await t.engine.api.db.backtest.count({ where: { tenantId } })).toBe(FREE.backtests);

    // Until its worker is up, a running job cannot be cancelled yet (BACKTEST_NOT_CANCELLABLE).
    await until(
      async () =>
        (await outcome(blocker.client.backtests.cancel.mutate({ backtestId: held.id }))).code === 'ok',
      30_000,
      'the blocking backtest to be cancelled',
    );
    await until(
      async () => (await client.backtests.list.query()).every((b) => b.status === 'completed'),
      60_000,
      "the FREE tenant's two backtests to complete",
    );
  }, 120_000);
});
