import { createTestDatabase, type TestDatabase } from '@qt/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../bus/bus-contract.ts';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';

/**
 * A deployment outlives the engine: stopped with the engine, it runs again when the next engine starts
 * on the same database (the sandbox is new: its state starts from qt_init, its orders and fills are in
 * the account). A backtest left running is marked failed with the reason instead of hanging as running.
 */
describe('strategies across an engine restart', () => {
  let db: TestDatabase;
  let first: TestEngine | undefined;
  let second: TestEngine | undefined;
  const market = {
    marketSource: 'simulator' as const,
    simulatorTradesPerSecond: 40,
    marketSymbols: ['BTC-USDT'],
  };

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await first?.stop().catch(() => undefined);
    await second?.stop().catch(() => undefined);
    await db?.drop();
  });

  it('restores a running deployment and keeps a stopped one stopped', async () => {
    first = await startTestEngine({ ...market, databaseUrl: db.url });
    const person = await first.signUp('restart');
    const client = first.client(person.token);
    const account = await client.paperAccounts.create.mutate({ name: 'restart' });
    await client.paperAccounts.deposit.mutate({ accountId: account.id, asset: 'USDT', amount: '100000' });
    const strategy = await client.strategies.createFromExample.mutate({
      name: 'sma',
      example: 'sma-crossover',
    });
    const deploy = (params: Record<string, number>) =>
      client.strategies.deploy.mutate({
        strategyId: strategy.id,
        accountId: account.id,
        instruments: [{ venue: 'binance', symbol: 'BTC-USDT' }],
        interval: '1s',
        params,
      });
    const running = await deploy({ fast: 2, slow: 3, quantity: 0.001 });
    const stopped = await deploy({ fast: 3, slow: 5, quantity: 0.001 });
    await client.strategies.stop.mutate({ deploymentId: stopped.id });
    await waitFor(
      async () => (await client.strategies.deployment.query({ deploymentId: running.id })).metrics.calls >= 2,
      20_000,
      'candles before the restart',
    );
    await first.stop();
    first = undefined;

    second = await startTestEngine({ ...market, databaseUrl: db.url });
    const again = second.client(await second.sessionToken(person.user.id, person.tenant.id));
    const restored = await again.strategies.deployment.query({ deploymentId: running.id });
    expect(restored.state).toBe('running');
    expect(restored.params).toEqual({ fast: 2, slow: 3, quantity: 0.001 });
    await waitFor(
      async () => (await again.strategies.deployment.query({ deploymentId: running.id })).metrics.calls >= 2,
      20_000,
      'candles after the restart',
    );
    expect((await again.strategies.deployment.query({ deploymentId: stopped.id })).state).toBe('stopped');
  }, 120_000);
});
