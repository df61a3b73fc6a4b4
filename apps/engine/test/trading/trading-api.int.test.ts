import { randomUUID } from 'node:crypto';
import { ManualClock } from '@qt/shared';
import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../bus/bus-contract.ts';
import { appCodeOf, errorShapeOf, startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { balanceOf, btc, trade } from './trading-fixtures.ts';

type Client = ReturnType<TestEngine['client']>;

/**
 * Paper trading through the engine's API (HTTP and WebSocket), on real PostgreSQL (and NATS and Redis
 * when set). Market data is synthetic and the clock is manual, so every risk check is reached on purpose.
 */
describe('paper trading API', () => {
  let t: TestEngine;
  let clock: ManualClock;
  let a: Client;
  let b: Client;
  let aToken: string;
  let bToken: string;
  let accountA: string;
  let accountB: string;

  const limitBuy = (accountId: string, quantity: string, price: string) => ({
    accountId,
    venue: 'binance',
    symbol: 'BTC-USDT',
    side: 'buy' as const,
    type: 'limit' as const,
    quantity,
    price,
  });

  beforeAll(async () => {
    clock = new ManualClock(Date.now());
    t = await startTestEngine({}, clock);
    t.engine.trading.service.setInstrument(btc);
    t.engine.trading.service.onTrade(trade('50000', '0.01', 'buy', clock.now()));
    const userA = await t.signUp('alice');
    const userB = await t.signUp('bob');
    aToken = userA.token;
    bToken = userB.token;
    a = t.client(aToken);
    b = t.client(bToken);
    accountA = (await a.paperAccounts.create.mutate({ name: 'alpha' })).id;
    accountB = (await b.paperAccounts.create.mutate({ name: 'beta' })).id;
    await a.paperAccounts.deposit.mutate({ accountId: accountA, asset: 'USDT', amount: '20000' });
    await b.paperAccounts.deposit.mutate({ accountId: accountB, asset: 'USDT', amount: '20000' });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('places a limit order whose lock shows in the balances the moment it is acknowledged', async () => {
    clock.advance(1_000);
    const order = await a.orders.place.mutate(limitBuy(accountA, '0.01', '49000'));
    expect(order.status).toBe('new');
    const balances = await a.paperAccounts.balances.query({ accountId: accountA });
    expect(balanceOf(balances, 'USDT')).toEqual({ free: '19509.51', locked: '490.49' });
    const open = await a.orders.list.query({ accountId: accountA });
    expect(open.orders.map((o) => o.id)).toContain(order.id);
    const accounts = await a.paperAccounts.list.query();
    expect(accounts.map((x) => [x.id, x.status])).toEqual([[accountA, 'active']]);
  });

  it('rejects an order above the max order notional', async () => {
    clock.advance(1_000);
    expect(await appCodeOf(a.orders.place.mutate(limitBuy(accountA, '0.3', '50000')))).toBe(
      'RISK_MAX_ORDER_NOTIONAL',
    );
  });

  it('rejects a limit price outside the band around the last trade', async () => {
    clock.advance(1_000);
    expect(await appCodeOf(a.orders.place.mutate(limitBuy(accountA, '0.01', '40000')))).toBe(
      'RISK_PRICE_BAND',
    );
  });

  it('rejects an order beyond the max position, and one beyond the max open orders', async () => {
    clock.advance(1_000);
    await a.risk.updateLimits.mutate({
      accountId: accountA,
      limits: { maxPositionNotional: '1000', maxOpenOrders: 1 },
    });
    expect(await appCodeOf(a.orders.place.mutate(limitBuy(accountA, '0.03', '50000')))).toBe(
      'RISK_MAX_POSITION',
    );
    clock.advance(1_000);
    // One order rests already (the first test's): the next that would rest is refused.
    expect(await appCodeOf(a.orders.place.mutate(limitBuy(accountA, '0.001', '49000')))).toBe(
      'RISK_MAX_OPEN_ORDERS',
    );
    const view = await a.risk.get.query({ accountId: accountA });
    expect(view.limits).toMatchObject({ maxOpenOrders: 1, maxPositionNotional: '1000' });
    expect(view.usage.openOrders).toBe(1);
    await a.risk.updateLimits.mutate({ accountId: accountA, limits: {} });
  });

  it('rejects orders beyond the rate limit with the time to wait', async () => {
    clock.advance(1_000);
    const band = () => a.orders.place.mutate(limitBuy(accountA, '0.01', '40000'));
    expect(await appCodeOf(band())).toBe('RISK_PRICE_BAND');
    expect(await appCodeOf(band())).toBe('RISK_PRICE_BAND');
    const err = await band().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TRPCClientError);
    const data = (err as TRPCClientError<never>).data as unknown as {
      appCode: string;
      details: { retryAfterMs: number };
    };
    expect(data.appCode).toBe('RISK_ORDER_RATE');
    expect(data.details.retryAfterMs).toBeGreaterThan(0);
  });

  it('halts an account and then the whole tenant with the kill switch', async () => {
    clock.advance(1_000);
    await a.risk.setKillSwitch.mutate({
      scope: 'account',
      accountId: accountA,
      halted: true,
      reason: 'review',
    });
    expect(await appCodeOf(a.orders.place.mutate(limitBuy(accountA, '0.001', '49000')))).toBe(
      'RISK_KILL_SWITCH',
    );
    expect((await a.risk.get.query({ accountId: accountA })).status).toBe('halted');
    await a.risk.setKillSwitch.mutate({ scope: 'account', accountId: accountA, halted: false });
    clock.advance(1_000);
    await a.orders.cancelAll.mutate({ accountId: accountA });
    await a.orders.place.mutate(limitBuy(accountA, '0.001', '49000'));

    const halt = await a.risk.setKillSwitch.mutate({ scope: 'tenant', halted: true, reason: 'desk closed' });
    expect(halt).toMatchObject({ scope: 'tenant', halted: true, reason: 'desk closed' });
    clock.advance(1_000);
    expect(await appCodeOf(a.orders.place.mutate(limitBuy(accountA, '0.001', '49000')))).toBe(
      'RISK_KILL_SWITCH',
    );
    const view = await a.risk.get.query({ accountId: accountA });
    expect(view.halt).toMatchObject({ scope: 'tenant', reason: 'desk closed' });
    // Another tenant is not affected.
    clock.advance(1_000);
    expect((await b.orders.place.mutate(limitBuy(accountB, '0.001', '49000'))).status).toBe('new');
    await a.risk.setKillSwitch.mutate({ scope: 'tenant', halted: false });
  });

  it("answers NOT_FOUND, shaped as for a missing id, for every procedure given another tenant's account or order", async () => {
    clock.advance(1_000);
    const orderA = await a.orders.place.mutate(limitBuy(accountA, '0.001', '49100'));
    const missing = randomUUID();
    const calls: Record<string, (accountId: string, orderId: string) => Promise<unknown>> = {
      'paperAccounts.deposit': (id) =>
        b.paperAccounts.deposit.mutate({ accountId: id, asset: 'USDT', amount: '1' }),
      'paperAccounts.withdraw': (id) =>
        b.paperAccounts.withdraw.mutate({ accountId: id, asset: 'USDT', amount: '1' }),
      'paperAccounts.balances': (id) => b.paperAccounts.balances.query({ accountId: id }),
      'paperAccounts.positions': (id) => b.paperAccounts.positions.query({ accountId: id }),
      'paperAccounts.pnl': (id) => b.paperAccounts.pnl.query({ accountId: id }),
      'paperAccounts.ledger': (id) => b.paperAccounts.ledger.query({ accountId: id }),
      'orders.place': (id) => b.orders.place.mutate(limitBuy(id, '0.001', '49000')),
      'orders.cancel': (id, orderId) => b.orders.cancel.mutate({ accountId: id, orderId }),
      'orders.cancelAll': (id) => b.orders.cancelAll.mutate({ accountId: id }),
      'orders.get': (id, orderId) => b.orders.get.query({ accountId: id, orderId }),
      'orders.list': (id) => b.orders.list.query({ accountId: id }),
      'fills.list': (id) => b.fills.list.query({ accountId: id }),
      'risk.get': (id) => b.risk.get.query({ accountId: id }),
      'risk.updateLimits': (id) => b.risk.updateLimits.mutate({ accountId: id, limits: {} }),
      'risk.setKillSwitch': (id) =>
        b.risk.setKillSwitch.mutate({ scope: 'account', accountId: id, halted: true, reason: 'x' }),
    };
    for (const [name, call] of Object.entries(calls)) {
      clock.advance(1_000);
      const theirs = (await errorShapeOf(call(accountA, orderA.id))) as { data: { path: string } };
      clock.advance(1_000);
      const none = (await errorShapeOf(call(missing, missing))) as { data: { path: string } };
      expect(theirs, name).toMatchObject({ data: { appCode: 'NOT_FOUND' } });
      expect(theirs, name).toEqual(none);
    }
    // B's own account with A's order id: the order is not found either.
    expect(await appCodeOf(b.orders.get.query({ accountId: accountB, orderId: orderA.id }))).toBe(
      'NOT_FOUND',
    );
    expect(await appCodeOf(b.orders.cancel.mutate({ accountId: accountB, orderId: orderA.id }))).toBe(
      'NOT_FOUND',
    );
    // Subscriptions too.
    const ws = t.wsClient(bToken);
    try {
      const codes = await Promise.all(
        [
          (h: SubHandlers) => ws.client.orders.onUpdate.subscribe({ accountId: accountA }, h),
          (h: SubHandlers) => ws.client.fills.onFill.subscribe({ accountId: accountA }, h),
          (h: SubHandlers) => ws.client.paperAccounts.onBalances.subscribe({ accountId: accountA }, h),
        ].map(
          (subscribe) =>
            new Promise<string>((resolve) => {
              const sub = subscribe({
                onData: () => resolve('DATA'),
                onError: (err) => {
                  sub.unsubscribe();
                  resolve(String((err.data as { appCode?: string } | undefined)?.appCode));
                },
              });
            }),
        ),
      );
      expect(codes).toEqual(['NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND']);
    } finally {
      await ws.close();
    }
    // And A's order is untouched.
    expect((await a.orders.get.query({ accountId: accountA, orderId: orderA.id })).status).toBe('new');
  });

  it('pushes balance updates to a WebSocket subscriber of the account', async () => {
    const ws = t.wsClient(aToken);
    try {
      const got = new Promise<unknown>((resolve) => {
        const sub = ws.client.paperAccounts.onBalances.subscribe(
          { accountId: accountA },
          {
            onData: (balances) => {
              sub.unsubscribe();
              resolve(balances);
            },
          },
        );
      });
      await waitFor(() => t.engine.trading.service.liveSubscribers(accountA) > 0, 5_000, 'subscribed');
      await a.paperAccounts.deposit.mutate({ accountId: accountA, asset: 'BTC', amount: '0.5' });
      expect(balanceOf((await got) as { asset: string; free: string; locked: string }[], 'BTC')).toEqual({
        free: '0.5',
        locked: '0',
      });
    } finally {
      await ws.close();
    }
  });
});

interface SubHandlers {
  onData: (d: unknown) => void;
  onError: (err: TRPCClientError<never>) => void;
}
