import { createPgPool, createPrisma, type Db } from '@qt/db';
import { createTestDatabase, type TestDatabase } from '@qt/db/testing';
import { isAppError, ManualClock, type PlaceOrderInput } from '@qt/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJournal } from '../../src/trading/posting-store.ts';
import { TradingService } from '../../src/trading/trading-service.ts';
import { waitFor } from '../bus/bus-contract.ts';
import { startTcpProxy, type TcpProxy, targetOf } from '../support/tcp-proxy.ts';
import { balanceOf, btc, ledgerConserves, logger, someTenant, T0, trade } from './trading-fixtures.ts';

/** How long the database stays unreachable while the burst goes on (the finding's outage was ~15 s). */
const OUTAGE_MS = 15_000;
const PACE_MS = 250;

type Scope = Awaited<ReturnType<typeof someTenant>>;

/**
 * The trading service with its database connections (the `pg` pool of the write path and Prisma)
 * through a TCP proxy that the test cuts for ~15 s during an order burst: market trades fill resting
 * orders while nothing can be stored, and accounts keep sending orders, cancels and deposits. After the
 * database is back nothing is stuck or lost, the ledger reconciles, and the state in memory equals what
 * a restart rebuilds from the database.
 */
describe('paper trading through a database outage', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let pool: ReturnType<typeof createPgPool>;
  let prisma: Db;
  let clock: ManualClock;
  let service: TradingService;
  const accounts: { scope: Scope; accountId: string }[] = [];

  const limitBuy = (accountId: string, price: string, quantity = '0.01'): PlaceOrderInput => ({
    accountId,
    venue: 'binance',
    symbol: 'BTC-USDT',
    side: 'buy',
    type: 'limit',
    quantity,
    price,
    timeInForce: 'GTC',
    postOnly: false,
  });

  beforeAll(async () => {
    db = await createTestDatabase();
    proxy = await startTcpProxy(targetOf(db.url));
    pool = createPgPool(proxy.url(db.url), { max: 4 });
    // As in start-trading.ts: a connection that dies while idle must not become an uncaught error.
    pool.on('error', () => {});
    prisma = createPrisma(proxy.url(db.url), { max: 2 });
    clock = new ManualClock(T0);
    service = new TradingService({ db: prisma, pool, clock, logger });
    service.setInstrument(btc);
    await service.recover(readJournal(prisma));
    service.onTrade(trade('50000', '0.01', 'buy', clock.now()));
    for (let i = 0; i < 6; i++) {
      const scope = await someTenant(db.prisma);
      const account = await service.createAccount(scope, { name: 'main', quoteCurrency: 'USDT' });
      await service.deposit(scope, { accountId: account.id, asset: 'USDT', amount: '100000' });
      accounts.push({ scope, accountId: account.id });
    }
  }, 60_000);

  afterAll(async () => {
    proxy?.restore();
    await service?.idle();
    await prisma?.$disconnect();
    await pool?.end();
    await proxy?.close();
    await db?.drop();
  });

  it('holds the accounts, loses no fill and ends equal to a restart when the database is cut for 15 s during a burst', async () => {
    // Four crossable levels per account and one far below that stays open.
    const levels = ['49990', '49980', '49970', '49960'];
    for (const { scope, accountId } of accounts) {
      for (const price of [...levels, '49000']) {
        clock.advance(200);
        await service.placeOrder(scope, limitBuy(accountId, price));
      }
    }

    proxy.cut();
    const codes: string[] = [];
    const retryHints: unknown[] = [];
    const expectUnavailable = async (call: Promise<unknown>) => {
      try {
        await call;
        codes.push('succeeded');
      } catch (err) {
        codes.push(isAppError(err) ? err.code : `raw: ${err instanceof Error ? err.message : String(err)}`);
        if (isAppError(err)) retryHints.push(err.details?.retryAfterSeconds);
      }
    };
    // Accounts 0-2 only receive fills (held by a fill that cannot be stored); 3-5 keep placing orders,
    // canceling and depositing (held by their own writes, whose outcome the cut leaves unknown).
    const crossing = new Map([
      [2, '49985'],
      [8, '49975'],
      [14, '49965'],
    ]);
    const started = Date.now();
    for (let step = 0; Date.now() - started < OUTAGE_MS; step++) {
      clock.advance(1_000);
      const price = crossing.get(step);
      service.onTrade(trade(price ?? '50000', '1', price ? 'sell' : 'buy', clock.now()));
      for (const { scope, accountId } of accounts.slice(3)) {
        await expectUnavailable(service.placeOrder(scope, limitBuy(accountId, '49500')));
        await expectUnavailable(service.cancelAll(scope, { accountId }));
        await expectUnavailable(service.deposit(scope, { accountId, asset: 'USDT', amount: '1' }));
      }
      if (step > 2) {
        const { scope, accountId } = accounts[0] as (typeof accounts)[number];
        await expectUnavailable(service.placeOrder(scope, limitBuy(accountId, '49500')));
      }
      await new Promise((r) => setTimeout(r, PACE_MS));
    }
    // A partial fill while still cut: the first order at 49960 ends partially filled, the others rest.
    clock.advance(1_000);
    service.onTrade(trade('49959', '0.005', 'sell', clock.now()));

    const during = service.persistenceHolds();
    expect(during.accounts).toBe(6);
    expect(proxy.refused).toBeGreaterThan(0);
    expect(new Set(codes)).toEqual(new Set(['SERVICE_UNAVAILABLE']));
    for (const hint of retryHints) expect(hint).toBeGreaterThanOrEqual(1);

    proxy.restore();
    await waitFor(() => service.persistenceHolds().accounts === 0, 90_000, 'held accounts to drain');
    await service.idle();
    const after = service.persistenceHolds();
    expect(after.buffered).toBe(0);
    expect(after.released).toBe(after.held);

    // Nothing lost: every order at a crossed level is filled, in the database, with its fill row.
    const rows = await db.prisma.order.findMany({
      where: { accountId: { in: accounts.map((a) => a.accountId) } },
    });
    const byPrice = (p: string) => rows.filter((r) => r.price?.toFixed() === p);
    for (const p of ['49990', '49980', '49970']) {
      expect(byPrice(p).map((r) => r.status)).toEqual(Array(6).fill('filled'));
    }
    expect(
      byPrice('49960')
        .map((r) => r.status)
        .sort(),
    ).toEqual(['new', 'new', 'new', 'new', 'new', 'partially_filled']);
    const fills = await db.prisma.fill.count({
      where: { accountId: { in: accounts.map((a) => a.accountId) } },
    });
    expect(fills).toBe(6 * 3 + 1);
    // Orders whose outcome was unknown were either never stored or canceled with their funds released.
    for (const r of rows.filter((x) => x.price?.toFixed() === '49500')) {
      expect(r).toMatchObject({ status: 'canceled', reason: 'SERVICE_UNAVAILABLE' });
      expect(r.lockedAmount.toFixed()).toBe('0');
    }

    // The ledger reconciles.
    expect(await ledgerConserves(db.prisma)).toEqual({ perAsset: [], mismatches: [] });

    // The state equals what a restart rebuilds from the database.
    const freshPool = createPgPool(db.url, { max: 1 });
    try {
      const fresh = new TradingService({ db: db.prisma, pool: freshPool, clock, logger });
      fresh.setInstrument(btc);
      await fresh.recover(readJournal(db.prisma));
      expect(fresh.stateSnapshot()).toEqual(service.stateSnapshot());
    } finally {
      await freshPool.end();
    }

    // Nothing stuck: every open order in the database is open in the matcher and cancels, which frees
    // every lock; and every account takes new orders again.
    for (const { scope, accountId } of accounts) {
      const open = rows.filter(
        (r) => r.accountId === accountId && ['new', 'partially_filled'].includes(r.status),
      );
      clock.advance(1_000);
      expect(await service.cancelAll(scope, { accountId })).toEqual({ canceled: open.length });
      expect(balanceOf(await service.balances(scope, accountId), 'USDT').locked).toBe('0');
      const placed = await service.placeOrder(scope, limitBuy(accountId, '49000'));
      expect(placed.status).toBe('new');
    }
    await service.idle();
    expect(await ledgerConserves(db.prisma)).toEqual({ perAsset: [], mismatches: [] });
  }, 180_000);
});

/**
 * The retry buffer's bound: an account whose buffer is full has its resting orders taken off the book
 * (no more events can pile up), and they are put back once the buffer has been stored.
 */
describe('the retry buffer at its bound', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let pool: ReturnType<typeof createPgPool>;
  let clock: ManualClock;
  let service: TradingService;

  beforeAll(async () => {
    db = await createTestDatabase();
    proxy = await startTcpProxy(targetOf(db.url));
    pool = createPgPool(proxy.url(db.url), { max: 2 });
    pool.on('error', () => {});
    clock = new ManualClock(T0);
    service = new TradingService({ db: db.prisma, pool, clock, logger, retryBuffer: { perAccount: 2 } });
    service.setInstrument(btc);
    await service.recover(readJournal(db.prisma));
    service.onTrade(trade('50000', '0.01', 'buy', clock.now()));
  }, 60_000);

  afterAll(async () => {
    proxy?.restore();
    await service?.idle();
    await pool?.end();
    await proxy?.close();
    await db?.drop();
  });

  it('takes a full account’s resting orders off the book and puts them back after the buffer is stored', async () => {
    const scope = await someTenant(db.prisma);
    const { id: accountId } = await service.createAccount(scope, { name: 'main', quoteCurrency: 'USDT' });
    await service.deposit(scope, { accountId, asset: 'USDT', amount: '10000' });
    const prices = ['49990', '49980', '49970', '49960'];
    for (const price of prices) {
      clock.advance(200);
      await service.placeOrder(scope, {
        accountId,
        venue: 'binance',
        symbol: 'BTC-USDT',
        side: 'buy',
        type: 'limit',
        quantity: '0.01',
        price,
        timeInForce: 'GTC',
        postOnly: false,
      });
    }

    proxy.cut();
    // Two fills: the buffer reaches its bound of 2 and the two orders left go off the book.
    clock.advance(1_000);
    service.onTrade(trade('49975', '1', 'sell', clock.now()));
    await waitFor(() => service.persistenceHolds().detached === 1, 30_000, 'the account to be detached');
    expect(service.persistenceHolds().buffered).toBe(2);
    // Off the book, a trade through every level fills nothing more.
    clock.advance(1_000);
    service.onTrade(trade('49900', '1', 'sell', clock.now()));
    // Matcher events reach the account's queue asynchronously: let them be routed before counting.
    await service.idle();
    expect(service.persistenceHolds().buffered).toBe(2);

    proxy.restore();
    await waitFor(() => service.persistenceHolds().accounts === 0, 60_000, 'the account to drain');
    await service.idle();
    const statuses = async () =>
      (await db.prisma.order.findMany({ where: { accountId }, orderBy: { price: 'desc' } })).map(
        (r) => r.status,
      );
    expect(await statuses()).toEqual(['filled', 'filled', 'new', 'new']);

    // Back on the book: equal to a restart, and the next trade through them fills them.
    const freshPool = createPgPool(db.url, { max: 1 });
    try {
      const fresh = new TradingService({ db: db.prisma, pool: freshPool, clock, logger });
      fresh.setInstrument(btc);
      await fresh.recover(readJournal(db.prisma));
      expect(fresh.stateSnapshot()).toEqual(service.stateSnapshot());
    } finally {
      await freshPool.end();
    }
    clock.advance(1_000);
    service.onTrade(trade('49900', '1', 'sell', clock.now()));
    await service.idle();
    expect(await statuses()).toEqual(['filled', 'filled', 'filled', 'filled']);
    expect(await ledgerConserves(db.prisma)).toEqual({ perAsset: [], mismatches: [] });
  }, 120_000);
});
