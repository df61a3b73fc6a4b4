import { createPgPool, createPrisma, type Db } from '@qt/db';
import { createTestDatabase, type TestDatabase } from '@qt/db/testing';
import { isAppError, ManualClock, type PlaceOrderInput } from '@qt/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InProcessBus } from '../../src/bus/in-process-bus.ts';
import { streamSpecs } from '../../src/bus/streams.ts';
import { readJournal } from '../../src/trading/posting-store.ts';
import { startTrading, type Trading } from '../../src/trading/start-trading.ts';
import { TRADING_DB_TIMEOUTS } from '../../src/trading/trading-pool.ts';
import { TradingService } from '../../src/trading/trading-service.ts';
import { waitFor } from '../bus/bus-contract.ts';
import { startTcpProxy, type TcpProxy, targetOf } from '../support/tcp-proxy.ts';
import { ledgerConserves, logger, someTenant, T0, trade } from './trading-fixtures.ts';

/** How long the database hangs (accepts, never answers, never resets) during the burst. */
const STALL_MS = 10_000;
/**
 * Every account with writes under way must be held within this long: a write ends by its query or
 * connect timeout (6 s / 5 s), plus generous room for a loaded 2-core machine. Without timeouts the
 * writes wait for ever and no account is ever held.
 */
const HELD_WITHIN_MS = TRADING_DB_TIMEOUTS.queryMs + TRADING_DB_TIMEOUTS.connectMs + 9_000;

type Scope = Awaited<ReturnType<typeof someTenant>>;

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

/** Trading as the engine wires it (startTrading: its own pool with timeouts), its database behind a proxy. */
async function tradingBehindProxy(db: TestDatabase, proxy: TcpProxy, clock: ManualClock) {
  const prisma = createPrisma(proxy.url(db.url), { max: 2 });
  const bus = new InProcessBus({ streams: streamSpecs, clock, logger });
  const trading = await startTrading({
    db: prisma,
    databaseUrl: proxy.url(db.url),
    bus,
    clock,
    logger,
    instruments: [
      {
        venue: 'binance',
        symbol: 'BTC-USDT',
        venueSymbol: 'BTCUSDT',
        base: 'BTC',
        quote: 'USDT',
        tickSize: '0.01',
        lotSize: '0.0001',
        minNotional: '5',
        status: 'trading',
      },
    ],
  });
  return { prisma, bus, trading };
}

async function openAccounts(
  db: TestDatabase,
  service: TradingService,
  clock: ManualClock,
  n: number,
  prices: readonly string[],
): Promise<{ scope: Scope; accountId: string }[]> {
  const out: { scope: Scope; accountId: string }[] = [];
  for (let i = 0; i < n; i++) {
    const scope = await someTenant(db.prisma);
    const account = await service.createAccount(scope, { name: 'main', quoteCurrency: 'USDT' });
    await service.deposit(scope, { accountId: account.id, asset: 'USDT', amount: '100000' });
    for (const price of prices) {
      clock.advance(200);
      await service.placeOrder(scope, limitBuy(account.id, price));
    }
    out.push({ scope, accountId: account.id });
  }
  return out;
}

/** What a call ended with, and how long it took to answer. */
async function outcome(call: Promise<unknown>): Promise<{ code: string; ms: number }> {
  const started = performance.now();
  try {
    await call;
    return { code: 'succeeded', ms: performance.now() - started };
  } catch (err) {
    const code = isAppError(err) ? err.code : `raw: ${err instanceof Error ? err.message : String(err)}`;
    return { code, ms: performance.now() - started };
  }
}

/**
 * The database hangs rather than failing: the proxy holds every connection open and forwards nothing
 * (dropped packets, a lock wait that never ends, a swamped server). Writes must end by timeout, the
 * accounts be held with SERVICE_UNAVAILABLE within a bounded time, and nothing be lost.
 */
describe('paper trading while the database hangs', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let prisma: Db;
  let bus: InProcessBus;
  let trading: Trading;
  let clock: ManualClock;

  beforeAll(async () => {
    db = await createTestDatabase();
    proxy = await startTcpProxy(targetOf(db.url));
    clock = new ManualClock(T0);
    ({ prisma, bus, trading } = await tradingBehindProxy(db, proxy, clock));
    trading.service.onTrade(trade('50000', '0.01', 'buy', clock.now()));
  }, 60_000);

  afterAll(async () => {
    proxy?.restore();
    await trading?.stop(10_000);
    await prisma?.$disconnect();
    await bus?.close();
    await proxy?.close();
    await db?.drop();
  });

  it('holds the accounts with SERVICE_UNAVAILABLE in bounded time, loses nothing and ends equal to a restart after a 10 s stall during a burst', async () => {
    const service = trading.service;
    const accounts = await openAccounts(db, service, clock, 6, ['49990', '49980', '49960']);

    proxy.stall();
    const stalledAt = performance.now();
    // Accounts 0-2 only receive fills; 3-5 also place orders and deposit (their own writes hang).
    clock.advance(1_000);
    service.onTrade(trade('49985', '1', 'sell', clock.now()));
    const burst = accounts
      .slice(3)
      .flatMap(({ scope, accountId }) => [
        outcome(service.placeOrder(scope, limitBuy(accountId, '49500'))),
        outcome(service.deposit(scope, { accountId, asset: 'USDT', amount: '1' })),
      ]);

    await waitFor(
      () => service.persistenceHolds().accounts === 6,
      HELD_WITHIN_MS + 20_000,
      'every account held',
    );
    const heldAfterMs = performance.now() - stalledAt;
    expect(heldAfterMs).toBeLessThan(HELD_WITHIN_MS);
    const answers = await Promise.all(burst);
    for (const a of answers) {
      expect(a.code).toBe('SERVICE_UNAVAILABLE');
      expect(a.ms).toBeLessThan(HELD_WITHIN_MS);
    }

    // Held: new calls are refused at once, and market fills keep being buffered, not lost.
    for (const { scope, accountId } of accounts) {
      const refused = await outcome(service.placeOrder(scope, limitBuy(accountId, '49500')));
      expect(refused.code).toBe('SERVICE_UNAVAILABLE');
      expect(refused.ms).toBeLessThan(1_000);
    }
    clock.advance(1_000);
    service.onTrade(trade('49975', '1', 'sell', clock.now()));
    await waitFor(() => service.persistenceHolds().buffered >= 12, 30_000, 'the second fills to be held');
    expect(proxy.isStalled).toBe(true);

    // The stall lasts its full length; then the network comes back.
    await waitFor(() => performance.now() - stalledAt >= STALL_MS, STALL_MS + 1_000, 'the stall to last');
    proxy.restore();
    await waitFor(() => service.persistenceHolds().accounts === 0, 90_000, 'held accounts to drain');
    await service.idle();
    expect(service.persistenceHolds()).toMatchObject({ buffered: 0, failed: 0 });

    // Nothing lost: both crossed levels filled on every account, with their fill rows.
    const ids = accounts.map((a) => a.accountId);
    const rows = await db.prisma.order.findMany({ where: { accountId: { in: ids } } });
    const statuses = (p: string) => rows.filter((r) => r.price?.toFixed() === p).map((r) => r.status);
    expect(statuses('49990')).toEqual(Array(6).fill('filled'));
    expect(statuses('49980')).toEqual(Array(6).fill('filled'));
    expect(statuses('49960')).toEqual(Array(6).fill('new'));
    expect(await db.prisma.fill.count({ where: { accountId: { in: ids } } })).toBe(12);
    // Orders and deposits of unknown outcome: never stored, or canceled with their funds released.
    for (const r of rows.filter((x) => x.price?.toFixed() === '49500')) {
      expect(r).toMatchObject({ status: 'canceled', reason: 'SERVICE_UNAVAILABLE' });
      expect(r.lockedAmount.toFixed()).toBe('0');
    }
    expect(await ledgerConserves(db.prisma)).toEqual({ perAsset: [], mismatches: [] });

    // The state in memory equals what a restart rebuilds.
    const freshPool = createPgPool(db.url, { max: 1 });
    try {
      const fresh = new TradingService({ db: db.prisma, pool: freshPool, clock, logger });
      fresh.setInstrument({
        venue: 'binance',
        symbol: 'BTC-USDT',
        venueSymbol: 'BTCUSDT',
        base: 'BTC',
        quote: 'USDT',
        tickSize: '0.01',
        lotSize: '0.0001',
        minNotional: '5',
        status: 'trading',
      });
      await fresh.recover(readJournal(db.prisma));
      expect(fresh.stateSnapshot()).toEqual(service.stateSnapshot());
    } finally {
      await freshPool.end();
    }

    // Every account trades again.
    for (const { scope, accountId } of accounts) {
      clock.advance(1_000);
      expect((await service.placeOrder(scope, limitBuy(accountId, '49000'))).status).toBe('new');
    }
  }, 240_000);
});

describe('stopping trading', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let prisma: Db;
  let bus: InProcessBus;
  let trading: Trading;
  let clock: ManualClock;

  beforeAll(async () => {
    db = await createTestDatabase();
    proxy = await startTcpProxy(targetOf(db.url));
    clock = new ManualClock(T0);
    ({ prisma, bus, trading } = await tradingBehindProxy(db, proxy, clock));
    trading.service.onTrade(trade('50000', '0.01', 'buy', clock.now()));
  }, 60_000);

  afterAll(async () => {
    proxy?.restore();
    await prisma?.$disconnect();
    await bus?.close();
    await proxy?.close();
    await db?.drop();
  });

  it('stores what is held with one last attempt when the database came back after the last retry', async () => {
    const service = trading.service;
    const [account] = await openAccounts(db, service, clock, 1, ['49990']);
    proxy.cut();
    clock.advance(1_000);
    service.onTrade(trade('49985', '1', 'sell', clock.now()));
    // Four failed retries: the next one is 1.6 s or more away when the database comes back.
    await waitFor(() => service.persistenceHolds().retries >= 4, 30_000, 'retries to back off');
    proxy.restore();
    expect(service.persistenceHolds().accounts).toBe(1);
    const stopped = outcome(trading.stop(10_000));
    await stopped;
    expect(service.persistenceHolds()).toMatchObject({ accounts: 0, buffered: 0 });
    const fills = await db.prisma.fill.count({ where: { accountId: account?.accountId ?? '' } });
    expect(fills).toBe(1);
    expect(await ledgerConserves(db.prisma)).toEqual({ perAsset: [], mismatches: [] });
  }, 60_000);
});

describe('stopping trading while the database hangs', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let prisma: Db;
  let bus: InProcessBus;
  let trading: Trading;
  let clock: ManualClock;

  beforeAll(async () => {
    db = await createTestDatabase();
    proxy = await startTcpProxy(targetOf(db.url));
    clock = new ManualClock(T0);
    ({ prisma, bus, trading } = await tradingBehindProxy(db, proxy, clock));
    trading.service.onTrade(trade('50000', '0.01', 'buy', clock.now()));
  }, 60_000);

  afterAll(async () => {
    proxy?.restore();
    await prisma?.$disconnect();
    await bus?.close();
    await proxy?.close();
    await db?.drop();
  });

  it('finishes within its budget while writes hang, and reports what was not stored', async () => {
    const service = trading.service;
    const accounts = await openAccounts(db, service, clock, 3, ['49990']);
    proxy.stall();
    clock.advance(1_000);
    service.onTrade(trade('49985', '1', 'sell', clock.now()));
    // Writes under way and hanging; a caller's order hangs with them.
    const placing = outcome(
      service.placeOrder(
        (accounts[0] as { scope: Scope }).scope,
        limitBuy((accounts[0] as { accountId: string }).accountId, '49500'),
      ),
    );
    const budgetMs = 3_000;
    const started = performance.now();
    await trading.stop(budgetMs);
    const tookMs = performance.now() - started;
    // Bounded by its budget (plus timer slack on a loaded machine), not by the hung writes.
    expect(tookMs).toBeLessThan(budgetMs + 1_500);
    expect(tookMs).toBeLessThan(TRADING_DB_TIMEOUTS.queryMs);
    // The caller is answered too, by the write's timeout at the latest.
    expect((await placing).code).toBe('SERVICE_UNAVAILABLE');
  }, 60_000);
});
