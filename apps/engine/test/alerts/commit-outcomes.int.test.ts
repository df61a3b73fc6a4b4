import { withClient } from '@qt/db/testing';
import { type AlertFiringView, subjects, topics } from '@qt/shared';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, RestartableEngine, waitFor } from './alert-engine-support.ts';

/**
 * What a batch's commit decides: in-app events follow the stored rows (published after the commit, for
 * the firings it created only), a locked or hung database is waited out (transient, retried, also across
 * a stop and a restart), and a firing the database refuses for good is dropped without holding the rest.
 * On NATS, with the market feed on: the restart replays the stream in order from the position the
 * stored state covers, so the batch left uncommitted at stop is evaluated again although the simulator's
 * newer batches keep coming (see replay-positions.ts). The test's markets are followed (alerts are
 * accepted on followed markets only) and its trades carry exchange times a day ahead, so the
 * simulator's trades on them (priced 1-100, never crossing the levels below) are late ones once ours
 * arrive.
 */
describe.skipIf(!process.env.NATS_URL)('alert commits and in-app events (NATS bus)', () => {
  let e: RestartableEngine;

  beforeAll(async () => {
    e = await RestartableEngine.create({
      natsUrl: process.env.NATS_URL,
      marketSymbols: ['BTC-USDT', 'ZZF-USDT', 'ZZR-USDT', 'ZZP-USDT', 'ZZI-USDT'],
    });
    await e.start();
    // An alert that never fires keeps every batch committing (with none active, batches write nothing).
    const keeper = await e.signUp('keeper');
    await e.client(keeper.token).alerts.create.mutate({
      name: 'never',
      venue: 'binance',
      symbol: 'ZZF-USDT',
      condition: { kind: 'price', op: 'above', value: '1000000000' },
      trigger: { mode: 'every', cooldownMs: 1_000 },
    });
  }, 120_000);
  afterAll(async () => {
    await e?.dispose();
  });

  let ts = Date.now() + 86_400_000;
  /** One bus message of trades on a market of the test's own (the simulator trades it too, late). */
  const publish = (symbol: string, prices: string[]) =>
    e.live.bus.publish(topics.marketTrades, subjects.marketTrades('binance', symbol), {
      venue: 'binance',
      symbol,
      trades: prices.map((price) => {
        ts += 1;
        return {
          venue: 'binance',
          symbol,
          venueSymbol: symbol.replace('-', ''),
          tradeId: `${symbol}-${ts}`,
          price,
          quantity: '1',
          takerSide: 'buy' as const,
          exchangeTime: ts,
          receiveTime: ts,
        };
      }),
    });

  /** The in-app stream of one tenant over the engine's WebSocket, once the server confirmed it. */
  async function watch(token: string) {
    const ws = e.wsClient(token);
    const live: AlertFiringView[] = [];
    let started = false;
    const sub = ws.client.alerts.onFired.subscribe(undefined, {
      onStarted: () => {
        started = true;
      },
      onData: (f) => live.push(f),
    });
    await waitFor('the subscription started', () => (started ? true : undefined));
    return {
      live,
      close: async () => {
        sub.unsubscribe();
        await ws.close();
      },
    };
  }

  const crossing = (c: Client, name: string, symbol: string) =>
    c.alerts.create.mutate({
      name,
      venue: 'binance',
      symbol,
      condition: { kind: 'price', op: 'crossesUp', value: '100' },
      trigger: { mode: 'once' },
    });

  /**
   * Two later messages committed one after the other: batches are committed in order, so whatever was
   * published before them (ours) is committed too (a group commit may merge ours with the first).
   */
  async function laterBatchesCommitted() {
    const service = e.live.alerts.service;
    for (let i = 0; i < 2; i++) {
      const from = service.stats.committed;
      await publish('ZZF-USDT', ['1']);
      await waitFor('a later batch committed', () => (service.stats.committed > from ? true : undefined));
    }
  }

  it('a stop during an outage and a restart: no in-app event before the row is stored, then exactly one', async () => {
    const fay = await e.signUp('outage-restart');
    const symbol = 'ZZR-USDT';
    const alert = await crossing(e.client(fay.token), 'through a restart', symbol);
    const first = await watch(fay.token);
    // The outage: another session holds a write lock on the firings table (reads still work); each
    // commit of a firing fails at its lock timeout (55P03, transient) and is retried in place.
    const holder = new pg.Client({ connectionString: e.db.url });
    await holder.connect();
    let second: Awaited<ReturnType<typeof watch>> | undefined;
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE alert_firings IN EXCLUSIVE MODE');
      const failures = e.live.alerts.service.stats.commitFailures;
      await publish(symbol, ['90', '110']);
      await waitFor('a commit failed on the lock', () =>
        e.live.alerts.service.stats.commitFailures > failures ? true : undefined,
      );
      await new Promise((r) => setTimeout(r, 500));
      // Nothing is shown for a firing that is not stored (it may never be: the batch can be dropped).
      expect(first.live.filter((f) => f.alertId === alert.id)).toEqual([]);
      await first.close();
      // Stopped while the lock is still held: the batch is not acknowledged; the stop does not hang.
      const t0 = performance.now();
      await e.stop();
      expect(performance.now() - t0).toBeLessThan(15_000);
      await e.start();
      second = await watch(fay.token);
      await holder.query('ROLLBACK');
      const stored = await waitFor(
        'the firing stored after the restart',
        async () => {
          const h = await e.client(fay.token).alerts.history.query({ alertId: alert.id });
          return h.items.length > 0 ? h.items : undefined;
        },
        90_000,
      );
      const shown = await waitFor('the in-app event after the restart', () =>
        second?.live.find((f) => f.alertId === alert.id),
      );
      expect(shown.id).toBe(`${alert.id}:once`);
      await laterBatchesCommitted();
      expect(stored.map((f) => f.id)).toEqual([`${alert.id}:once`]);
      // Exactly one in-app event per stored row, over both runs.
      const events = [...first.live, ...second.live].filter((f) => f.alertId === alert.id);
      expect(events.map((f) => f.id)).toEqual(stored.map((f) => f.id));
    } finally {
      await holder.end().catch(() => undefined);
      await second?.close();
    }
  }, 240_000);

  it('an alert paused straight in the database (as another engine would) shows no in-app event', async () => {
    const gus = await e.signUp('paused-elsewhere');
    const symbol = 'ZZP-USDT';
    const alert = await crossing(e.client(gus.token), 'paused elsewhere', symbol);
    const w = await watch(gus.token);
    try {
      // This engine still holds the alert in memory and fires it; the commit finds it paused.
      await withClient(e.db.url, (db) =>
        db.query(`UPDATE alerts SET state = 'paused' WHERE id = $1`, [alert.id]),
      );
      await publish(symbol, ['90', '110']);
      await laterBatchesCommitted();
      await new Promise((r) => setTimeout(r, 300));
      expect(w.live.filter((f) => f.alertId === alert.id)).toEqual([]);
      const h = await e.client(gus.token).alerts.history.query({ alertId: alert.id });
      expect(h.items).toEqual([]);
    } finally {
      await w.close();
    }
  }, 120_000);

  it('a firing the database refuses for good is dropped; the rest of its batch is stored and shown', async () => {
    const hal = await e.signUp('refused-firing');
    const symbol = 'ZZI-USDT';
    const c = e.client(hal.token);
    const good = await crossing(c, 'fine', symbol);
    const bad = await crossing(c, 'refused by a check', symbol);
    const w = await watch(hal.token);
    // The database refuses one of the two firings for good (23514, not transient).
    await withClient(e.db.url, (db) =>
      db.query(
        `ALTER TABLE alert_firings ADD CONSTRAINT test_refuse_firing CHECK (payload->>'alertName' <> 'refused by a check')`,
      ),
    );
    try {
      const service = e.live.alerts.service;
      const dropped = service.stats.firingsDropped;
      // Both fire on the same trade, in one batch, so one commit holds both.
      await publish(symbol, ['90', '110']);
      const stored = await waitFor('the good firing stored', async () => {
        const h = await c.alerts.history.query({});
        return h.items.length > 0 ? h.items : undefined;
      });
      expect(stored.map((f) => f.alertId)).toEqual([good.id]);
      expect(service.stats.firingsDropped).toBe(dropped + 1);
      // The batch was acknowledged: later batches commit.
      await laterBatchesCommitted();
      const shown = await waitFor('the good firing in-app', () => w.live.find((f) => f.alertId === good.id));
      expect(shown.id).toBe(`${good.id}:once`);
      expect(w.live.filter((f) => f.alertId === bad.id)).toEqual([]);
    } finally {
      await w.close();
      await withClient(e.db.url, (db) =>
        db.query('ALTER TABLE alert_firings DROP CONSTRAINT IF EXISTS test_refuse_firing'),
      );
    }
  }, 120_000);
});
