import { setTenantTier } from '@qt/api';
import { MAX_PROCEDURE_WEIGHT, ManualClock, PROCEDURE_WEIGHTS, TIER_RATES } from '@qt/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { apiKeyFor, raw, remainingOf } from './limit-helpers.ts';
import { outcome, until } from './limits-fixtures.ts';

/**
 * The per-tier request budgets through the real API, on one engine with its buckets in memory and an
 * injected clock, so every number is exact: headers on every answer, weights, the separate order budget,
 * the tenant budget shared by keys, 429 + Retry-After + RATE_LIMITED details, tier changes and overrides,
 * and the WebSocket caps. (Shared buckets in Redis, two engines and Redis down or stalled: shared-limits.int.test.ts.)
 */
describe('request limits by tier (one engine, exact arithmetic)', () => {
  let t: TestEngine;
  const clock = new ManualClock(Date.now());
  const FREE = TIER_RATES.FREE;

  beforeAll(async () => {
    // No REDIS_URL: buckets in memory, on the injected clock.
    t = await startTestEngine({ rateLimits: true, redisUrl: undefined }, clock);
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
  });

  it('every answer carries RateLimit-Policy and RateLimit; weights and the order budget show in them', async () => {
    const me = await t.signUp('headers');
    const a = await raw(t, me.token, 'apiKeys.list');
    expect(a.status).toBe(200);
    expect(a.policy).toBe(`"key";q=${FREE.perKey.limit};w=60, "tenant";q=${FREE.perTenant.limit};w=60`);
    expect(remainingOf(a.rateLimit, 'key')).toBe(FREE.perKey.burst - 1);
    expect(remainingOf(a.rateLimit, 'tenant')).toBe(FREE.perTenant.burst - 1);
    // apiKeys.create weighs 5.
    const b = await raw(t, me.token, 'apiKeys.create', { name: 'w', scopes: ['read'] }, 'POST');
    expect(b.status).toBe(200);
    expect(remainingOf(b.rateLimit, 'key')).toBe(FREE.perKey.burst - 6);
    // An order call spends the order budget too (even one refused by the domain: it was attempted).
    const c = await raw(
      t,
      me.token,
      'orders.place',
      {
        accountId: '00000000-0000-4000-8000-000000000000',
        clientOrderId: 'x1',
        venue: 'binance',
        symbol: 'BTC-USDT',
        side: 'buy',
        type: 'market',
        quantity: '1',
      },
      'POST',
    );
    expect(c.policy).toContain(`"orders";q=${FREE.orders.limit};w=60`);
    expect(remainingOf(c.rateLimit, 'orders')).toBe(FREE.orders.burst - 1);
    // A refusal by the domain still has the headers.
    expect(c.status).toBeGreaterThanOrEqual(400);
    expect(c.rateLimit).not.toBeNull();
  });

  it('a FREE key: exactly the burst passes at once, then 429 with Retry-After and the typed details', async () => {
    const me = await t.signUp('burst');
    const key = await apiKeyFor(t, me.token);
    const answers = [];
    for (let i = 0; i < FREE.perKey.burst + 30; i++) answers.push(await raw(t, key, 'accounts.tenant'));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(FREE.perKey.burst);
    const refused = answers.at(-1);
    expect(refused?.status).toBe(429);
    expect(refused?.retryAfter).toBe('1');
    expect(refused?.appCode).toBe('RATE_LIMITED');
    expect(refused?.details).toEqual({
      tier: 'FREE',
      scope: 'key',
      limit: FREE.perKey.limit,
      windowSeconds: 60,
      resetSeconds: 1,
      retryAfterSeconds: 1,
      nextTier: { tier: 'PRO', limit: TIER_RATES.PRO.perKey.limit },
    });
    expect(remainingOf(refused?.rateLimit ?? null, 'key')).toBe(0);
    // One unit comes back every 100 ms (600 per minute).
    clock.advance(100);
    expect((await raw(t, key, 'accounts.tenant')).status).toBe(200);
    expect((await raw(t, key, 'accounts.tenant')).status).toBe(429);
  });

  it("the tenant budget is shared by the tenant's keys and sessions", async () => {
    const me = await t.signUp('tenant');
    const k1 = await apiKeyFor(t, me.token);
    const k2 = await apiKeyFor(t, me.token);
    const k3 = await apiKeyFor(t, me.token);
    // Session: 3 creates (weight 5) = 15 units of the tenant's 240.
    let served = 0;
    for (const k of [k1, k2]) {
      for (let i = 0; i < FREE.perKey.burst; i++)
        if ((await raw(t, k, 'accounts.tenant')).status === 200) served++;
    }
    expect(served).toBe(FREE.perTenant.burst - 15);
    const third = await raw(t, k3, 'accounts.tenant');
    expect(third.status).toBe(429);
    expect(third.details?.scope).toBe('tenant');
    expect(third.details?.nextTier).toEqual({ tier: 'PRO', limit: TIER_RATES.PRO.perTenant.limit });
  });

  it('a tier change and a contract override apply at the next call', async () => {
    const me = await t.signUp('upgrade');
    expect((await raw(t, me.token, 'accounts.tenant')).policy).toContain(`"key";q=${FREE.perKey.limit};`);
    await setTenantTier(t.engine.api, me.tenant.id, 'PRO');
    expect((await raw(t, me.token, 'accounts.tenant')).policy).toContain(
      `"key";q=${TIER_RATES.PRO.perKey.limit};`,
    );
    await setTenantTier(t.engine.api, me.tenant.id, 'ENTERPRISE', {
      // The smallest burst a contract may set: it must hold the heaviest call (MAX_PROCEDURE_WEIGHT).
      perKey: { limit: 1_000, windowSeconds: 10, burst: MAX_PROCEDURE_WEIGHT },
    });
    // The bucket keeps what was spent under the old tier (a change does not refill it): let it refill.
    clock.advance(1_000);
    const after = await raw(t, me.token, 'accounts.tenant');
    expect(after.policy).toBe(`"key";q=1000;w=10, "tenant";q=${TIER_RATES.ENTERPRISE.perTenant.limit};w=60`);
    expect(remainingOf(after.rateLimit, 'key')).toBe(MAX_PROCEDURE_WEIGHT - 1);
    // ENTERPRISE has no next tier.
    for (let i = 1; i < MAX_PROCEDURE_WEIGHT; i++) await raw(t, me.token, 'accounts.tenant');
    const refused = await raw(t, me.token, 'accounts.tenant');
    expect(refused.status).toBe(429);
    expect(refused.details?.nextTier).toBeNull();
    // Removing the override returns to the tier's numbers.
    await setTenantTier(t.engine.api, me.tenant.id, 'ENTERPRISE', null);
    clock.advance(1_000);
    expect((await raw(t, me.token, 'accounts.tenant')).policy).toContain(
      `"key";q=${TIER_RATES.ENTERPRISE.perKey.limit};`,
    );
  });

  it('history depth: a FREE query reaching past 90 days is refused with the tier and the next one', async () => {
    const me = await t.signUp('depth');
    const day = 86_400_000;
    const query = (from: number) => ({ venue: 'binance', symbol: 'BTC-USDT', interval: '1m', from });
    const deep = await raw(t, me.token, 'market.candles', query(clock.now() - (FREE.historyDays + 1) * day));
    expect(deep.appCode).toBe('TIER_LIMIT_REACHED');
    expect(deep.details).toMatchObject({
      tier: 'FREE',
      scope: 'historyDays',
      limit: FREE.historyDays,
      nextTier: { tier: 'PRO', limit: TIER_RATES.PRO.historyDays },
    });
    // Within reach the call goes on to the market service (switched off on this engine).
    const near = await raw(t, me.token, 'market.candles', query(clock.now() - (FREE.historyDays - 1) * day));
    expect(near.appCode).toBe('MARKET_DATA_DISABLED');
    await setTenantTier(t.engine.api, me.tenant.id, 'PRO');
    const proDeep = await raw(
      t,
      me.token,
      'market.candles',
      query(clock.now() - (FREE.historyDays + 1) * day),
    );
    expect(proDeep.appCode).toBe('MARKET_DATA_DISABLED');
  });

  it('running calls per tenant are capped (a FREE tenant runs 4 at once)', async () => {
    const me = await t.signUp('concurrency');
    const key = await apiKeyFor(t, me.token, ['read', 'manage']);
    await raw(t, key, 'accounts.tenant'); // the key is verified and cached
    // The tenant row is locked by this test, so renames wait in the database, each holding its slot.
    const db = t.engine.api.db;
    const answers: Awaited<ReturnType<typeof raw>>[] = [];
    let calls: Promise<void> | null = null;
    await db.$transaction(
      async (tx) => {
        await tx.$queryRaw`SELECT id FROM tenants WHERE id = ${me.tenant.id}::uuid FOR UPDATE`;
        calls = Promise.all(
          Array.from({ length: 7 }, (_, i) =>
            raw(t, key, 'accounts.updateTenant', { name: `renamed ${i}` }, 'POST').then((a) => {
              answers.push(a);
            }),
          ),
        ).then(() => undefined);
        await until(() => answers.length >= 3, 15_000, 'three refusals while four wait');
      },
      { timeout: 30_000 },
    );
    await calls;
    const refused = answers.filter((a) => a.status === 429);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(FREE.concurrentCalls);
    expect(refused).toHaveLength(7 - FREE.concurrentCalls);
    for (const r of refused) {
      expect(r.appCode).toBe('RATE_LIMITED');
      expect(r.details).toMatchObject({
        tier: 'FREE',
        scope: 'concurrency',
        limit: FREE.concurrentCalls,
        nextTier: { tier: 'PRO', limit: TIER_RATES.PRO.concurrentCalls },
      });
    }
    // All finished: the slots are back.
    expect((await raw(t, key, 'accounts.tenant')).status).toBe(200);
  });

  it('WebSocket: subscriptions and connections per tenant are capped with RATE_LIMITED', async () => {
    const me = await t.signUp('ws');
    await setTenantTier(t.engine.api, me.tenant.id, 'FREE', { wsSubscriptions: 2, wsConnections: 1 });
    const ws = t.wsClient(me.token);
    const errors: { code: string; details: Record<string, unknown> | null }[] = [];
    const started: number[] = [];
    const subs = [0, 1, 2].map((i) =>
      ws.client.strategies.onDeployment.subscribe(
        {},
        {
          onStarted: () => started.push(i),
          onError: (err) => {
            void outcome(Promise.reject(err)).then((o) => errors.push(o));
          },
        },
      ),
    );
    await until(() => started.length + errors.length >= 3, 15_000, 'three subscriptions answered');
    expect(started).toHaveLength(2);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.code).toBe('RATE_LIMITED');
    expect(errors[0]?.details).toMatchObject({ tier: 'FREE', scope: 'subscriptions', limit: 2 });
    // Stopping one gives its slot back.
    subs[0]?.unsubscribe();
    const again: string[] = [];
    await until(
      async () => {
        const s = ws.client.strategies.onDeployment.subscribe(
          {},
          { onStarted: () => again.push('ok'), onError: () => again.push('refused') },
        );
        await until(() => again.length > 0, 5_000, 'answer');
        if (again.at(-1) === 'ok') return true;
        s.unsubscribe();
        again.length = 0;
        return false;
      },
      10_000,
      'the slot given back',
    );
    // A second connection of the same tenant is refused while the first is open.
    const second = t.wsClient(me.token);
    const o = await outcome(second.client.accounts.tenant.query());
    expect(o.code).toBe('RATE_LIMITED');
    expect(o.details).toMatchObject({ scope: 'connections', limit: 1 });
    await second.close();
    for (const s of subs) s.unsubscribe();
    await ws.close();
    // Closed: the tenant may connect again.
    const third = t.wsClient(me.token);
    await until(
      async () => (await outcome(third.client.accounts.tenant.query())).code === 'ok',
      10_000,
      'slot freed',
    );
    await third.close();
  });
});

describe('usage metering (counted in memory, flushed in batches)', () => {
  let t: TestEngine;

  beforeAll(async () => {
    // A long flush period: the test flushes itself, so it sees the counts before and after a flush.
    t = await startTestEngine({ rateLimits: true, redisUrl: undefined, usageFlushMs: 600_000 });
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
  });

  it('weighted requests and orders per tenant per day, today and 30 days, against the tier', async () => {
    const me = await t.signUp('usage');
    const other = await t.signUp('usage-other');
    const client = t.client(me.token);
    for (let i = 0; i < 7; i++) await client.accounts.tenant.query();
    await client.apiKeys.create.mutate({ name: 'u', scopes: ['read'] }); // weight 5
    await raw(t, me.token, 'orders.cancelAll', { accountId: '00000000-0000-4000-8000-000000000000' }, 'POST');
    await t.client(other.token).accounts.tenant.query();

    // Not written yet (no request wrote anything), but already visible: stored + in memory.
    const db = t.engine.api.db;
    expect(await db.usageDaily.count({ where: { tenantId: me.tenant.id } })).toBe(0);
    const before = await client.usage.today.query();
    // 7 + 5 + 5 (cancelAll) = 17 units, and this call itself (charged before it runs, a heavy read).
    const usageWeight = PROCEDURE_WEIGHTS['usage.today'] as number;
    expect(before.today.requests).toBe(17 + usageWeight);
    expect(before.today.orders).toBe(1);

    await t.engine.api.usage?.flush();
    const row = await db.usageDaily.findFirstOrThrow({ where: { tenantId: me.tenant.id } });
    expect(Number(row.requests)).toBe(17 + usageWeight);
    expect(Number(row.orders)).toBe(1);
    const otherRow = await db.usageDaily.findFirstOrThrow({ where: { tenantId: other.tenant.id } });
    expect(Number(otherRow.requests)).toBe(1);

    const today = await client.usage.today.query();
    expect(today.today.requests).toBe(17 + 2 * usageWeight);
    expect(today.tier).toBe('FREE');
    expect(today.nextTier).toBe('PRO');
    expect(today.limits.perKey).toEqual(TIER_RATES.FREE.perKey);
    expect(today.today.storageRows).toBeGreaterThanOrEqual(0);
    expect(today.warnings).toEqual([]);

    const history = await client.usage.history.query({ days: 30 });
    expect(history.days).toHaveLength(30);
    expect(history.days.at(-1)?.day).toBe(new Date().toISOString().slice(0, 10));
    expect(history.days.at(-1)?.requests).toBe(
      17 + 2 * usageWeight + (PROCEDURE_WEIGHTS['usage.history'] as number),
    );
    expect(history.days.slice(0, -1).every((d) => d.requests === 0)).toBe(true);
  });

  it('a tenant refused lately gets a warning (the dashboard banner), with the next tier', async () => {
    const me = await t.signUp('usage-limited');
    const key = await apiKeyFor(t, me.token);
    while ((await raw(t, key, 'accounts.tenant')).status !== 429) {
      // spend the key's burst
    }
    const today = await t.client(me.token).usage.today.query();
    expect(today.warnings).toContainEqual({
      what: 'requests',
      used: TIER_RATES.FREE.perKey.limit,
      limit: TIER_RATES.FREE.perKey.limit,
      fraction: 1,
    });
    expect(today.nextTier).toBe('PRO');
  });
});
