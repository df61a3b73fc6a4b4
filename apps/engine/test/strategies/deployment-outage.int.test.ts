import { createPgPool, createPrisma, type Db } from '@qt/db';
import { createTestDatabase, type TestDatabase } from '@qt/db/testing';
import { type Kline, liveClock, type PlaceOrderInput, subjects, topics } from '@qt/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { strategyWat, wat } from '../../../../packages/strategy-runtime/test/fixtures/wat.ts';
import { InProcessBus } from '../../src/bus/in-process-bus.ts';
import { streamSpecs } from '../../src/bus/streams.ts';
import { DeploymentRunner } from '../../src/strategies/deployment-runner.ts';
import { startSandboxStrategy } from '../../src/strategies/sandbox-adapter.ts';
import { StrategyStore } from '../../src/strategies/strategy-store.ts';
import { readJournal } from '../../src/trading/posting-store.ts';
import { TradingService } from '../../src/trading/trading-service.ts';
import { waitFor } from '../bus/bus-contract.ts';
import { startTcpProxy, type TcpProxy, targetOf } from '../support/tcp-proxy.ts';
import { btc, logger, trade } from '../trading/trading-fixtures.ts';

/**
 * A strategy that retries on refusal, as many real ones do: on every candle it places a buy limit at 90%
 * of the close (the first one 0.5 BTC, the rest 0.001), and when an order is rejected it places it again
 * at once.
 */
const retrier = strategyWat({
  extra: `(global $n (mut i32) (i32.const 0))
    (global $px (mut f64) (f64.const 0))
    (func $buy
      (drop (call $place (i32.const 0) (i32.const 0) (i32.const 1)
        (select (f64.const 0.5) (f64.const 0.001) (i32.eqz (global.get $n)))
        (f64.mul (global.get $px) (f64.const 0.9)) (f64.const nan) (i32.const 0) (i32.const 0)))
      (global.set $n (i32.add (global.get $n) (i32.const 1))))
    (func (export "qt_on_order") (param $h i32) (param $status i32) (param $reason i32)
      (if (i32.eq (local.get $status) (i32.const 4)) (then (call $buy))))
    (func (export "qt_on_fill") (param i32 i32 i32 f64 f64 f64 f64))`,
  onCandle: '(global.set $px (local.get $c)) (call $buy)',
});

/** Partial fills of the strategy's first order held during the outage, released in one burst. */
const DRAIN_FILLS = 1_100;
/** Candles while the database is away (each a would-be order). */
const CANDLES_HELD = 10;

/**
 * A deployment whose account is held while the database is away (review finding 4): the engine's own
 * outage must not stop it. With the database cut (TCP proxy), a manual write holds the account; candles
 * keep coming and the strategy's would-be orders are refused with SERVICE_UNAVAILABLE. Before the fix
 * the refusal went straight back to the strategy, which placed again at worker speed until ORDER_STORM;
 * and the fills released in one burst when the hold drained could exceed the FREE tier's 1,024 queued
 * events. Now its calls wait for the account, and fills of orders that are not its own are not queued.
 */
describe('a deployment through its account’s database outage', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let pool: ReturnType<typeof createPgPool>;
  let prisma: Db;
  let bus: InProcessBus;
  let service: TradingService;
  let runner: DeploymentRunner | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
    proxy = await startTcpProxy(targetOf(db.url));
    pool = createPgPool(proxy.url(db.url), { max: 4 });
    pool.on('error', () => {});
    prisma = createPrisma(proxy.url(db.url), { max: 4 });
    bus = new InProcessBus({ streams: streamSpecs, clock: liveClock, logger });
    service = new TradingService({ db: prisma, pool, clock: liveClock, logger });
    service.setInstrument(btc);
    await service.recover(readJournal(prisma));
    service.onTrade(trade('50000', '0.01', 'buy', Date.now()));
  }, 60_000);

  afterAll(async () => {
    proxy?.restore();
    await runner?.stop();
    await service?.idle();
    await bus?.close();
    await prisma?.$disconnect();
    await pool?.end();
    await proxy?.close();
    await db?.drop();
  });

  it('is neither stopped with ORDER_STORM nor EVENT_QUEUE_FULL, and hears only of its own fills', async () => {
    // ENTERPRISE risk limits (50 orders a second): the queued candles' orders after the outage pass risk.
    const tenant = await db.prisma.tenant.create({ data: { name: 'outage', tier: 'ENTERPRISE' } });
    const scope = { tenantId: tenant.id, actor: 'user:test' };
    const { id: accountId } = await service.createAccount(scope, { name: 'main', quoteCurrency: 'USDT' });
    await service.deposit(scope, { accountId, asset: 'USDT', amount: '100000' });

    // The deployment's row, as deploy stores it, and its runner wired as StrategiesService wires it.
    const store = new StrategyStore(db.prisma);
    const module = await wat(retrier);
    const strategy = await store.addVersion(
      scope.tenantId,
      { name: 'retrier' },
      { wasm: module, source: 'upload', callbacks: ['qt_on_order', 'qt_on_fill'], memoryPages: 4 },
    );
    const version = await store.version(scope.tenantId, strategy.id);
    const row = await store.createDeployment({
      tenantId: scope.tenantId,
      version,
      accountId,
      instruments: [{ venue: 'binance', symbol: 'BTC-USDT' }],
      interval: '1m',
      params: {},
    });
    const states: string[] = [];
    runner = new DeploymentRunner(row, {
      trading: service,
      bus,
      clock: liveClock,
      logger,
      instrument: (v, s) => (v === btc.venue && s === btc.symbol ? btc : undefined),
      startStrategy: startSandboxStrategy,
      onState: async (_id, state, reason) => {
        states.push(reason ? `${state}: ${reason}` : state);
      },
      onLog: () => {},
    });
    // The FREE tier's deployment bounds: 1,024 queued events, 20 orders a second (bursts of 100).
    await runner.start(module, 'FREE');
    expect(runner.state).toBe('running');

    let openTime = Date.UTC(2026, 0, 1);
    const candle = async () => {
      openTime += 60_000;
      const k: Kline = {
        venue: 'binance',
        symbol: 'BTC-USDT',
        interval: '1m',
        openTime,
        closeTime: openTime + 59_999,
        open: '50000',
        high: '50000',
        low: '50000',
        close: '50000',
        baseVolume: '1',
        quoteVolume: '50000',
        takerBuyBaseVolume: '0.5',
        tradeCount: 1,
        closed: true,
      };
      await bus.publish(topics.marketKlines, subjects.marketKlines('binance', 'BTC-USDT', '1m'), k);
    };
    const own = async () =>
      (await db.prisma.order.findMany({ where: { accountId } })).filter((o) =>
        o.clientOrderId?.startsWith('st.'),
      );

    // Its first order rests at 45,000; a person's five orders rest above it on the same account.
    await candle();
    await waitFor(async () => (await own()).length === 1, 30_000, 'the strategy’s first order');
    const manual: PlaceOrderInput = {
      accountId,
      venue: 'binance',
      symbol: 'BTC-USDT',
      side: 'buy',
      type: 'limit',
      quantity: '0.001',
      price: '49990',
      timeInForce: 'GTC',
      postOnly: false,
    };
    for (let i = 0; i < 5; i++) await service.placeOrder(scope, manual);

    // The database goes away; a person's deposit cannot be stored: the account is held (new calls on
    // it are refused with SERVICE_UNAVAILABLE until its changes are stored).
    proxy.cut();
    await expect(service.deposit(scope, { accountId, asset: 'USDT', amount: '1' })).rejects.toThrow();
    expect(service.isAccountHeld(accountId)).toBe(true);
    // The person's orders fill, then the strategy's first order in DRAIN_FILLS small parts: all held.
    for (let i = 0; i < 5; i++) service.onTrade(trade('44000', '0.001', 'sell', Date.now()));
    for (let i = 0; i < DRAIN_FILLS; i++) service.onTrade(trade('44000', '0.0001', 'sell', Date.now()));
    // Candles keep coming: each makes the strategy place an order the engine cannot take.
    for (let i = 0; i < CANDLES_HELD; i++) {
      await candle();
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(service.isAccountHeld(accountId)).toBe(true);
    expect(states.filter((s) => s.startsWith('failed'))).toEqual([]);

    proxy.restore();
    await waitFor(() => !service.isAccountHeld(accountId), 90_000, 'the account to be released');
    await service.idle();
    // Every held candle reaches the strategy after the drain: one order each, all taken.
    await waitFor(
      async () => (await own()).length === 1 + CANDLES_HELD && runner?.counters.fills === DRAIN_FILLS,
      60_000,
      'the held candles’ orders and the drained fills to reach the strategy',
    );

    expect(states.filter((s) => s.startsWith('failed'))).toEqual([]);
    expect(runner.state).toBe('running');
    expect(runner.reason).toBeNull();
    expect(runner.counters).toMatchObject({ orders: 1 + CANDLES_HELD, rejected: 0, fills: DRAIN_FILLS });
    // The person's five fills were stored too, and not one of them was told to the strategy.
    const ownIds = new Set((await own()).map((o) => o.id));
    const fills = await db.prisma.fill.findMany({ where: { accountId } });
    expect(fills.filter((f) => !ownIds.has(f.orderId))).toHaveLength(5);
    expect(fills.filter((f) => ownIds.has(f.orderId))).toHaveLength(DRAIN_FILLS);
  }, 180_000);
});
