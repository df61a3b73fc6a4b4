import { setTenantTier } from '@qt/api';
import { ManualClock, PLACE_MANY_MAX_ORDERS, TIER_RATES } from '@qt/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { raw, remainingOf } from '../limits/limit-helpers.ts';
import { appCodeOf, startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { btc, trade } from './trading-fixtures.ts';

type Client = ReturnType<TestEngine['client']>;

const limitBuy = (accountId: string, price = '49000', clientOrderId?: string) => ({
  accountId,
  venue: 'binance',
  symbol: 'BTC-USDT',
  side: 'buy' as const,
  type: 'limit' as const,
  quantity: '0.001',
  price,
  ...(clientOrderId ? { clientOrderId } : {}),
});
const UNKNOWN_ACCOUNT = '00000000-0000-4000-8000-000000000000';

/**
 * `orders.placeMany` through the engine's API: each item placed as `orders.place` would be and answered
 * on its own; the batch bounded by the plan; never across tenants. (FREE plan: 2 orders per second per
 * account in the risk engine, so the clock moves on between tests.)
 */
describe('orders.placeMany', () => {
  let t: TestEngine;
  let clock: ManualClock;
  let a: Client;
  let b: Client;
  let aToken: string;
  let accountA: string;
  let accountA2: string;
  let accountB: string;

  beforeAll(async () => {
    clock = new ManualClock(Date.now());
    t = await startTestEngine({}, clock);
    t.engine.trading.service.setInstrument(btc);
    t.engine.trading.service.onTrade(trade('50000', '0.01', 'buy', clock.now()));
    const alice = await t.signUp('alice');
    const bob = await t.signUp('bob');
    aToken = alice.token;
    a = t.client(alice.token);
    b = t.client(bob.token);
    accountA = (await a.paperAccounts.create.mutate({ name: 'a1', initialDeposit: '10000' })).id;
    accountA2 = (await a.paperAccounts.create.mutate({ name: 'a2', initialDeposit: '10000' })).id;
    accountB = (await b.paperAccounts.create.mutate({ name: 'b1', initialDeposit: '10000' })).id;
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
  });

  it('answers each item on its own, in input order: placed orders and typed refusals side by side', async () => {
    clock.advance(1_000);
    const out = await a.orders.placeMany.mutate({
      orders: [
        limitBuy(accountA),
        // Outside the price band around the last trade (50 000): refused by the risk engine.
        limitBuy(accountA, '40000'),
        limitBuy(accountA2, '48000'),
        limitBuy(UNKNOWN_ACCOUNT),
      ],
    });
    expect(out.placed).toBe(2);
    expect(out.refused).toBe(2);
    const [first, band, second, unknown] = out.results;
    expect(first).toMatchObject({ ok: true, order: { accountId: accountA, status: 'new', price: '49000' } });
    expect(band).toMatchObject({ ok: false, error: { code: 'RISK_PRICE_BAND' } });
    expect(second).toMatchObject({ ok: true, order: { accountId: accountA2, price: '48000' } });
    expect(unknown).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    // The placed ones are real orders, listed like any other.
    const open = await a.orders.list.query({ accountId: accountA });
    expect(open.orders.map((o) => o.id)).toContain(first?.ok ? first.order.id : 'missing');
  });

  it('is idempotent by clientOrderId, also within one batch', async () => {
    clock.advance(1_000);
    const once = await a.orders.placeMany.mutate({
      orders: [limitBuy(accountA2, '49000', 'batch-1'), limitBuy(accountA2, '49000', 'batch-1')],
    });
    expect(once.placed).toBe(2);
    const [x, y] = once.results;
    const id = x?.ok ? x.order.id : 'missing-x';
    expect(y?.ok ? y.order.id : 'missing-y').toBe(id);
    clock.advance(1_000);
    const again = await a.orders.place.mutate(limitBuy(accountA2, '49000', 'batch-1'));
    expect(again.id).toBe(id);
  });

  it("never reaches another tenant's account: its items are NOT_FOUND and nothing is placed there", async () => {
    clock.advance(1_000);
    const before = await b.orders.list.query({ accountId: accountB });
    const out = await a.orders.placeMany.mutate({ orders: [limitBuy(accountB), limitBuy(accountA)] });
    expect(out.results[0]).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(out.results[1]).toMatchObject({ ok: true });
    const after = await b.orders.list.query({ accountId: accountB });
    expect(after.orders).toHaveLength(before.orders.length);
  });

  it('refuses a batch over the plan bound with BATCH_TOO_LARGE, placing none of it', async () => {
    clock.advance(1_000);
    const before = await a.orders.list.query({ accountId: accountA });
    const max = PLACE_MANY_MAX_ORDERS.FREE;
    const orders = Array.from({ length: max + 1 }, () => limitBuy(accountA));
    expect(await appCodeOf(a.orders.placeMany.mutate({ orders }))).toBe('BATCH_TOO_LARGE');
    const after = await a.orders.list.query({ accountId: accountA });
    expect(after.orders).toHaveLength(before.orders.length);
    // Empty, malformed or strategy-tagged batches are refused whole by the input check.
    expect(await appCodeOf(a.orders.placeMany.mutate({ orders: [] }))).toBe('VALIDATION_FAILED');
    expect(
      await appCodeOf(
        a.orders.placeMany.mutate({ orders: [limitBuy(accountA), limitBuy(accountA, '49000', 'st.x.1')] }),
      ),
    ).toBe('VALIDATION_FAILED');
  });

  it('works over the WebSocket link scripts use', async () => {
    clock.advance(1_000);
    const ws = t.wsClient(aToken);
    try {
      const out = await ws.client.orders.placeMany.mutate({ orders: [limitBuy(accountA2, '48500')] });
      expect(out).toMatchObject({
        placed: 1,
        refused: 0,
        results: [{ ok: true, order: { price: '48500' } }],
      });
    } finally {
      await ws.close();
    }
  });
});

/** The order budget (request limiter, memory buckets on the injected clock) is charged one per item. */
describe('orders.placeMany and the order budget', () => {
  let t: TestEngine;
  const clock = new ManualClock(Date.now());
  const FREE = TIER_RATES.FREE;

  beforeAll(async () => {
    t = await startTestEngine({ rateLimits: true, redisUrl: undefined }, clock);
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
  });

  it('charges every item to the order budget; a batch over the bound or the budget spends nothing', async () => {
    const me = await t.signUp('budget');
    const three = await raw(
      t,
      me.token,
      'orders.placeMany',
      { orders: [limitBuy(UNKNOWN_ACCOUNT), limitBuy(UNKNOWN_ACCOUNT), limitBuy(UNKNOWN_ACCOUNT)] },
      'POST',
    );
    expect(three.status).toBe(200);
    expect(remainingOf(three.rateLimit, 'orders')).toBe(FREE.orders.burst - 3);
    // Over the plan's bound: refused before any budget is charged.
    const tooMany = await raw(
      t,
      me.token,
      'orders.placeMany',
      { orders: Array.from({ length: PLACE_MANY_MAX_ORDERS.FREE + 1 }, () => limitBuy(UNKNOWN_ACCOUNT)) },
      'POST',
    );
    expect(tooMany.appCode).toBe('BATCH_TOO_LARGE');
    expect(tooMany.status).toBe(400);
    // More orders than the budget has left: the whole call is refused (RATE_LIMITED on "orders").
    const over = await raw(
      t,
      me.token,
      'orders.placeMany',
      { orders: Array.from({ length: FREE.orders.burst - 2 }, () => limitBuy(UNKNOWN_ACCOUNT)) },
      'POST',
    );
    expect(over.status).toBe(429);
    expect(over.appCode).toBe('RATE_LIMITED');
    expect(over.details).toMatchObject({ scope: 'orders' });
    // What is left is exactly what the first batch left: neither refusal spent any of it.
    const one = await raw(t, me.token, 'orders.place', limitBuy(UNKNOWN_ACCOUNT), 'POST');
    expect(remainingOf(one.rateLimit, 'orders')).toBe(FREE.orders.burst - 4);
  });

  it('a batch larger than a contract\'s order burst is BATCH_TOO_LARGE ("split it"), not refused for good', async () => {
    const me = await t.signUp('small-burst');
    // A contract whose order burst (5) is below the plan's batch bound (ENTERPRISE: 100).
    await setTenantTier(t.engine.api, me.tenant.id, 'ENTERPRISE', {
      orders: { limit: 1_000, windowSeconds: 60, burst: 5 },
    });
    clock.advance(1_000);
    const six = await raw(
      t,
      me.token,
      'orders.placeMany',
      { orders: Array.from({ length: 6 }, () => limitBuy(UNKNOWN_ACCOUNT)) },
      'POST',
    );
    expect(six.appCode).toBe('BATCH_TOO_LARGE');
    expect(six.details).toMatchObject({ maxOrders: 5, orders: 6 });
    // The same orders in batches the burst holds go through.
    const five = await raw(
      t,
      me.token,
      'orders.placeMany',
      { orders: Array.from({ length: 5 }, () => limitBuy(UNKNOWN_ACCOUNT)) },
      'POST',
    );
    expect(five.status).toBe(200);
  });
});
