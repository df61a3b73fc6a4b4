import type { StrategyScope } from '@qt/api';
import { createPgPool, MarketDataQueries } from '@qt/db';
import { type BacktestProgressView, liveClock, TIER_CAPS, type Tier } from '@qt/shared';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BacktestJobs } from '../../src/strategies/backtest-jobs.ts';
import { StrategyStore } from '../../src/strategies/strategy-store.ts';
import {
  HISTORY_FROM,
  MINUTE,
  outcome,
  quietModule,
  slowModule,
  storeCandles,
  tenantOf,
  until,
} from '../limits/limits-fixtures.ts';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';

const BTC = [{ venue: 'binance', symbol: 'BTC-USDT' }];
/** About 10 s of the slow module's work over all of them (1.7 ms per candle here, idle). */
const STORED = 6_000;
const terminal = (s: string) => s === 'completed' || s === 'failed' || s === 'cancelled';

/**
 * The backtest queue is fair across tenants (one running per tenant, tenants take turns), shows each
 * queued job's place in line, is bounded, and holds every job to its tier's run-time and size caps.
 */
describe('the backtest queue', () => {
  let t: TestEngine;
  let pool: ReturnType<typeof createPgPool>;
  let slow: string;
  let quiet: string;

  const backtest = (
    client: Awaited<ReturnType<typeof tenantOf>>['client'],
    strategyId: string,
    candles = STORED,
  ) =>
    client.backtests.run.mutate({
      strategyId,
      instruments: BTC,
      interval: '1m',
      from: HISTORY_FROM,
      to: HISTORY_FROM + candles * MINUTE,
    });

  /** Another BacktestJobs on the test engine's database, with caps a test can wait for. */
  const jobsWith = (limits: { runMs?: Partial<Record<Tier, number>>; maxQueued?: number }) =>
    new BacktestJobs({
      store: new StrategyStore(t.engine.api.db),
      queries: new MarketDataQueries(pool),
      databaseUrl: t.engine.databaseUrl,
      clock: liveClock,
      logger: pino({ level: 'silent' }),
      instrument: (venue, symbol) => t.engine.market?.catalog.get(venue, symbol),
      limits,
    });

  beforeAll(async () => {
    t = await startTestEngine({
      marketSource: 'simulator',
      marketVenues: ['binance'],
      marketSymbols: ['BTC-USDT'],
      simulatorTradesPerSecond: 2,
    });
    pool = createPgPool(t.engine.databaseUrl, { max: 2 });
    await storeCandles(t, STORED);
    // Milliseconds per candle: a job over the stored candles takes many seconds, each call far under
    // every tier's per-call budget.
    slow = await slowModule(6_000_000);
    quiet = await quietModule();
  }, 120_000);
  afterAll(async () => {
    await pool?.end();
    await t?.stop();
  });

  it("starts tenant B's short job right after tenant A's running one, not behind all of A's queued jobs", async () => {
    // ENTERPRISE for A: the largest per-call budget, so a loaded machine never stops its slow calls.
    const a = await tenantOf(t, 'ENTERPRISE');
    const b = await tenantOf(t, 'FREE');
    const aStrategy = await a.client.strategies.upload.mutate({ name: 'slow', wasmBase64: slow });
    const bStrategy = await b.client.strategies.upload.mutate({ name: 'quick', wasmBase64: quiet });
    const a1 = await backtest(a.client, aStrategy.id);
    await until(
      async () => (await a.client.backtests.get.query({ backtestId: a1.id })).backtest.status === 'running',
      30_000,
      "A's first job to start",
    );
    const aQueued = [
      await backtest(a.client, aStrategy.id),
      await backtest(a.client, aStrategy.id),
      await backtest(a.client, aStrategy.id),
    ];
    expect(aQueued.map((x) => x.queuePosition)).toEqual([1, 2, 3]);

    const b1 = await backtest(b.client, bStrategy.id, 100);
    // B's one job goes before A's second: A has had its turn.
    expect(b1.queuePosition).toBe(1);
    const positions = await a.client.backtests.list.query();
    expect(
      aQueued.map((x) => positions.find((p) => p.id === x.id)?.queuePosition),
      'A after B, in order',
    ).toEqual([2, 3, 4]);
    expect(positions.find((p) => p.id === a1.id)?.queuePosition).toBeNull();
    expect((await b.client.backtests.get.query({ backtestId: b1.id })).backtest.queuePosition).toBe(1);
    const scope: StrategyScope = { tenantId: b.tenantId, actor: 'test', tier: 'FREE' };
    const stream = new AbortController();
    const updates = t.engine.strategies.service.backtestProgress(scope, b1.id, stream.signal);
    const firstUpdate = (await updates[Symbol.asyncIterator]().next()).value as BacktestProgressView;
    stream.abort();
    expect(firstUpdate).toMatchObject({ status: 'queued', queuePosition: 1 });

    // A's running job ends (cancelled here, so the test does not wait for it): B's job is next.
    await a.client.backtests.cancel.mutate({ backtestId: a1.id });
    await until(
      async () => (await b.client.backtests.get.query({ backtestId: b1.id })).backtest.status === 'completed',
      60_000,
      "B's job to complete",
    );
    await until(
      async () =>
        (await a.client.backtests.get.query({ backtestId: aQueued[0]?.id as string })).backtest.status !==
        'queued',
      60_000,
      "A's second job to start",
    );
    const rows = await t.engine.api.db.backtest.findMany({
      where: { id: { in: [b1.id, ...aQueued.map((x) => x.id)] } },
      select: { id: true, startedAt: true, finishedAt: true },
    });
    const row = (id: string) => rows.find((r) => r.id === id);
    const bFinished = row(b1.id)?.finishedAt?.getTime() as number;
    expect(row(aQueued[0]?.id as string)?.startedAt?.getTime()).toBeGreaterThanOrEqual(bFinished);
    expect(row(aQueued[1]?.id as string)?.startedAt ?? null).toBeNull();

    for (const x of aQueued) await outcome(a.client.backtests.cancel.mutate({ backtestId: x.id }));
    await until(
      async () => (await a.client.backtests.list.query()).every((x) => terminal(x.status)),
      30_000,
      "A's jobs to end",
    );
  }, 180_000);

  it('stops a job past its tier run-time cap with RUN_TIME_LIMIT', async () => {
    const jobs = jobsWith({ runMs: { ENTERPRISE: 1_500 } });
    try {
      const { tenantId, client } = await tenantOf(t, 'ENTERPRISE');
      const strategy = await client.strategies.upload.mutate({ name: 'slow', wasmBase64: slow });
      const store = new StrategyStore(t.engine.api.db);
      const version = await store.version(tenantId, strategy.id);
      const job = await jobs.submit({ tenantId, actor: 'test', tier: 'ENTERPRISE' }, version, {
        strategyId: strategy.id,
        instruments: BTC,
        interval: '1m',
        mode: 'candles',
        from: HISTORY_FROM,
        to: HISTORY_FROM + STORED * MINUTE,
        params: {},
        quoteCurrency: 'USDT',
      });
      await until(
        async () => terminal((await store.backtest(tenantId, job.id)).view.status),
        60_000,
        'the job to end',
      );
      const row = await t.engine.api.db.backtest.findUniqueOrThrow({ where: { id: job.id } });
      expect(row.status).toBe('failed');
      expect(row.reason).toMatch(/^RUN_TIME_LIMIT: /);
      const ranMs = (row.finishedAt?.getTime() ?? 0) - (row.startedAt?.getTime() ?? 0);
      expect(ranMs).toBeGreaterThanOrEqual(1_400);
      expect(ranMs).toBeLessThan(30_000);
    } finally {
      await jobs.close();
    }
  }, 90_000);

  it('refuses a job when the engine-wide queue is full (BACKTEST_QUEUE_FULL)', async () => {
    const jobs = jobsWith({ maxQueued: 2 });
    try {
      const { tenantId, client } = await tenantOf(t, 'ENTERPRISE');
      const strategy = await client.strategies.upload.mutate({ name: 'slow', wasmBase64: slow });
      const version = await new StrategyStore(t.engine.api.db).version(tenantId, strategy.id);
      const scope: StrategyScope = { tenantId, actor: 'test', tier: 'ENTERPRISE' };
      const input = {
        strategyId: strategy.id,
        instruments: BTC,
        interval: '1m' as const,
        mode: 'candles' as const,
        from: HISTORY_FROM,
        to: HISTORY_FROM + STORED * MINUTE,
        params: {},
        quoteCurrency: 'USDT',
      };
      const running = await jobs.submit(scope, version, input);
      const second = await jobs.submit(scope, version, input);
      const third = await jobs.submit(scope, version, input);
      expect([running.queuePosition, second.queuePosition, third.queuePosition]).toEqual([null, 1, 2]);
      await expect(jobs.submit(scope, version, input)).rejects.toMatchObject({
        code: 'BACKTEST_QUEUE_FULL',
        details: { limit: 2 },
      });
      // A cancelled queued job frees its place.
      await jobs.cancel(scope, second.id);
      expect((await jobs.submit(scope, version, input)).queuePosition).toBe(2);
    } finally {
      await jobs.close();
    }
  }, 90_000);

  it('refuses a job over the tier cap on candles up front (BACKTEST_TOO_LARGE)', async () => {
    const { client } = await tenantOf(t, 'FREE');
    const strategy = await client.strategies.upload.mutate({ name: 'quick', wasmBase64: quiet });
    // Ten days of 1s candles: 864,000, over FREE's cap.
    const refused = await outcome(
      client.backtests.run.mutate({
        strategyId: strategy.id,
        instruments: BTC,
        interval: '1s',
        from: HISTORY_FROM,
        to: HISTORY_FROM + 10 * 86_400_000,
      }),
    );
    expect(refused).toEqual({
      code: 'BACKTEST_TOO_LARGE',
      details: { tier: 'FREE', limit: TIER_CAPS.FREE.backtestCandles, estimated: 864_000 },
    });
    // The same range in 1h candles (240) is within the cap.
    const accepted = await outcome(
      client.backtests.run.mutate({
        strategyId: strategy.id,
        instruments: BTC,
        interval: '1h',
        from: HISTORY_FROM,
        to: HISTORY_FROM + 10 * 86_400_000,
      }),
    );
    expect(accepted.code).not.toBe('BACKTEST_TOO_LARGE');
  }, 60_000);
});
