import { ManualClock } from '@qt/shared';
import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { appCodeOf, startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { btc, quote, trade } from './trading-fixtures.ts';

type Client = ReturnType<TestEngine['client']>;

/** The stable code and details of a refused call. */
async function refusal(call: Promise<unknown>): Promise<{ code: string; details: Record<string, unknown> }> {
  const err = await call.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof TRPCClientError)) throw new Error(`expected a refusal, got ${String(err)}`);
  const data = err.data as { appCode?: string; details?: Record<string, unknown> | null };
  return { code: String(data.appCode), details: data.details ?? {} };
}

/**
 * Every pre-trade risk check, reached the way a trading script reaches it: a tRPC client with an API
 * key (scopes read, trade, manage) against a real engine. Market data is synthetic (handed to the
 * trading service as the bus would) and the clock is manual, so each check is hit on purpose, and each
 * refusal is checked for its own code.
 */
describe('risk checks through the API, as a script with an API key', () => {
  let t: TestEngine;
  let clock: ManualClock;
  let api: Client;

  const order = (accountId: string, side: 'buy' | 'sell', quantity: string, price: string) => ({
    accountId,
    venue: 'binance',
    symbol: 'BTC-USDT',
    side,
    type: 'limit' as const,
    quantity,
    price,
  });

  /** A fresh FREE tenant with a full-scope key (FREE holds at most 3 paper accounts). */
  async function freshTenantKey(): Promise<Client> {
    const owner = await t.signUp('script-owner');
    const { secret } = await t
      .client(owner.token)
      .apiKeys.create.mutate({ name: 'bot', scopes: ['read', 'trade', 'manage'] });
    return t.client(secret);
  }
  let accountsOfTenant = 0;

  async function account(name: string, usdt = '20000'): Promise<string> {
    if (accountsOfTenant === 3) {
      api = await freshTenantKey();
      accountsOfTenant = 0;
    }
    accountsOfTenant++;
    const { id } = await api.paperAccounts.create.mutate({ name });
    await api.paperAccounts.deposit.mutate({ accountId: id, asset: 'USDT', amount: usdt });
    return id;
  }

  function market(price: string): void {
    t.engine.trading.service.onTrade(trade(price, '0.01', 'buy', clock.now()));
  }

  beforeAll(async () => {
    clock = new ManualClock(Date.now());
    t = await startTestEngine({}, clock);
    t.engine.trading.service.setInstrument(btc);
    api = await freshTenantKey();
  });
  afterAll(async () => {
    await t?.stop();
  });
  beforeEach(() => {
    // A fresh minute: the order-rate windows (FREE: 2/s, 30/min) never carry over between tests.
    clock.advance(61_000);
    market('50000');
  });

  it('refuses an order above the max order notional (RISK_MAX_ORDER_NOTIONAL)', async () => {
    const id = await account('notional');
    // FREE: 10 000 USDT per order.
    expect(await appCodeOf(api.orders.place.mutate(order(id, 'buy', '0.21', '49000')))).toBe(
      'RISK_MAX_ORDER_NOTIONAL',
    );
    clock.advance(1_000);
    expect((await api.orders.place.mutate(order(id, 'buy', '0.2', '49000'))).status).toBe('new');
  });

  it('refuses an order that would take the position past its limit (RISK_MAX_POSITION)', async () => {
    const id = await account('position');
    await api.risk.updateLimits.mutate({ accountId: id, limits: { maxPositionNotional: '1000' } });
    expect(await appCodeOf(api.orders.place.mutate(order(id, 'buy', '0.03', '49000')))).toBe(
      'RISK_MAX_POSITION',
    );
    clock.advance(1_000);
    expect((await api.orders.place.mutate(order(id, 'buy', '0.02', '49000'))).status).toBe('new');
  });

  it('refuses an order beyond the max open orders (RISK_MAX_OPEN_ORDERS)', async () => {
    const id = await account('open-orders');
    await api.risk.updateLimits.mutate({ accountId: id, limits: { maxOpenOrders: 2 } });
    await api.orders.place.mutate(order(id, 'buy', '0.001', '49000'));
    clock.advance(1_000);
    await api.orders.place.mutate(order(id, 'buy', '0.001', '49000'));
    clock.advance(1_000);
    expect(await appCodeOf(api.orders.place.mutate(order(id, 'buy', '0.001', '49000')))).toBe(
      'RISK_MAX_OPEN_ORDERS',
    );
    expect((await api.risk.get.query({ accountId: id })).usage.openOrders).toBe(2);
  });

  it('refuses a limit price outside the band around the last trade (RISK_PRICE_BAND)', async () => {
    const id = await account('band');
    // FREE: ±5% of the last trade (50 000).
    expect(await appCodeOf(api.orders.place.mutate(order(id, 'buy', '0.001', '47499')))).toBe(
      'RISK_PRICE_BAND',
    );
    clock.advance(1_000);
    expect(await appCodeOf(api.orders.place.mutate(order(id, 'sell', '0.001', '52501')))).toBe(
      'RISK_PRICE_BAND',
    );
    clock.advance(1_000);
    expect((await api.orders.place.mutate(order(id, 'buy', '0.001', '47500'))).status).toBe('new');
  });

  it('refuses orders beyond the order rate, saying how long to wait (RISK_ORDER_RATE)', async () => {
    const id = await account('rate');
    await api.orders.place.mutate(order(id, 'buy', '0.001', '49000'));
    await api.orders.place.mutate(order(id, 'buy', '0.001', '49000'));
    const refused = await refusal(api.orders.place.mutate(order(id, 'buy', '0.001', '49000')));
    expect(refused.code).toBe('RISK_ORDER_RATE');
    expect(refused.details.retryAfterMs).toBeGreaterThan(0);
    clock.advance(1_000);
    expect((await api.orders.place.mutate(order(id, 'buy', '0.001', '49000'))).status).toBe('new');
  });

  it('turns the account reduce-only after its daily loss limit: an increasing order is refused, a reducing one accepted', async () => {
    const id = await account('daily-loss', '10000');
    t.engine.trading.service.onQuote(quote('49990', '50010', '5', clock.now()));
    await api.risk.updateLimits.mutate({ accountId: id, limits: { maxDailyLossBps: 100 } });
    const bought = await api.orders.place.mutate({
      accountId: id,
      venue: 'binance',
      symbol: 'BTC-USDT',
      side: 'buy',
      type: 'market',
      quantity: '0.1',
    });
    expect(bought.status).toBe('filled');
    // The market falls 10%: equity drops ~5% of the day's capital, beyond the 1% limit.
    clock.advance(1_000);
    market('45000');
    t.engine.trading.service.onQuote(quote('44990', '45010', '5', clock.now()));
    const refused = await refusal(api.orders.place.mutate(order(id, 'buy', '0.001', '45000')));
    expect(refused.code).toBe('RISK_REDUCE_ONLY');
    expect(refused.details.cause).toBe('RISK_DAILY_LOSS');
    expect((await api.paperAccounts.list.query()).find((a) => a.id === id)?.status).toBe('reduce_only');
    clock.advance(1_000);
    const reducing = await api.orders.place.mutate(order(id, 'sell', '0.05', '45000'));
    expect(['new', 'partially_filled', 'filled']).toContain(reducing.status);
    clock.advance(1_000);
    // More than the position is not reducing: refused too.
    expect(await appCodeOf(api.orders.place.mutate(order(id, 'sell', '0.2', '45000')))).toBe(
      'RISK_REDUCE_ONLY',
    );
  });

  it('halts one account, then the whole tenant, with the kill switch (RISK_KILL_SWITCH)', async () => {
    const one = await account('halt-one');
    const other = await account('halt-other');
    await api.risk.setKillSwitch.mutate({ scope: 'account', accountId: one, halted: true, reason: 'review' });
    const refused = await refusal(api.orders.place.mutate(order(one, 'buy', '0.001', '49000')));
    expect(refused.code).toBe('RISK_KILL_SWITCH');
    // Only that account: its sibling still trades.
    expect((await api.orders.place.mutate(order(other, 'buy', '0.001', '49000'))).status).toBe('new');
    await api.risk.setKillSwitch.mutate({ scope: 'account', accountId: one, halted: false });
    clock.advance(1_000);
    expect((await api.orders.place.mutate(order(one, 'buy', '0.001', '49000'))).status).toBe('new');

    clock.advance(1_000);
    await api.risk.setKillSwitch.mutate({ scope: 'tenant', halted: true, reason: 'desk closed' });
    for (const id of [one, other])
      expect(await appCodeOf(api.orders.place.mutate(order(id, 'buy', '0.001', '49000')))).toBe(
        'RISK_KILL_SWITCH',
      );
    expect((await api.risk.get.query({ accountId: other })).halt).toMatchObject({
      scope: 'tenant',
      reason: 'desk closed',
    });
    await api.risk.setKillSwitch.mutate({ scope: 'tenant', halted: false });
    clock.advance(1_000);
    expect((await api.orders.place.mutate(order(other, 'buy', '0.001', '49000'))).status).toBe('new');
  });
});
