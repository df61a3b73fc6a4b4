import { subjects, topics } from '@qt/shared';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InProcessBus } from '../../src/bus/in-process-bus.ts';
import { RestartableEngine, waitFor } from './alert-engine-support.ts';

/**
 * On the in-process bus too, a trades batch is acknowledged once evaluated (the bus ends with the
 * process: holding it back until its commit saved nothing), so later batches are evaluated while a
 * commit is held; once the lock goes, each firing is stored once, in order.
 */
describe('alert commit pipeline (in-process bus)', () => {
  let e: RestartableEngine;

  beforeAll(async () => {
    e = await RestartableEngine.create({ natsUrl: undefined, marketSymbols: ['BTC-USDT', 'ZZI-USDT'] });
    await e.start();
  }, 120_000);
  afterAll(async () => {
    await e?.dispose();
  });

  // A day ahead in exchange time, 2 s apart (past the alerts' 1 s cooldown).
  let ts = Date.now() + 86_400_000;
  const publish = async (symbol: string, price: string) => {
    ts += 2_000;
    const tradeId = `${symbol}-${ts}`;
    await e.live.bus.publish(topics.marketTrades, subjects.marketTrades('binance', symbol), {
      venue: 'binance',
      symbol,
      trades: [
        {
          venue: 'binance',
          symbol,
          venueSymbol: symbol.replace('-', ''),
          tradeId,
          price,
          quantity: '1',
          takerSide: 'buy' as const,
          exchangeTime: ts,
          receiveTime: ts,
        },
      ],
    });
    return tradeId;
  };

  it('batches after a held commit are evaluated before it commits; then each is stored once, in order', async () => {
    expect(e.live.bus).toBeInstanceOf(InProcessBus);
    const ann = await e.signUp('pipeline-in-process');
    const c = e.client(ann.token);
    const symbol = 'ZZI-USDT';
    const alert = (name: string, op: 'crossesUp' | 'crossesDown') =>
      c.alerts.create.mutate({
        name,
        venue: 'binance',
        symbol,
        condition: { kind: 'price', op, value: '100' },
        trigger: { mode: 'every', cooldownMs: 1_000 },
      });
    const up = await alert('up', 'crossesUp');
    const down = await alert('down', 'crossesDown');
    const service = e.live.alerts.service;
    await publish(symbol, '90');
    await waitFor('the first trade evaluated', () =>
      service.uncommitted === 0 && service.stats.evaluated > 0 ? true : undefined,
    );

    // Another session holds a write lock on the firings table: every commit of a firing waits.
    const holder = new pg.Client({ connectionString: e.db.url });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE alert_firings IN EXCLUSIVE MODE');
    let released = false;
    try {
      const failures = service.stats.commitFailures;
      const t1 = await publish(symbol, '110');
      await waitFor('the commit held', () => (service.stats.commitFailures > failures ? true : undefined));
      const committed = service.stats.committed;
      const t2 = await publish(symbol, '90');
      const t3 = await publish(symbol, '110');
      // Evaluated (and acknowledged) while the first commit is held: the old code waited for it.
      await waitFor('later batches evaluated', () => (service.uncommitted >= 3 ? true : undefined));
      expect(service.stats.committed).toBe(committed);

      await holder.query('ROLLBACK');
      released = true;
      const expected = [`${up.id}:t:${t1}`, `${down.id}:t:${t2}`, `${up.id}:t:${t3}`];
      const stored = await waitFor('all three stored', async () => {
        const ids = (await c.alerts.history.query({ limit: 100 })).items.map((f) => f.id);
        return ids.length >= 3 ? ids : undefined;
      });
      expect([...stored].sort()).toEqual([...expected].sort());
    } finally {
      if (!released) await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end().catch(() => undefined);
    }
  }, 120_000);
});
