import { createPgPool } from '@qt/db';
import { createTestDatabase, type TestDatabase } from '@qt/db/testing';
import { AMOUNT_SCALE, isAppError, ManualClock, parseScaled, pow10n } from '@qt/shared';
import type { MatchingEvent } from '@qt/trading';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readJournal } from '../../src/trading/posting-store.ts';
import { TradingService } from '../../src/trading/trading-service.ts';
import { balanceOf, btc, ledgerConserves, logger, quote, someTenant, T0, trade } from './trading-fixtures.ts';

const units = (s: string) => parseScaled(s, AMOUNT_SCALE);

async function codeOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (err) {
    if (isAppError(err)) return err.code;
    throw err;
  }
  throw new Error('expected the call to fail');
}

/**
 * The trading service driven directly, with a manual clock and synthetic market data, on real
 * PostgreSQL: every balance is checked to the unit, and the database is checked against the ledger.
 */
describe('paper trading service', () => {
  let db: TestDatabase;
  let clock: ManualClock;
  let service: TradingService;
  let pool: ReturnType<typeof createPgPool>;

  async function startService(): Promise<TradingService> {
    const s = new TradingService({ db: db.prisma, pool, clock, logger });
    s.setInstrument(btc);
    await s.recover(readJournal(db.prisma));
    return s;
  }

  async function fundedAccount(usdt = '10000') {
    const scope = await someTenant(db.prisma);
    const account = await service.createAccount(scope, { name: 'main', quoteCurrency: 'USDT' });
    await service.deposit(scope, { accountId: account.id, asset: 'USDT', amount: usdt });
    return { scope, accountId: account.id };
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = createPgPool(db.url, { max: 4 });
    clock = new ManualClock(T0);
    service = await startService();
  });
  afterAll(async () => {
    await service?.idle();
    await pool?.end();
    await db?.drop();
  });
  beforeEach(() => {
    clock.advance(60_000); // a fresh rate window for every test
    service.onTrade(trade('50000', '0.001', 'buy', clock.now()));
  });

  it('deposits and withdraws, and refuses to withdraw more than is free', async () => {
    const { scope, accountId } = await fundedAccount('100.5');
    const after = await service.withdraw(scope, { accountId, asset: 'USDT', amount: '0.5' });
    expect(balanceOf(after, 'USDT')).toEqual({ free: '100', locked: '0' });
    expect(await codeOf(service.withdraw(scope, { accountId, asset: 'USDT', amount: '100.01' }))).toBe(
      'LEDGER_INSUFFICIENT_FUNDS',
    );
    expect(balanceOf(await service.balances(scope, accountId), 'USDT')).toEqual({ free: '100', locked: '0' });
    const ledger = await service.ledger(scope, { accountId, limit: 10 });
    expect(ledger.items.map((e) => [e.type, e.free])).toEqual([
      ['withdrawal', '-0.5'],
      ['deposit', '100.5'],
    ]);
  });

  it('locks funds for a limit buy, fills it on a crossing market trade, and books balances and position to the unit', async () => {
    const { scope, accountId } = await fundedAccount();
    const order = await service.placeOrder(scope, {
      accountId,
      venue: 'binance',
      symbol: 'BTC-USDT',
      side: 'buy',
      type: 'limit',
      quantity: '0.1',
      price: '49900',
      timeInForce: 'GTC',
      postOnly: false,
    });
    expect(order.status).toBe('new');
    // 4990 at the limit + the taker fee reserve (0.1%) = 4994.99
    expect(balanceOf(await service.balances(scope, accountId), 'USDT')).toEqual({
      free: '5005.01',
      locked: '4994.99',
    });

    service.onTrade(trade('49899.5', '1', 'sell', clock.now()));
    await service.idle();

    const filled = await service.getOrder(scope, { accountId, orderId: order.id });
    expect(filled).toMatchObject({ status: 'filled', filledQuantity: '0.1', averagePrice: '49900' });
    // Paid 4990 + maker fee 4.99; the unused fee reserve is released.
    const balances = await service.balances(scope, accountId);
    expect(balanceOf(balances, 'USDT')).toEqual({ free: '5005.01', locked: '0' });
    expect(balanceOf(balances, 'BTC')).toEqual({ free: '0.1', locked: '0' });
    const [position] = await service.positions(scope, accountId);
    expect(position).toMatchObject({ quantity: '0.1', averageEntryPrice: '49900', realizedPnl: '-4.99' });
    const fills = await service.listFills(scope, { accountId, limit: 10 });
    expect(fills.items).toHaveLength(1);
    expect(fills.items[0]).toMatchObject({
      id: `${order.id}:1`,
      price: '49900',
      fee: '4.99',
      liquidity: 'maker',
    });
    expect(await ledgerConserves(db.prisma)).toEqual({ perAsset: [], mismatches: [] });
  });

  it('releases the whole lock when a resting order is canceled', async () => {
    const { scope, accountId } = await fundedAccount();
    const order = await service.placeOrder(scope, {
      accountId,
      venue: 'binance',
      symbol: 'BTC-USDT',
      side: 'buy',
      type: 'limit',
      quantity: '0.01',
      price: '49000',
      timeInForce: 'GTC',
      postOnly: false,
    });
    const canceled = await service.cancelOrder(scope, { accountId, orderId: order.id });
    expect(canceled.status).toBe('canceled');
    expect(balanceOf(await service.balances(scope, accountId), 'USDT')).toEqual({
      free: '10000',
      locked: '0',
    });
    expect(await codeOf(service.cancelOrder(scope, { accountId, orderId: order.id }))).toBe('ORDER_NOT_OPEN');
    const row = await db.prisma.order.findUniqueOrThrow({ where: { id: order.id } });
    expect(row.lockedAmount.toFixed()).toBe('0');
    expect(await ledgerConserves(db.prisma)).toEqual({ perAsset: [], mismatches: [] });
  });

  it('fills a market buy at the best ask and answers after the fill is stored', async () => {
    const { scope, accountId } = await fundedAccount();
    service.onQuote(quote('49990', '50010', '1', clock.now()));
    const order = await service.placeOrder(scope, {
      accountId,
      venue: 'binance',
      symbol: 'BTC-USDT',
      side: 'buy',
      type: 'market',
      quantity: '0.01',
      timeInForce: 'GTC',
      postOnly: false,
    });
    expect(order).toMatchObject({ status: 'filled', averagePrice: '50010', filledQuote: '500.1' });
    // No waiting: the fill is in the balances as soon as placeOrder answers. 500.1 + taker fee 0.5001.
    const balances = await service.balances(scope, accountId);
    expect(balanceOf(balances, 'USDT')).toEqual({ free: '9499.3999', locked: '0' });
    expect(balanceOf(balances, 'BTC')).toEqual({ free: '0.01', locked: '0' });
    const stored = await db.prisma.fill.count({ where: { orderId: order.id } });
    expect(stored).toBe(1);
  });

  it('expires an IOC that cannot fill and a FOK that cannot fill whole, releasing their locks', async () => {
    const { scope, accountId } = await fundedAccount();
    service.onQuote(quote('49990', '50010', '0.1', clock.now()));
    const ioc = await service.placeOrder(scope, {
      accountId,
      venue: 'binance',
      symbol: 'BTC-USDT',
      side: 'buy',
      type: 'limit',
      quantity: '0.01',
      price: '49500',
      timeInForce: 'IOC',
      postOnly: false,
    });
    expect(ioc).toMatchObject({ status: 'expired', reason: 'IOC_UNFILLED' });
    const fok = await service.placeOrder(scope, {
      accountId,
      venue: 'binance',
      symbol: 'BTC-USDT',
      side: 'buy',
      type: 'limit',
      quantity: '0.15',
      price: '50010',
      timeInForce: 'FOK',
      postOnly: false,
    });
    expect(fok).toMatchObject({ status: 'expired', reason: 'FOK_NOT_FILLABLE', filledQuantity: '0' });
    expect(balanceOf(await service.balances(scope, accountId), 'USDT')).toEqual({
      free: '10000',
      locked: '0',
    });
    const rows = await db.prisma.order.findMany({ where: { accountId } });
    expect(rows.map((r) => [r.status, r.lockedAmount.toFixed()]).sort()).toEqual([
      ['expired', '0'],
      ['expired', '0'],
    ]);
  });

  it('turns matcher and ledger refusals into their codes, and stores nothing for them', async () => {
    const { scope, accountId } = await fundedAccount('100');
    const base = {
      accountId,
      venue: 'binance',
      symbol: 'BTC-USDT',
      side: 'buy' as const,
      type: 'limit' as const,
      timeInForce: 'GTC' as const,
      postOnly: false,
    };
    expect(await codeOf(service.placeOrder(scope, { ...base, quantity: '0.001', price: '50000.001' }))).toBe(
      'ORDER_INVALID_TICK',
    );
    expect(await codeOf(service.placeOrder(scope, { ...base, quantity: '0.00015', price: '50000' }))).toBe(
      'ORDER_INVALID_LOT',
    );
    clock.advance(1_000);
    expect(await codeOf(service.placeOrder(scope, { ...base, quantity: '0.01', price: '50000' }))).toBe(
      'LEDGER_INSUFFICIENT_FUNDS',
    );
    expect(await db.prisma.order.count({ where: { accountId } })).toBe(0);
  });

  it('makes clientOrderId idempotent: the same id returns the same order', async () => {
    const { scope, accountId } = await fundedAccount();
    const input = {
      accountId,
      venue: 'binance',
      symbol: 'BTC-USDT',
      side: 'buy' as const,
      type: 'limit' as const,
      quantity: '0.01',
      price: '49000',
      timeInForce: 'GTC' as const,
      postOnly: false,
      clientOrderId: 'my-order-1',
    };
    const [a, b] = await Promise.all([service.placeOrder(scope, input), service.placeOrder(scope, input)]);
    expect(b.id).toBe(a.id);
    expect(await db.prisma.order.count({ where: { accountId } })).toBe(1);
    expect(balanceOf(await service.balances(scope, accountId), 'USDT').locked).toBe('490.49');
  });

  it('applies a fill at most once: the same fill event twice gives one fill row and unchanged balances', async () => {
    const { scope, accountId } = await fundedAccount();
    const order = await service.placeOrder(scope, {
      accountId,
      venue: 'binance',
      symbol: 'BTC-USDT',
      side: 'buy',
      type: 'limit',
      quantity: '0.02',
      price: '49000',
      timeInForce: 'GTC',
      postOnly: false,
    });
    const now = clock.now();
    const event: MatchingEvent = {
      type: 'orderFilled',
      time: now,
      order: {
        id: order.id,
        accountId,
        clientOrderId: null,
        venue: 'binance',
        symbol: 'BTC-USDT',
        side: 'buy',
        type: 'limit',
        timeInForce: 'GTC',
        postOnly: false,
        quantity: units('0.02'),
        price: units('49000'),
        stopPrice: null,
        status: 'partially_filled',
        filledQuantity: units('0.01'),
        filledQuote: units('490'),
        averagePrice: units('49000'),
        fees: units('0.49'),
        reason: null,
        triggered: false,
        createdAt: now,
        updatedAt: now,
        activeAt: now,
      },
      fill: {
        id: `${order.id}:1`,
        orderId: order.id,
        accountId,
        venue: 'binance',
        symbol: 'BTC-USDT',
        side: 'buy',
        price: units('49000'),
        quantity: units('0.01'),
        quote: units('490'),
        feeRate: pow10n(15),
        fee: units('0.49'),
        feeAsset: 'USDT',
        liquidity: 'maker',
        pricedBy: 'trade',
        time: now,
        tradeId: 'x1',
      },
    };
    await service.applyEvent(event);
    const once = await service.balances(scope, accountId);
    await service.applyEvent(event);
    expect(await service.balances(scope, accountId)).toEqual(once);
    expect(await db.prisma.fill.count({ where: { orderId: order.id } })).toBe(1);
    expect(balanceOf(once, 'BTC')).toEqual({ free: '0.01', locked: '0' });
    // A restarted service has the fill from the journal; the redelivery changes nothing there either.
    const restarted = await startService();
    await restarted.applyEvent(event);
    expect(await restarted.balances(scope, accountId)).toEqual(once);
    expect(await db.prisma.fill.count({ where: { orderId: order.id } })).toBe(1);
    await service.cancelOrder(scope, { accountId, orderId: order.id }).catch(() => {});
    expect(await ledgerConserves(db.prisma)).toEqual({ perAsset: [], mismatches: [] });
  });

  it('survives a restart exactly: same balances, the open order still rests and later fills', async () => {
    const { scope, accountId } = await fundedAccount();
    const sell = await fundedAccount();
    await service.deposit(sell.scope, { accountId: sell.accountId, asset: 'BTC', amount: '1' });
    const buy = await service.placeOrder(scope, {
      accountId,
      venue: 'binance',
      symbol: 'BTC-USDT',
      side: 'buy',
      type: 'limit',
      quantity: '0.2',
      price: '49800',
      timeInForce: 'GTC',
      postOnly: false,
    });
    const ask = await service.placeOrder(sell.scope, {
      accountId: sell.accountId,
      venue: 'binance',
      symbol: 'BTC-USDT',
      side: 'sell',
      type: 'limit',
      quantity: '0.5',
      price: '50200',
      timeInForce: 'GTC',
      postOnly: false,
    });
    service.onTrade(trade('49799', '0.05', 'sell', clock.now()));
    await service.idle();
    const before = await service.balances(scope, accountId);
    const sellerBefore = await service.balances(sell.scope, sell.accountId);
    expect(balanceOf(before, 'BTC')).toEqual({ free: '0.05', locked: '0' });

    // A new service on the same database: the old one is simply dropped, as a crash would.
    const restarted = await startService();
    expect(await restarted.balances(scope, accountId)).toEqual(before);
    expect(await restarted.balances(sell.scope, sell.accountId)).toEqual(sellerBefore);
    const open = await restarted.listOrders(scope, { accountId, status: 'open', limit: 10 });
    expect(open.items.map((o) => [o.id, o.status, o.filledQuantity])).toEqual([
      [buy.id, 'partially_filled', '0.05'],
    ]);

    clock.advance(1_000);
    restarted.onTrade(trade('49700', '1', 'sell', clock.now()));
    restarted.onTrade(trade('50300', '1', 'buy', clock.now()));
    await restarted.idle();
    expect(await restarted.getOrder(scope, { accountId, orderId: buy.id })).toMatchObject({
      status: 'filled',
      filledQuantity: '0.2',
    });
    expect(
      await restarted.getOrder(sell.scope, { accountId: sell.accountId, orderId: ask.id }),
    ).toMatchObject({
      status: 'filled',
    });
    const fills = await restarted.listFills(scope, { accountId, limit: 10 });
    expect(fills.items.map((f) => f.id).sort()).toEqual([`${buy.id}:1`, `${buy.id}:2`]);
    const after = await restarted.balances(scope, accountId);
    // 0.2 x 49800 = 9960 + 9.96 maker fees
    expect(balanceOf(after, 'USDT')).toEqual({ free: '30.04', locked: '0' });
    expect(balanceOf(after, 'BTC')).toEqual({ free: '0.2', locked: '0' });
    // The seller got 0.5 x 50200 = 25100 minus 25.1 fees.
    expect(balanceOf(await restarted.balances(sell.scope, sell.accountId), 'USDT')).toEqual({
      free: '35074.9',
      locked: '0',
    });
    expect(await ledgerConserves(db.prisma)).toEqual({ perAsset: [], mismatches: [] });
    service = restarted;
  });

  it('pushes order, fill and balance updates to a subscriber until it aborts', async () => {
    const { scope, accountId } = await fundedAccount();
    const abort = new AbortController();
    const fills = service.fillUpdates(scope, accountId, abort.signal)[Symbol.asyncIterator]();
    const orders = service.orderUpdates(scope, accountId, abort.signal)[Symbol.asyncIterator]();
    const balances = service.balanceUpdates(scope, accountId, abort.signal)[Symbol.asyncIterator]();
    const order = await service.placeOrder(scope, {
      accountId,
      venue: 'binance',
      symbol: 'BTC-USDT',
      side: 'buy',
      type: 'limit',
      quantity: '0.01',
      price: '49950',
      timeInForce: 'GTC',
      postOnly: false,
    });
    expect((await balances.next()).value).toEqual(await service.balances(scope, accountId).then((b) => b));
    expect((await orders.next()).value).toMatchObject({ id: order.id, status: 'new' });
    service.onTrade(trade('49900', '1', 'sell', clock.now()));
    expect((await fills.next()).value).toMatchObject({ orderId: order.id, quantity: '0.01' });
    expect((await orders.next()).value).toMatchObject({ id: order.id, status: 'filled' });
    abort.abort();
    expect(await fills.next()).toEqual({ done: true, value: undefined });
  });
});
