import { parseDeliveryConfig } from '@qt/alerts';
import type { AlertScope } from '@qt/api';
import { createPgPool, MarketDataQueries, MarketDataWriter } from '@qt/db';
import { createTestDatabase, type TestDatabase } from '@qt/db/testing';
import { AppError, type Kline, liveClock, subjects, topics } from '@qt/shared';
import type pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertService } from '../../src/alerts/alert-service.ts';
import { followedMarkets } from '../../src/alerts/followed-markets.ts';
import { storedCandleReader } from '../../src/alerts/start-alerts.ts';
import { InProcessBus } from '../../src/bus/in-process-bus.ts';
import { streamSpecs } from '../../src/bus/streams.ts';
import { RestartableEngine, waitFor } from './alert-engine-support.ts';

const MIN = 60_000;
const SYMBOL = 'WRM-USDT';
/**
 * Bar 0 of the test's history: whole minutes, so that bar 40 (the first live bar) closes after the alert
 * is created: an alert is not evaluated on bars that closed before it existed.
 */
const T0 = Math.floor(Date.now() / MIN) * MIN - 39 * MIN;

function kline(i: number, close: number, interval: '1m' | '5m' = '1m', t0 = T0): Kline {
  const c = String(close);
  const ms = interval === '1m' ? MIN : 5 * MIN;
  return {
    venue: 'binance',
    symbol: SYMBOL,
    interval,
    openTime: t0 + i * ms,
    closeTime: t0 + (i + 1) * ms - 1,
    open: c,
    high: c,
    low: c,
    close: c,
    baseVolume: '3',
    quoteVolume: String(close * 3),
    takerBuyBaseVolume: '1',
    tradeCount: 10,
    closed: true,
  };
}

/**
 * Indicator warm-up and the followed-market check through the engine's AlertService on the real
 * database: stored candles (written by the time-series writer) seed a new RSI alert, which then fires on
 * the first live close that crosses its level; alerts on markets the engine does not follow are refused.
 */
describe('alert indicator warm-up and followed markets (real PostgreSQL)', () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let service: AlertService;
  const bus = new InProcessBus({ streams: streamSpecs, clock: liveClock, logger: pino({ level: 'silent' }) });
  let scope: AlertScope;
  let followedList = [{ venue: 'binance', symbol: SYMBOL }];

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = createPgPool(db.url, { max: 2 });
    // 40 minutes of falling closes: RSI(14) is near 0 at the end of the stored history.
    await new MarketDataWriter(pool).writeKlines(Array.from({ length: 40 }, (_, i) => kline(i, 500 - i)));
    const tenant = await db.prisma.tenant.create({ data: { name: 'warmup', tier: 'PRO' } });
    scope = { tenantId: tenant.id, actor: 'test', tier: 'PRO' };
    service = new AlertService({
      db: db.prisma,
      bus,
      clock: liveClock,
      logger: pino({ level: 'silent' }),
      evaluatorId: 'alerts:warmup-test',
      delivery: parseDeliveryConfig({}),
      followed: followedMarkets({
        source: 'simulator',
        bus: 'in-process',
        followed: () => followedList,
      }),
      storedCandles: storedCandleReader(new MarketDataQueries(pool)),
    });
    await service.start();
  }, 60_000);

  afterAll(async () => {
    await service?.stop();
    await pool?.end();
    await db?.drop();
  });

  it('an RSI alert created with stored history fires on the first qualifying live close', async () => {
    const created = await service.create(scope, {
      name: 'rsi up',
      venue: 'binance',
      symbol: SYMBOL,
      condition: { kind: 'rsi', interval: '1m', period: 14, op: 'crossesUp', value: 50 },
      trigger: { mode: 'oncePerBarClose', interval: '1m' },
      channels: [],
    });
    expect(created.warmup?.status).toMatch(/^(warming|ready)$/);
    const ready = await waitFor(
      'the RSI seeded from storage',
      async () => {
        const view = await service.get(scope, created.id);
        return view.warmup?.status === 'ready' ? view : undefined;
      },
      20_000,
    );
    expect(ready.warmup).toEqual({ status: 'ready', barsNeeded: 0, readyAt: null });

    // The very next live bar after the stored ones jumps: RSI(14) crosses 50 on it.
    const live = kline(40, 560);
    await bus.publish(topics.marketKlines, subjects.marketKlines('binance', SYMBOL, '1m'), live, {
      msgId: `binance:${SYMBOL}:1m:${live.openTime}`,
    });
    const firing = await waitFor(
      'the firing on the first live close',
      async () => (await service.history(scope, { unreadOnly: false, limit: 10 })).items[0],
      20_000,
    );
    expect(firing.id).toBe(`${created.id}:b:1m:${live.openTime}`);
    expect(Number(firing.values['rsi(14)'])).toBeGreaterThan(50);
    // Nothing fired on the stored history itself.
    expect((await service.history(scope, { unreadOnly: false, limit: 10 })).items).toHaveLength(1);
  });

  it('refuses alerts on a market or venue the engine does not follow, naming what it follows', async () => {
    const refused = await service
      .create(scope, {
        name: 'elsewhere',
        venue: 'binance',
        symbol: 'NOPE-USDT',
        condition: { kind: 'price', op: 'above', value: '1' },
        trigger: { mode: 'once' },
        channels: [],
      })
      .then(
        () => null,
        (err: unknown) => err,
      );
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).code).toBe('ALERT_MARKET_NOT_FOLLOWED');
    expect((refused as AppError).message).toContain('binance NOPE-USDT');
    expect((refused as AppError).message).toContain(`binance ${SYMBOL}`);

    // Venue-wide data-quality alerts: allowed on a followed venue, refused on another.
    const venueWide = await service.create(scope, {
      name: 'binance gaps',
      condition: { kind: 'dataQuality', events: ['gapDetected'], venue: 'binance' },
      trigger: { mode: 'once' },
      channels: [],
    });
    expect(venueWide.state).toBe('active');
    await expect(
      service.create(scope, {
        name: 'okx gaps',
        condition: { kind: 'dataQuality', events: ['gapDetected'], venue: 'okx' },
        trigger: { mode: 'once' },
        channels: [],
      }),
    ).rejects.toMatchObject({ code: 'ALERT_MARKET_NOT_FOLLOWED' });

    // An update moving an alert to an unfollowed market is refused too, and leaves it as it was.
    const ok = await service.create(scope, {
      name: 'here',
      venue: 'binance',
      symbol: SYMBOL,
      condition: { kind: 'price', op: 'above', value: '100000' },
      trigger: { mode: 'once' },
      channels: [],
    });
    await expect(service.update(scope, { alertId: ok.id, symbol: 'NOPE-USDT' })).rejects.toMatchObject({
      code: 'ALERT_MARKET_NOT_FOLLOWED',
    });
    expect((await service.get(scope, ok.id)).symbol).toBe(SYMBOL);
    // A price alert reads no bar history: no warm-up in its view.
    expect((await service.get(scope, ok.id)).warmup).toBeUndefined();

    // The market is no longer followed here: a rename or a channels edit is still accepted, a move of
    // the alert to another market (or a new condition) is checked and refused.
    followedList = [];
    try {
      expect((await service.update(scope, { alertId: ok.id, name: 'renamed' })).name).toBe('renamed');
      expect((await service.update(scope, { alertId: ok.id, channels: [] })).state).toBe('active');
      await expect(
        service.update(scope, { alertId: ok.id, condition: { kind: 'price', op: 'above', value: '1' } }),
      ).rejects.toMatchObject({ code: 'ALERT_MARKET_NOT_FOLLOWED' });
    } finally {
      followedList = [{ venue: 'binance', symbol: SYMBOL }];
    }
  });

  it('an alert is not evaluated on a bar that closed before it was created', async () => {
    const created = await service.create(scope, {
      name: 'any 5m close',
      venue: 'binance',
      symbol: SYMBOL,
      condition: { kind: 'price', op: 'above', value: '1' },
      trigger: { mode: 'oncePerBarClose', interval: '5m' },
      channels: [],
    });
    const t5 = Math.floor(created.createdAt / (5 * MIN)) * 5 * MIN;
    // Closed before the alert existed (what a replay from an older snapshot delivers): never fires.
    const old = kline(-2, 10, '5m', t5);
    // Closes after: fires.
    const next = kline(1, 11, '5m', t5);
    for (const k of [old, next])
      await bus.publish(topics.marketKlines, subjects.marketKlines('binance', SYMBOL, '5m'), k, {
        msgId: `binance:${SYMBOL}:5m:${k.openTime}`,
      });
    const firing = await waitFor(
      'the firing on the bar closing after creation',
      async () =>
        (await service.history(scope, { alertId: created.id, unreadOnly: false, limit: 10 })).items[0],
      20_000,
    );
    expect(firing.id).toBe(`${created.id}:b:5m:${next.openTime}`);
    const all = await service.history(scope, { alertId: created.id, unreadOnly: false, limit: 10 });
    expect(all.items.map((f) => f.id)).toEqual([firing.id]);
  });
});

describe('the followed-market refusal through the API (engine on the simulator)', () => {
  let e: RestartableEngine;

  beforeAll(async () => {
    e = await RestartableEngine.create({ natsUrl: undefined });
    await e.start();
  }, 120_000);
  afterAll(async () => {
    await e?.dispose();
  });

  it('answers ALERT_MARKET_NOT_FOLLOWED with the market and what the engine follows', async () => {
    const alice = await e.signUp('follow-check');
    const c = e.client(alice.token);
    const err = await c.alerts.create
      .mutate({
        name: 'not here',
        venue: 'binance',
        symbol: 'ZZQ-USDT',
        condition: { kind: 'price', op: 'above', value: '1' },
        trigger: { mode: 'once' },
      })
      .then(
        () => null,
        (x: { message: string; data?: { appCode?: string } }) => x,
      );
    expect(err?.data?.appCode).toBe('ALERT_MARKET_NOT_FOLLOWED');
    expect(err?.message).toContain('binance ZZQ-USDT');
    expect(err?.message).toContain('binance BTC-USDT');
    const ok = await c.alerts.create.mutate({
      name: 'here',
      venue: 'binance',
      symbol: 'BTC-USDT',
      condition: { kind: 'rsi', interval: '1h', period: 14, op: 'above', value: 99 },
      trigger: { mode: 'oncePerBarClose', interval: '1h' },
    });
    expect(ok.state).toBe('active');
    // A fresh database holds no 1h candles of this market yet: the view says how long until it can fire.
    const view = await waitFor(
      'the seed read',
      async () => {
        const v = await c.alerts.get.query({ alertId: ok.id });
        return v.warmup?.status === 'warming' ? undefined : v;
      },
      20_000,
    );
    expect(view.warmup?.status).toBe('cold');
    expect(view.warmup?.barsNeeded).toBeGreaterThan(0);
    expect(view.warmup?.readyAt).toBeGreaterThan(Date.now());
  }, 60_000);
});
