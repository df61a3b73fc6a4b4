import { createPgPool } from '@qt/db';
import { createTestDatabase, type TestDatabase } from '@qt/db/testing';
import { addDecimal, isAppError, ManualClock, type PlaceOrderInput } from '@qt/shared';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readJournal } from '../../src/trading/posting-store.ts';
import { TradingService } from '../../src/trading/trading-service.ts';
import { balanceOf, btc, ledgerConserves, logger, quote, someTenant, T0, trade } from './trading-fixtures.ts';

async function failure(call: Promise<unknown>): Promise<{ code: string; details: unknown }> {
  try {
    await call;
  } catch (err) {
    if (isAppError(err)) return { code: err.code, details: err.details };
    throw err;
  }
  throw new Error('expected the call to fail');
}

const limitBuy = (accountId: string, price: string, quantity: string, extra: Partial<PlaceOrderInput> = {}) =>
  ({
    accountId,
    venue: 'binance',
    symbol: 'BTC-USDT',
    side: 'buy',
    type: 'limit',
    quantity,
    price,
    timeInForce: 'GTC',
    postOnly: false,
    ...extra,
  }) satisfies PlaceOrderInput;

/**
 * Amend and cancel against fills that arrive while the call waits its turn on the account's queue (the
 * matcher changes the order at once; the fill's booking is queued behind the call), and the amend's
 * checks that must come before its cancel (client id, post-only), on real PostgreSQL.
 */
describe('amend and cancel with fills queued behind them', () => {
  let db: TestDatabase;
  let clock: ManualClock;
  let service: TradingService;
  let pool: ReturnType<typeof createPgPool>;
  let lockPool: ReturnType<typeof createPgPool>;

  async function restingBuy(price = '49000', quantity = '0.1', extra: Partial<PlaceOrderInput> = {}) {
    const scope = await someTenant(db.prisma);
    const account = await service.createAccount(scope, {
      name: 'main',
      quoteCurrency: 'USDT',
      initialDeposit: '10000',
    });
    const order = await service.placeOrder(scope, limitBuy(account.id, price, quantity, extra));
    return { scope, accountId: account.id, order };
  }

  /**
   * Runs `queueCalls` while the account's queue is held: a placement whose insert waits on a table lock
   * goes first, so the calls queue behind it; then `meanwhile` (a trade) routes its fills behind them.
   */
  async function withQueueHeld<T>(
    scope: Awaited<ReturnType<typeof someTenant>>,
    accountId: string,
    queueCalls: () => T,
    meanwhile: () => void,
  ): Promise<T> {
    const lock = await lockPool.connect();
    try {
      await lock.query('BEGIN');
      await lock.query('LOCK TABLE orders IN SHARE ROW EXCLUSIVE MODE');
      const blocker = service.placeOrder(scope, limitBuy(accountId, '46000', '0.0002'));
      // The tenant look-ups are cached: each call is on the queue once the microtasks have run (a cancel
      // queues at once, so the blocker is given its turn first).
      await new Promise((resolve) => setImmediate(resolve));
      const calls = queueCalls();
      await new Promise((resolve) => setImmediate(resolve));
      meanwhile();
      await lock.query('COMMIT');
      await blocker;
      return calls;
    } finally {
      lock.release();
    }
  }

  async function fillBooked(
    scope: Awaited<ReturnType<typeof someTenant>>,
    accountId: string,
    orderId: string,
  ) {
    const fills = (await service.listFills(scope, { accountId, limit: 10 })).items.filter(
      (f) => f.orderId === orderId,
    );
    expect(fills.map((f) => f.quantity)).toEqual(['0.04']);
    const stored = await db.prisma.fill.findMany({ where: { orderId } });
    expect(stored).toHaveLength(1);
    const positions = await service.positions(scope, accountId);
    expect(positions.map((p) => p.quantity)).toEqual(['0.04']);
    const balances = await service.balances(scope, accountId);
    expect(balanceOf(balances, 'BTC')).toEqual({ free: '0.04', locked: '0' });
    return fills[0] as NonNullable<(typeof fills)[0]>;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = createPgPool(db.url, { max: 4 });
    lockPool = createPgPool(db.url, { max: 1 });
    clock = new ManualClock(T0);
    service = new TradingService({ db: db.prisma, pool, clock, logger });
    service.setInstrument(btc);
    await service.recover(readJournal(db.prisma));
  });
  afterAll(async () => {
    await service?.idle();
    await lockPool?.end();
    await pool?.end();
    await db?.drop();
  });
  beforeEach(() => {
    clock.advance(60_000);
    service.onTrade(trade('50000', '0.001', 'buy', clock.now()));
  });

  it('amend: a fill that came while the amend waited is booked first, and the replacement is what was left', async () => {
    const { scope, accountId, order } = await restingBuy();
    const moved = await withQueueHeld(
      scope,
      accountId,
      () => service.amendOrder(scope, { accountId, orderId: order.id, price: '48800' }),
      () => service.onTrade(trade('48999', '0.04', 'sell', clock.now())),
    );
    await service.idle();
    expect(moved).toMatchObject({ status: 'new', quantity: '0.06', price: '48800' });
    expect(await service.getOrder(scope, { accountId, orderId: order.id })).toMatchObject({
      status: 'canceled',
      filledQuantity: '0.04',
    });
    const fill = await fillBooked(scope, accountId, order.id);
    // What is reserved is the replacement's (0.06 x 48800 + 0.1% fee reserve) and the blocker's
    // (0.0002 x 46000 + fee); what is free is the rest after paying for the fill.
    const balances = await service.balances(scope, accountId);
    expect(balanceOf(balances, 'USDT').locked).toBe('2940.1372');
    expect(
      addDecimal(addDecimal(balanceOf(balances, 'USDT').free, '2940.1372'), addDecimal(fill.quote, fill.fee)),
    ).toBe('10000');
    expect(await ledgerConserves(db.prisma)).toEqual({ perAsset: [], mismatches: [] });
  });

  it('cancel: a fill that came while the cancel waited is booked, and only the rest is released', async () => {
    const { scope, accountId, order } = await restingBuy();
    const canceled = await withQueueHeld(
      scope,
      accountId,
      () => service.cancelOrder(scope, { accountId, orderId: order.id }),
      () => service.onTrade(trade('48999', '0.04', 'sell', clock.now())),
    );
    await service.idle();
    expect(canceled).toMatchObject({ status: 'canceled', filledQuantity: '0.04' });
    expect(await service.getOrder(scope, { accountId, orderId: order.id })).toMatchObject({
      status: 'canceled',
      filledQuantity: '0.04',
    });
    await fillBooked(scope, accountId, order.id);
    expect(await ledgerConserves(db.prisma)).toEqual({ perAsset: [], mismatches: [] });
  });

  it('cancel all: a fill that came while it waited is booked', async () => {
    const { scope, accountId, order } = await restingBuy();
    const outcome = await withQueueHeld(
      scope,
      accountId,
      () => service.cancelAll(scope, { accountId }),
      () => service.onTrade(trade('48999', '0.04', 'sell', clock.now())),
    );
    await service.idle();
    expect(outcome.canceled).toBe(2); // the resting order and the blocker
    await fillBooked(scope, accountId, order.id);
    expect(balanceOf(await service.balances(scope, accountId), 'USDT').locked).toBe('0');
    expect(await ledgerConserves(db.prisma)).toEqual({ perAsset: [], mismatches: [] });
  });

  it('amend: an order filled while the amend waited answers ORDER_NOT_OPEN with status filled', async () => {
    const { scope, accountId, order } = await restingBuy();
    const refused = await withQueueHeld(
      scope,
      accountId,
      () => failure(service.amendOrder(scope, { accountId, orderId: order.id, price: '48800' })),
      () => service.onTrade(trade('48999', '1', 'sell', clock.now())),
    );
    expect(refused).toEqual({ code: 'ORDER_NOT_OPEN', details: { status: 'filled' } });
    await service.idle();
    expect(await ledgerConserves(db.prisma)).toEqual({ perAsset: [], mismatches: [] });
  });

  it("refuses a client id already in use (the order's own, or another order's) without canceling", async () => {
    const { scope, accountId, order } = await restingBuy('49000', '0.1', { clientOrderId: 'mine' });
    const other = await service.placeOrder(
      scope,
      limitBuy(accountId, '48000', '0.01', { clientOrderId: 'other' }),
    );
    for (const clientOrderId of ['mine', 'other']) {
      const refused = await failure(
        service.amendOrder(scope, { accountId, orderId: order.id, price: '48500', clientOrderId }),
      );
      expect(refused.code).toBe('ORDER_DUPLICATE_ID');
    }
    expect(await service.getOrder(scope, { accountId, orderId: order.id })).toMatchObject({
      status: 'new',
      price: '49000',
    });
    expect(await service.getOrder(scope, { accountId, orderId: other.id })).toMatchObject({ status: 'new' });
    // A fresh id moves it; the same id again is the retry and answers the same replacement.
    const input = { accountId, orderId: order.id, price: '48500', clientOrderId: 'drag-1' };
    const moved = await service.amendOrder(scope, input);
    expect((await service.amendOrder(scope, input)).id).toBe(moved.id);
    // That id on another order is not a retry of this move.
    expect(
      (await failure(service.amendOrder(scope, { ...input, orderId: other.id, price: '47000' }))).code,
    ).toBe('ORDER_DUPLICATE_ID');
    expect(await service.getOrder(scope, { accountId, orderId: other.id })).toMatchObject({ status: 'new' });
  });

  it('refuses moving a post-only buy onto the ask before canceling it', async () => {
    service.onQuote(quote('49990', '50010', '1', clock.now()));
    const { scope, accountId, order } = await restingBuy('49000', '0.1', { postOnly: true });
    const before = await service.balances(scope, accountId);
    const refused = await failure(
      service.amendOrder(scope, { accountId, orderId: order.id, price: '50010' }),
    );
    expect(refused.code).toBe('POST_ONLY_WOULD_TAKE');
    expect(await service.getOrder(scope, { accountId, orderId: order.id })).toMatchObject({
      status: 'new',
      price: '49000',
    });
    expect(await service.balances(scope, accountId)).toEqual(before);
    // Below the ask it still moves, post-only kept.
    const moved = await service.amendOrder(scope, { accountId, orderId: order.id, price: '50000' });
    expect(moved).toMatchObject({ status: 'new', price: '50000', postOnly: true });
  });
});
