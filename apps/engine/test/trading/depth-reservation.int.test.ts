import { createPgPool } from '@qt/db';
import { createTestDatabase, type TestDatabase } from '@qt/db/testing';
import { OrderBook } from '@qt/market-data';
import { ManualClock } from '@qt/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bookDepthSource } from '../../src/trading/book-depth.ts';
import { readJournal } from '../../src/trading/posting-store.ts';
import { TradingService } from '../../src/trading/trading-service.ts';
import { balanceOf, btc, ledgerConserves, logger, quote, someTenant, T0, trade } from './trading-fixtures.ts';

/**
 * A market buy walking the live book is booked by the ledger within what the order path reserved, also
 * when the venue quotes finer than our tick: the matcher rounds that ask up to the tick and computes its
 * cap from there, so the reservation must start from the same top (real PostgreSQL, the whole path).
 */
describe('market buy on a live book, quote finer than the tick', () => {
  let db: TestDatabase;
  let pool: ReturnType<typeof createPgPool>;
  let service: TradingService;
  const clock = new ManualClock(T0);

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = createPgPool(db.url, { max: 4 });
    service = new TradingService({ db: db.prisma, pool, clock, logger });
    service.setInstrument(btc); // tick 0.01
    const book = new OrderBook();
    book.apply('ask', '100.005', '0.001');
    book.apply('bid', '100.00', '1');
    service.setDepthSource(
      'binance',
      'BTC-USDT',
      bookDepthSource(
        { liveBook: () => book, bookResets: () => 1, bookAgeMs: () => 0 },
        'binance',
        'BTC-USDT',
      ),
    );
    await service.recover(readJournal(db.prisma));
  });
  afterAll(async () => {
    await service?.idle();
    await pool?.end();
    await db?.drop();
  });

  it('fills 1 at the book level and the cap, and the ledger books every fill', async () => {
    service.onTrade(trade('100.00', '0.01', 'sell', clock.now()));
    service.onQuote(quote('100.00', '100.005', '0.001', clock.now()));
    const scope = await someTenant(db.prisma);
    const { id: accountId } = await service.createAccount(scope, { name: 'main', quoteCurrency: 'USDT' });
    await service.deposit(scope, { accountId, asset: 'USDT', amount: '1000' });
    const order = await service.placeOrder(scope, {
      accountId,
      venue: 'binance',
      symbol: 'BTC-USDT',
      side: 'buy',
      type: 'market',
      quantity: '1',
      timeInForce: 'GTC',
      postOnly: false,
    });
    await service.idle();
    // 0.001 at 100.01 (100.005 rounded up to the tick) + 0.999 at the cap 100.51 (100.01 x 1.005, floored
    // to the tick) = 100.5095; the old reservation, 1 x 100.005 x 1.005 = 100.505025, was short of it.
    const fills = await service.listFills(scope, { accountId, limit: 10 });
    expect(fills.items.map((f) => [f.price, f.quantity]).sort()).toEqual([
      ['100.01', '0.001'],
      ['100.51', '0.999'],
    ]);
    expect(await service.getOrder(scope, { accountId, orderId: order.id })).toMatchObject({
      status: 'filled',
      filledQuantity: '1',
    });
    const balances = await service.balances(scope, accountId);
    // 1000 - 100.5095 - fee 0.1005095 (10 bps, rounded up at 18 decimals).
    expect(balanceOf(balances, 'USDT')).toEqual({ free: '899.3899905', locked: '0' });
    expect(balanceOf(balances, 'BTC')).toEqual({ free: '1', locked: '0' });
    expect(await ledgerConserves(db.prisma)).toEqual({ perAsset: [], mismatches: [] });
  });
});
