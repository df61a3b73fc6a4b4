import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { type AppRouter, setTenantTier } from '@qt/api';
import { TIER_RATES } from '@qt/shared';
import { createTRPCClient, httpLink } from '@trpc/client';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import { type Engine, startEngine } from '../../src/engine.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { apiKeyFor, flood, metricValue, raw, remainingOf } from './limit-helpers.ts';
import { until } from './limits-fixtures.ts';

const REDIS_URL = process.env.REDIS_URL;
const root = resolve(import.meta.dirname, '../../../..');
const run = promisify(execFile);

/** A second engine on the first one's database, bus namespace and Redis key prefix: another instance. */
async function secondInstance(
  t: TestEngine,
  redisUrl?: string,
): Promise<{ engine: Engine; url: string; stop(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'qt-engine-b-'));
  const config = loadConfig({
    env: {},
    file: undefined,
    overrides: { ...t.engine.config, port: 0, dataDir, instanceId: 'b', ...(redisUrl ? { redisUrl } : {}) },
  });
  const engine = await startEngine({ config, logger: pino({ level: 'silent' }) });
  return {
    engine,
    url: `${engine.server.url}/trpc`,
    async stop() {
      await engine.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

describe.runIf(REDIS_URL)('limits shared by two engines through one Redis', () => {
  let a: TestEngine;
  let b: Awaited<ReturnType<typeof secondInstance>>;
  let bView: TestEngine;

  beforeAll(async () => {
    a = await startTestEngine({ rateLimits: true });
    b = await secondInstance(a);
    // The helpers take a TestEngine; only `url` differs for engine B.
    bView = { ...a, url: b.url };
  }, 120_000);
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
  });

  it('the combined served rate for one key stays within 5% of the limit', async () => {
    const me = await a.signUp('two-engines');
    await setTenantTier(a.engine.api, me.tenant.id, 'PRO');
    const key = await apiKeyFor(a, me.token);
    const rate = TIER_RATES.PRO.perKey.limit / TIER_RATES.PRO.perKey.windowSeconds; // 100 per second
    // Spend the burst first, on both engines, until both refuse.
    for (const view of [a, bView]) {
      const deadline = Date.now() + 30_000;
      while ((await raw(view, key, 'accounts.tenant')).status !== 429) {
        if (Date.now() > deadline) throw new Error('the burst was never spent');
      }
    }
    // Then both engines flooded at once (far above the rate) for 10 s: only the rate gets through.
    const seconds = 10;
    const started = Date.now();
    const end = started + seconds * 1000;
    let served = 0;
    let refused = 0;
    // Anything but 200 or 429 (RATE_LIMITED) is kept and fails the test: an engine answering errors
    // while the other fills the bucket must not pass for an accurate limit.
    const unexpected: string[] = [];
    await Promise.all(
      [a, bView].map((view, engine) =>
        flood(1_000_000, 6, async () => {
          if (Date.now() >= end) return;
          const r = await raw(view, key, 'accounts.tenant');
          if (r.status === 200) served++;
          else if (r.status === 429 && r.appCode === 'RATE_LIMITED') refused++;
          else if (unexpected.length < 20) unexpected.push(`engine ${engine}: ${r.status} ${r.appCode}`);
        }),
      ),
    );
    expect(unexpected).toEqual([]);
    // Calls started within the 10 s window are counted (the last ones finish a moment after it).
    const elapsed = (Date.now() - started) / 1000;
    const expected = rate * seconds;
    // eslint-disable-next-line no-console
    console.log(
      `two engines: served ${served} in ${elapsed.toFixed(2)} s (limit ${expected.toFixed(0)}), refused ${refused}`,
    );
    expect(refused).toBeGreaterThan(served);
    expect(Math.abs(served - expected) / expected).toBeLessThanOrEqual(0.05);
  }, 90_000);

  it('a tier change on one engine applies on the other within a second', async () => {
    const me = await a.signUp('tier-change');
    const first = await raw(bView, me.token, 'accounts.tenant');
    expect(first.policy).toContain(`"key";q=${TIER_RATES.FREE.perKey.limit};`);
    await setTenantTier(a.engine.api, me.tenant.id, 'PRO');
    // From when the change is stored and published: the database write itself is not what is bounded.
    const changed = Date.now();
    await until(
      async () =>
        (await raw(bView, me.token, 'accounts.tenant')).policy?.includes(
          `"key";q=${TIER_RATES.PRO.perKey.limit};`,
        ) === true,
      5_000,
      'PRO on engine B',
    );
    expect(Date.now() - changed).toBeLessThan(1_000);
  });

  it('a tier change reaches the risk engine of the other engine within a second', async () => {
    const me = await a.signUp('risk-tier');
    const onB = createTRPCClient<AppRouter>({
      links: [httpLink({ url: b.url, headers: () => ({ authorization: `Bearer ${me.token}` }) })],
    });
    // The account lives on engine B: B's risk engine caches the tenant (FREE) on the first view.
    const account = await onB.paperAccounts.create.mutate({ name: 'risk on B' });
    const before = await onB.risk.get.query({ accountId: account.id });
    expect(before.limits.maxOpenOrders).toBe(20);
    // Changed through engine A: B hears of it only through the shared change feed.
    await setTenantTier(a.engine.api, me.tenant.id, 'PRO');
    const changed = Date.now();
    await until(
      async () => (await onB.risk.get.query({ accountId: account.id })).limits.maxOpenOrders === 200,
      5_000,
      'PRO risk limits on engine B',
    );
    expect(Date.now() - changed).toBeLessThan(1_000);
    // And back down: a downgrade must not keep the higher plan's limits.
    await setTenantTier(a.engine.api, me.tenant.id, 'FREE');
    await until(
      async () => (await onB.risk.get.query({ accountId: account.id })).limits.maxOpenOrders === 20,
      5_000,
      'FREE risk limits on engine B again',
    );
  });

  it('the operator command changes a tenant plan and contract limits on the running engines', async () => {
    const me = await a.signUp('cli');
    expect((await raw(bView, me.token, 'accounts.tenant')).policy).toContain(
      `"key";q=${TIER_RATES.FREE.perKey.limit};`,
    );
    const { stdout } = await run(
      join(root, 'node_modules/.bin/tsx'),
      [
        'apps/engine/src/accounts/set-tier.ts',
        me.tenant.id,
        'PRO',
        '{"perKey":{"limit":7000,"windowSeconds":60,"burst":700}}',
      ],
      {
        cwd: root,
        env: {
          ...process.env,
          DATABASE_URL: a.engine.databaseUrl,
          REDIS_URL,
          REDIS_KEY_PREFIX: a.engine.config.redisKeyPrefix,
        },
        timeout: 60_000,
      },
    );
    expect(JSON.parse(stdout)).toMatchObject({ tier: 'PRO', perKey: { limit: 7_000 } });
    await until(
      async () =>
        (await raw(bView, me.token, 'accounts.tenant')).policy?.includes('"key";q=7000;w=60') === true,
      5_000,
      'the contract limit on engine B',
    );
  }, 90_000);
});

describe.runIf(REDIS_URL)(
  'Redis unreachable: reads go on under a local limit, orders fail closed, then recovery',
  () => {
    let t: TestEngine;
    let proxy: TcpProxy;

    beforeAll(async () => {
      const u = new URL(REDIS_URL ?? '');
      proxy = await startTcpProxy({ host: u.hostname, port: Number(u.port || 6379) });
      t = await startTestEngine({ rateLimits: true, redisUrl: proxy.url(REDIS_URL ?? '') });
    }, 120_000);
    afterAll(async () => {
      proxy?.restore();
      await t?.stop();
      await proxy?.close();
    });

    it('falls back, stays bounded, and returns to the shared buckets', async () => {
      const me = await t.signUp('redis-down');
      const key = await apiKeyFor(t, me.token);
      const FREE = TIER_RATES.FREE;
      const order = {
        accountId: '00000000-0000-4000-8000-000000000000',
        clientOrderId: 'x1',
        venue: 'binance',
        symbol: 'BTC-USDT',
        side: 'buy',
        type: 'market',
        quantity: '1',
      };
      expect((await raw(t, key, 'accounts.tenant')).policy).toContain(`"key";q=${FREE.perKey.limit};`);
      expect(await metricValue(t, 'qt_rate_limit_store_up')).toBe(1);

      // A key never used on this engine: while Redis is down it must fail closed (guesses and fresh
      // keys are checked only with the shared attempt limiter), not be verified under a local one.
      const fresh = await apiKeyFor(t, me.token);

      proxy.cut();
      // Reads: served, against a quarter of the tier, in this instance.
      await until(
        async () =>
          (await raw(t, key, 'accounts.tenant')).policy?.includes(`q=${FREE.perKey.limit / 4};`) === true,
        10_000,
        'fallback',
      );
      expect(await metricValue(t, 'qt_rate_limit_store_up')).toBe(0);
      const answers = [];
      for (let i = 0; i < FREE.perKey.burst; i++) answers.push(await raw(t, key, 'accounts.tenant'));
      const served = answers.filter((x) => x.status === 200).length;
      // At most the fallback burst (30) plus what refills meanwhile (2.5/s), never the full tier.
      expect(served).toBeLessThan(FREE.perKey.burst / 2);
      expect(answers.at(-1)?.status).toBe(429);
      expect(answers.at(-1)?.details).toMatchObject({ scope: 'key', limit: FREE.perKey.limit / 4 });
      // Credentials this engine has not verified: refused (503), a bad one too (not "invalid key").
      for (const credential of [fresh, `${fresh.slice(0, -4)}zzzz`]) {
        const r = await raw(t, credential, 'accounts.tenant');
        expect(r.status).toBe(503);
        expect(r.appCode).toBe('SERVICE_UNAVAILABLE');
        expect(r.details).toMatchObject({ dependency: 'redis' });
      }
      // Orders: refused, with when to come back.
      const refusedOrder = await raw(t, key, 'orders.place', order, 'POST');
      expect(refusedOrder.status).toBe(503);
      expect(refusedOrder.appCode).toBe('SERVICE_UNAVAILABLE');
      expect(refusedOrder.retryAfter).not.toBeNull();
      expect(await metricValue(t, 'qt_rate_limit_failed_closed')).toBeGreaterThanOrEqual(1);
      expect(await metricValue(t, 'qt_rate_limit_fallback_allowed')).toBeGreaterThanOrEqual(1);

      proxy.restore();
      await until(
        async () =>
          (await raw(t, key, 'accounts.tenant')).policy?.includes(`"key";q=${FREE.perKey.limit};`) === true,
        20_000,
        'shared buckets again',
      );
      expect(await metricValue(t, 'qt_rate_limit_store_up')).toBe(1);
      expect((await raw(t, fresh, 'accounts.tenant')).status).toBe(200);
      // Orders are limited (not refused for the store) again.
      const back = await raw(t, key, 'orders.place', order, 'POST');
      expect(back.appCode).not.toBe('SERVICE_UNAVAILABLE');
      expect(remainingOf(back.rateLimit, 'orders')).toBe(FREE.orders.burst - 1);
    }, 90_000);

    it('a stalled Redis (no answers, no resets) takes the same fallback instead of hanging calls', async () => {
      const me = await t.signUp('redis-stalled');
      const key = await apiKeyFor(t, me.token);
      const fresh = await apiKeyFor(t, me.token);
      const FREE = TIER_RATES.FREE;
      expect((await raw(t, key, 'accounts.tenant')).status).toBe(200);

      proxy.stall();
      try {
        // Each call must be answered (the command timeout is 300 ms; 10 s is the hang detector).
        const within = (path: string, credential: string, input?: unknown, method?: 'GET' | 'POST') =>
          Promise.race([
            raw(t, credential, path, input, method),
            new Promise<never>((_, reject) =>
              setTimeout(() => reject(new Error(`${path} hung on a stalled Redis`)), 10_000).unref(),
            ),
          ]);
        await until(
          async () =>
            (await within('accounts.tenant', key)).policy?.includes(`q=${FREE.perKey.limit / 4};`) === true,
          20_000,
          'fallback on a stalled Redis',
        );
        const unknown = await within('accounts.tenant', fresh);
        expect(unknown.status).toBe(503);
        expect(unknown.appCode).toBe('SERVICE_UNAVAILABLE');
        const order = await within(
          'orders.place',
          key,
          {
            accountId: '00000000-0000-4000-8000-000000000000',
            clientOrderId: 's1',
            venue: 'binance',
            symbol: 'BTC-USDT',
            side: 'buy',
            type: 'market',
            quantity: '1',
          },
          'POST',
        );
        expect(order.status).toBe(503);
        expect(order.appCode).toBe('SERVICE_UNAVAILABLE');
      } finally {
        proxy.restore();
      }
      await until(
        async () =>
          (await raw(t, key, 'accounts.tenant')).policy?.includes(`"key";q=${FREE.perKey.limit};`) === true,
        20_000,
        'shared buckets after the stall',
      );
    }, 90_000);
  },
);
