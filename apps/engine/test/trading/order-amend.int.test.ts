import { createPgPool } from '@qt/db';
import { createTestDatabase, type TestDatabase } from '@qt/db/testing';
import { isAppError, ManualClock } from '@qt/shared';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readJournal } from '../../src/trading/posting-store.ts';
import { TradingService } from '../../src/trading/trading-service.ts';
import { balanceOf, btc, ledgerConserves, logger, someTenant, T0, trade } from './trading-fixtures.ts';

async function failure(call: Promise<unknown>): Promise<{ code: string; details: unknown }> {
  try {
    await call;
  } catch (err) {
    if (isAppError(err)) return { code: err.code, details: err.details };
    throw err;
  }
  throw new Error('expected the call to fail');
}

/**
 * `amendOrder` (the chart's drag of a limit order's line) on real PostgreSQL: a move is one
 * cancel-replace on the account's queue; a refusal known beforehand leaves the order untouched; an order
 * that filled meanwhile is one typed error; a retry with the same client id answers the same replacement.
 */
describe('order amend (cancel-replace)', () => {
  let db: TestDatabase;
  let clock: ManualClock;
  let service: TradingService;
  let pool: ReturnType<typeof createPgPool>;

  async function restingBuy(usdt = '10000', price = '49000', quantity = '0.1') {
    const scope = await someTenant(db.prisma);
    const account = await service.createAccount(scope, {
      name: 'main',
      quoteCurrency: 'USDT',
      initialDeposit: usdt,
    });
    const order = await service.placeOrder(scope, {
      accountId: account.id,
      venue: 'binance',
      symbol: 'BTC-USDT',
      side: 'buy',
      type: 'limit',
      quantity,
      price,
      timeInForce: 'GTC',
      postOnly: false,
    });
    return { scope, accountId: account.id, order };
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = createPgPool(db.url, { max: 4 });
    clock = new ManualClock(T0);
    service = new TradingService({ db: db.prisma, pool, clock, logger });
    service.setInstrument(btc);
    await service.recover(readJournal(db.prisma));
  });
  afterAll(async () => {
    await service?.idle();
    await pool?.end();
    await db?.drop();
  });
  beforeEach(() => {
    clock.advance(60_000);
    service.onTrade(trade('50000', '0.001', 'buy', clock.now()));
  });

  it('moves a resting buy: the old order is canceled, the replacement rests at the new price with the funds re-reserved exactly', async () => {
    const { scope, accountId, order } = await restingBuy();
    // 4900 + 0.1% fee reserve
    expect(balanceOf(await service.balances(scope, accountId), 'USDT')).toEqual({
      free: '5095.1',
      locked: '4904.9',
    });
    const moved = await service.amendOrder(scope, { accountId, orderId: order.id, price: '48500' });
    expect(moved.id).not.toBe(order.id);
    expect(moved).toMatchObject({
      status: 'new',
      side: 'buy',
      type: 'limit',
      price: '48500',
      quantity: '0.1',
    });
    expect((await service.getOrder(scope, { accountId, orderId: order.id })).status).toBe('canceled');
    const open = await service.listOrders(scope, { accountId, status: 'open', limit: 10 });
    expect(open.items.map((o) => o.id)).toEqual([moved.id]);
    // 4850 + 4.85 fee reserve
    expect(balanceOf(await service.balances(scope, accountId), 'USDT')).toEqual({
      free: '5145.15',
      locked: '4854.85',
    });
    expect(await ledgerConserves(db.prisma)).toEqual({ perAsset: [], mismatches: [] });
  });

  it('refuses a price off the tick, outside the price band or beyond the funds before canceling anything', async () => {
    const { scope, accountId, order } = await restingBuy('5000');
    const before = await service.balances(scope, accountId);
    expect(
      (await failure(service.amendOrder(scope, { accountId, orderId: order.id, price: '48500.005' }))).code,
    ).toBe('ORDER_INVALID_TICK');
    expect(
      (await failure(service.amendOrder(scope, { accountId, orderId: order.id, price: '10000' }))).code,
    ).toBe('RISK_PRICE_BAND');
    // 0.1 x 49990 + fee is more than the 5000 deposited.
    expect(
      (await failure(service.amendOrder(scope, { accountId, orderId: order.id, price: '49990' }))).code,
    ).toBe('LEDGER_INSUFFICIENT_FUNDS');
    const still = await service.getOrder(scope, { accountId, orderId: order.id });
    expect(still).toMatchObject({ status: 'new', price: '49000' });
    expect(await service.balances(scope, accountId)).toEqual(before);
  });

  it('answers ORDER_NOT_OPEN (status filled) when the order filled before the move', async () => {
    const { scope, accountId, order } = await restingBuy();
    service.onTrade(trade('48999', '1', 'sell', clock.now()));
    await service.idle();
    const refused = await failure(
      service.amendOrder(scope, { accountId, orderId: order.id, price: '48000' }),
    );
    expect(refused).toEqual({ code: 'ORDER_NOT_OPEN', details: { status: 'filled' } });
    const open = await service.listOrders(scope, { accountId, status: 'open', limit: 10 });
    expect(open.items).toHaveLength(0);
  });

  it('moves the remaining quantity of a partly filled order, and a retry with the same client id returns the same replacement', async () => {
    const { scope, accountId, order } = await restingBuy('10000', '49000', '0.1');
    service.onTrade(trade('48999', '0.04', 'sell', clock.now()));
    await service.idle();
    expect((await service.getOrder(scope, { accountId, orderId: order.id })).filledQuantity).toBe('0.04');
    const input = { accountId, orderId: order.id, price: '48800', clientOrderId: 'drag-1' };
    const moved = await service.amendOrder(scope, input);
    expect(moved).toMatchObject({ quantity: '0.06', price: '48800', clientOrderId: 'drag-1' });
    const again = await service.amendOrder(scope, input);
    expect(again.id).toBe(moved.id);
    const open = await service.listOrders(scope, { accountId, status: 'open', limit: 10 });
    expect(open.items.map((o) => o.id)).toEqual([moved.id]);
    expect(await ledgerConserves(db.prisma)).toEqual({ perAsset: [], mismatches: [] });
  });
});
