import type { DeploymentView } from '@qt/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { strategyWat, wat } from '../../../../packages/strategy-runtime/test/fixtures/wat.ts';
import { waitFor } from '../bus/bus-contract.ts';
import { expectAppError } from '../support/expect-app-error.ts';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';

/**
 * Strategies end to end on the simulator's market: an SDK example built to WebAssembly, deployed to a
 * paper account (1s candles from the live pipeline, orders through risk and the matcher), hostile
 * modules refused at upload or stopped by the watchdog while it keeps trading, and backtests on the
 * candles the engine stored meanwhile.
 */
describe('strategies on the simulator market', () => {
  let t: TestEngine;
  let token: string;
  let accountId: string;
  let smaId: string;
  let sma: DeploymentView;
  const startedAt = Date.now();

  const client = () => t.client(token);
  const deployment = (id: string) => client().strategies.deployment.query({ deploymentId: id });
  const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

  beforeAll(async () => {
    t = await startTestEngine({
      marketSource: 'simulator',
      simulatorTradesPerSecond: 40,
      marketSymbols: ['BTC-USDT'],
    });
    token = (await t.signUp('quant')).token;
    const account = await client().paperAccounts.create.mutate({ name: 'strategies' });
    accountId = account.id;
    await client().paperAccounts.deposit.mutate({ accountId, asset: 'USDT', amount: '1000000' });
    await waitFor(() => t.engine.trading.service.hasMarket('binance', 'BTC-USDT'), 20_000, 'market data');
  }, 60_000);
  afterAll(async () => {
    await t?.stop();
  });

  it('lists the SDK examples with their parameters', async () => {
    const examples = await client().strategies.examples.query();
    expect(examples.map((e) => e.name)).toEqual(
      expect.arrayContaining(['sma-crossover', 'rsi-mean-reversion', 'bollinger-breakout']),
    );
    const smaExample = examples.find((e) => e.name === 'sma-crossover');
    expect(smaExample?.params.map((p) => p.name)).toEqual(
      expect.arrayContaining(['fast', 'slow', 'quantity']),
    );
  });

  it('deploys an example to paper: it receives closed 1s candles and trades through risk', async () => {
    const strategy = await client().strategies.createFromExample.mutate({
      name: 'SMA 2/3',
      example: 'sma-crossover',
    });
    smaId = strategy.id;
    expect(strategy.versions).toHaveLength(1);
    expect(strategy.versions[0]?.source).toBe('example:sma-crossover');
    sma = await client().strategies.deploy.mutate({
      strategyId: smaId,
      accountId,
      instruments: [{ venue: 'binance', symbol: 'BTC-USDT' }],
      interval: '1s',
      params: { fast: 2, slow: 3, quantity: 0.001 },
    });
    expect(sma.state).toBe('running');
    // A 2/3 crossover on 1s candles of a random walk crosses within seconds.
    await waitFor(
      async () => {
        const d = await deployment(sma.id);
        return d.metrics.calls >= 5 && d.metrics.fills >= 1;
      },
      45_000,
      'candles and a fill',
    );
    const orders = await client().orders.list.query({ accountId, status: 'all' });
    expect(orders.orders.length).toBeGreaterThan(0);
    expect(orders.orders.every((o) => o.clientOrderId?.startsWith('st.'))).toBe(true);
    const logs = await client().strategies.logs.query({ deploymentId: sma.id, limit: 50 });
    expect(Array.isArray(logs)).toBe(true);
  }, 60_000);

  it('refuses hostile modules at upload with the exact reason', async () => {
    const forbidden = await wat(
      strategyWat({
        imports: '(import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))',
      }),
    );
    await expectAppError(
      client().strategies.upload.mutate({ name: 'sneaky', wasmBase64: base64(forbidden) }),
      'STRATEGY_INVALID_MODULE',
      /wasi_snapshot_preview1\.fd_write/,
    );
    const unbounded = await wat(strategyWat({ memory: '2' }));
    await expectAppError(
      client().strategies.upload.mutate({ name: 'greedy', wasmBase64: base64(unbounded) }),
      'STRATEGY_INVALID_MODULE',
      /maximum/i,
    );
    await expectAppError(
      client().strategies.upload.mutate({
        name: 'junk',
        wasmBase64: base64(new Uint8Array([0, 97, 115, 109, 9, 9])),
      }),
      'STRATEGY_INVALID_MODULE',
    );
    expect((await client().strategies.list.query()).map((s) => s.name)).not.toContain('sneaky');
  });

  it('stops a runaway strategy with its reason while the other keeps trading', async () => {
    const runaway = await wat(strategyWat({ onCandle: '(loop $forever (br $forever))' }));
    const uploaded = await client().strategies.upload.mutate({
      name: 'runaway',
      wasmBase64: base64(runaway),
    });
    const before = (await deployment(sma.id)).metrics.calls;
    const bad = await client().strategies.deploy.mutate({
      strategyId: uploaded.id,
      accountId,
      instruments: [{ venue: 'binance', symbol: 'BTC-USDT' }],
      interval: '1s',
    });
    await waitFor(async () => (await deployment(bad.id)).state === 'failed', 20_000, 'the runaway stopped');
    const failed = await deployment(bad.id);
    expect(failed.reason).toMatch(/TIME_BUDGET_EXCEEDED/);
    await waitFor(
      async () => (await deployment(sma.id)).metrics.calls >= before + 3,
      20_000,
      'the good one goes on',
    );
    expect((await deployment(sma.id)).state).toBe('running');
  }, 60_000);

  it('pauses, resumes and stops a deployment', async () => {
    expect((await client().strategies.pause.mutate({ deploymentId: sma.id })).state).toBe('paused');
    await expectAppError(
      client().strategies.pause.mutate({ deploymentId: sma.id }),
      'STRATEGY_STATE_CONFLICT',
    );
    expect((await client().strategies.resume.mutate({ deploymentId: sma.id })).state).toBe('running');
  });

  it('backtests the same module on the stored candles, deterministically', async () => {
    const range = { from: startedAt - 60_000, to: Date.now() };
    // Both runs must see the same stored candles: the one open at `to` closes within a second, and the
    // persister commits a moment after (the worker now boots fast enough to read before that).
    await new Promise((r) => setTimeout(r, 2_500));
    const run = async () => {
      const queued = await client().backtests.run.mutate({
        strategyId: smaId,
        instruments: [{ venue: 'binance', symbol: 'BTC-USDT' }],
        interval: '1s',
        ...range,
        params: { fast: 2, slow: 3, quantity: 0.001 },
      });
      expect(queued.status).toBe('queued');
      await waitFor(
        async () => {
          const r = await client().backtests.get.query({ backtestId: queued.id });
          return r.backtest.status !== 'queued' && r.backtest.status !== 'running';
        },
        30_000,
        'the backtest to finish',
      );
      return client().backtests.get.query({ backtestId: queued.id });
    };
    const first = await run();
    expect(first.backtest.status, first.backtest.reason ?? '').toBe('completed');
    expect(first.backtest.progress).toBe(1);
    expect(first.backtest.metrics?.candles).toBeGreaterThan(3);
    expect(first.equity.length).toBeGreaterThan(3);
    const second = await run();
    expect(second.backtest.metrics).toEqual(first.backtest.metrics);
    expect(second.fills).toEqual(first.fills);
    expect(second.equity).toEqual(first.equity);
  }, 90_000);

  it('backtest and paper agree: the candles a deployment was given give the same orders in a backtest', async () => {
    const account = await client().paperAccounts.create.mutate({ name: 'agree' });
    await client().paperAccounts.deposit.mutate({ accountId: account.id, asset: 'USDT', amount: '10000' });
    const params = { fast: 2, slow: 3, quantity: 0.001 };
    const live = await client().strategies.deploy.mutate({
      strategyId: smaId,
      accountId: account.id,
      instruments: [{ venue: 'binance', symbol: 'BTC-USDT' }],
      interval: '1s',
      params,
    });
    const seen = t.engine.strategies.service.candlesSeen(live.id);
    if (!seen) throw new Error('the deployment is not running');
    await waitFor(
      async () => seen.count >= 15 && (await deployment(live.id)).metrics.orders >= 2,
      60_000,
      'candles and orders',
    );
    await client().strategies.stop.mutate({ deploymentId: live.id });
    const liveOrders = (await client().orders.list.query({ accountId: account.id, status: 'all' })).orders
      .sort((a, b) => a.createdAt - b.createdAt)
      .map((o) => `${o.side} ${o.quantity}`);
    // The persister commits a moment after the candle closed: wait until every candle the deployment was
    // given is stored (a fixed sleep raced the candle writer on a loaded machine).
    await waitFor(
      async () => {
        const [row] = await t.engine.api.db.$queryRaw<{ n: bigint }[]>`
          SELECT count(*) AS n FROM market_klines
          WHERE venue = 'binance' AND symbol = 'BTC-USDT' AND "interval" = '1s' AND closed
            AND open_time >= to_timestamp(${seen.first as number}::double precision / 1000)
            AND open_time <= to_timestamp(${seen.last as number}::double precision / 1000)`;
        return Number(row?.n ?? 0) >= seen.count;
      },
      30_000,
      'the candles the deployment saw, stored',
    );
    const queued = await client().backtests.run.mutate({
      strategyId: smaId,
      instruments: [{ venue: 'binance', symbol: 'BTC-USDT' }],
      interval: '1s',
      from: seen.first as number,
      to: (seen.last as number) + 1_000,
      params,
    });
    await waitFor(
      async () => {
        const s = (await client().backtests.get.query({ backtestId: queued.id })).backtest.status;
        return s !== 'queued' && s !== 'running';
      },
      30_000,
      'the backtest',
    );
    const replay = await client().backtests.get.query({ backtestId: queued.id });
    expect(replay.backtest.status, replay.backtest.reason ?? '').toBe('completed');
    expect(replay.backtest.metrics?.candles).toBe(seen.count);
    const replayed = replay.orders.map((o) => `${o.side} ${o.quantity}`);
    // The same decisions in the same order; an order placed on the very last candle is live-only (a
    // backtest has no later candle to submit it on).
    expect(liveOrders.length - replayed.length).toBeGreaterThanOrEqual(0);
    expect(liveOrders.length - replayed.length).toBeLessThanOrEqual(1);
    expect(liveOrders.slice(0, replayed.length)).toEqual(replayed);
  }, 120_000);

  it('backtests on the stored trades themselves (trades mode)', async () => {
    const queued = await client().backtests.run.mutate({
      strategyId: smaId,
      instruments: [{ venue: 'binance', symbol: 'BTC-USDT' }],
      interval: '1s',
      mode: 'trades',
      from: startedAt - 60_000,
      to: Date.now(),
      params: { fast: 2, slow: 3, quantity: 0.001 },
    });
    await waitFor(
      async () => {
        const s = (await client().backtests.get.query({ backtestId: queued.id })).backtest.status;
        return s !== 'queued' && s !== 'running';
      },
      30_000,
      'the trades backtest',
    );
    const r = await client().backtests.get.query({ backtestId: queued.id });
    expect(r.backtest.status, r.backtest.reason ?? '').toBe('completed');
    expect(r.backtest.metrics?.trades).toBeGreaterThan(50);
    expect(r.backtest.metrics?.candles).toBeGreaterThan(3);
  }, 60_000);

  it('refuses a backtest on a range with no stored data', async () => {
    await expectAppError(
      client().backtests.run.mutate({
        strategyId: smaId,
        instruments: [{ venue: 'binance', symbol: 'BTC-USDT' }],
        interval: '1s',
        from: 1_000,
        to: 2_000,
      }),
      'BACKTEST_NO_DATA',
    );
  });

  it("answers NOT_FOUND for another tenant's strategy, deployment and backtest ids", async () => {
    const other = t.client((await t.signUp('other')).token);
    const mine = await client().backtests.list.query();
    const otherAccount = await other.paperAccounts.create.mutate({ name: 'theirs' });
    await expectAppError(other.strategies.get.query({ strategyId: smaId }), 'NOT_FOUND');
    await expectAppError(other.strategies.deployment.query({ deploymentId: sma.id }), 'NOT_FOUND');
    await expectAppError(other.strategies.stop.mutate({ deploymentId: sma.id }), 'NOT_FOUND');
    await expectAppError(other.strategies.logs.query({ deploymentId: sma.id, limit: 5 }), 'NOT_FOUND');
    await expectAppError(
      other.strategies.deploy.mutate({
        strategyId: smaId,
        accountId: otherAccount.id,
        instruments: [{ venue: 'binance', symbol: 'BTC-USDT' }],
        interval: '1s',
      }),
      'NOT_FOUND',
    );
    await expectAppError(
      other.strategies.deploy.mutate({
        strategyId: (await other.strategies.createFromExample.mutate({ name: 'x', example: 'sma-crossover' }))
          .id,
        accountId,
        instruments: [{ venue: 'binance', symbol: 'BTC-USDT' }],
        interval: '1s',
      }),
      'NOT_FOUND',
    );
    const backtestId = mine[0]?.id as string;
    await expectAppError(other.backtests.get.query({ backtestId }), 'NOT_FOUND');
    await expectAppError(other.backtests.cancel.mutate({ backtestId }), 'NOT_FOUND');
    expect(await other.strategies.list.query()).toHaveLength(1);
    expect(await other.strategies.deployments.query()).toHaveLength(0);
  });

  it('stops a deployment for good', async () => {
    const stopped = await client().strategies.stop.mutate({ deploymentId: sma.id });
    expect(stopped.state).toBe('stopped');
    await expectAppError(
      client().strategies.resume.mutate({ deploymentId: sma.id }),
      'STRATEGY_STATE_CONFLICT',
    );
  });
});
