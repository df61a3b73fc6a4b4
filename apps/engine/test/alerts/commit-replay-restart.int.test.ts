import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { type AlertFiringView, streamNames, subjects, topics } from '@qt/shared';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namespace } from '../../src/bus/nats/namespace.ts';
import { type Client, RestartableEngine, waitFor } from './alert-engine-support.ts';

/**
 * The crash window on NATS: a batch whose commit fails at stop (the database refusing: another session
 * holds a lock on the firings table) while the market feed keeps publishing newer trades. Before the
 * fix, newer batches committed after the failed one (in the stopping run, and in the next run before the
 * redelivery arrived), and the redelivered batch then looked like a replay: its firings were lost. Now
 * the next start replays, in stream order, from the position the stored state covers: every expected
 * firing is stored and shown exactly once, including those that depend on the crossing state built by
 * firings committed before the outage.
 */
describe.skipIf(!process.env.NATS_URL)('alert commit failed at stop, with the market feed on (NATS)', () => {
  let e: RestartableEngine;
  let natsConn: NatsConnection;

  beforeAll(async () => {
    natsConn = await connect({ servers: process.env.NATS_URL });
    // The simulator trades every followed market throughout (20 trades/s): batches newer than ours keep
    // coming. The test's markets are followed too (alerts are accepted on followed markets only); the
    // test's own trades carry exchange times a day ahead, so the simulator's trades on them are late
    // ones to the evaluator (never evaluated) once the first of ours is seen.
    e = await RestartableEngine.create({
      natsUrl: process.env.NATS_URL,
      marketSymbols: ['BTC-USDT', 'ZZQ-USDT', 'ZZF-USDT'],
    });
    await e.start();
    // An alert that never fires keeps every batch committing (with none active, batches write nothing).
    const keeper = await e.signUp('replay-keeper');
    await e.client(keeper.token).alerts.create.mutate({
      name: 'never',
      venue: 'binance',
      symbol: 'BTC-USDT',
      condition: { kind: 'price', op: 'above', value: '1000000000' },
      trigger: { mode: 'every', cooldownMs: 1_000 },
    });
  }, 120_000);
  afterAll(async () => {
    await e?.dispose();
    await natsConn?.close();
  });

  // Trades 2 s apart in exchange time (past the 1 s cooldown of the `every` alerts below), a day ahead.
  let ts = Date.now() + 86_400_000;
  /** The test market's trade ids, in the order published. */
  const tradeIds: string[] = [];
  const publish = (symbol: string, prices: string[]) =>
    e.live.bus.publish(topics.marketTrades, subjects.marketTrades('binance', symbol), {
      venue: 'binance',
      symbol,
      trades: prices.map((price) => {
        ts += 2_000;
        const tradeId = `${symbol}-${ts}`;
        if (symbol === 'ZZQ-USDT') tradeIds.push(tradeId);
        return {
          venue: 'binance',
          symbol,
          venueSymbol: symbol.replace('-', ''),
          tradeId,
          price,
          quantity: '1',
          takerSide: 'buy' as const,
          exchangeTime: ts,
          receiveTime: ts,
        };
      }),
    });

  /** Two later messages committed one after the other: whatever was published before is committed. */
  async function laterBatchesCommitted() {
    const service = e.live.alerts.service;
    for (let i = 0; i < 2; i++) {
      const from = service.stats.committed;
      await publish('ZZF-USDT', ['1']);
      await waitFor('a later batch committed', () => (service.stats.committed > from ? true : undefined));
    }
  }

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

  const everyCrossing = (c: Client, name: string, symbol: string, op: 'crossesUp' | 'crossesDown') =>
    c.alerts.create.mutate({
      name,
      venue: 'binance',
      symbol,
      condition: { kind: 'price', op, value: '100' },
      trigger: { mode: 'every', cooldownMs: 1_000 },
    });

  /** Through the engine running now (a restart serves on another port). */
  const storedIds = async (token: string, alertId: string) =>
    (await e.client(token).alerts.history.query({ alertId })).items.map((f) => f.id).sort();

  it('the failed batch is replayed after the restart: each firing stored and shown exactly once', async () => {
    const ivy = await e.signUp('replay-restart');
    const c = e.client(ivy.token);
    const symbol = 'ZZQ-USDT';
    // Our first trade on the market, evaluated before the alerts exist: later simulator trades are late.
    await publish(symbol, ['90']);
    await laterBatchesCommitted();
    const up = await everyCrossing(c, 'up through 100', symbol, 'crossesUp');
    const down = await everyCrossing(c, 'down through 100', symbol, 'crossesDown');
    // A state captured after the alerts exist (two stored since: the first may have been captured before).
    // The restart replays from the last one; a replay from before the alerts existed would evaluate them
    // over trades they never saw live (the simulator's, then our first).
    const snapshots = e.live.alerts.service.stats.snapshots;
    await waitFor('two snapshots stored', () =>
      e.live.alerts.service.stats.snapshots >= snapshots + 2 ? true : undefined,
    );
    const first = await watch(ivy.token);
    const holder = new pg.Client({ connectionString: e.db.url });
    await holder.connect();
    let second: Awaited<ReturnType<typeof watch>> | undefined;
    try {
      // Committed before the outage: the up-crossing at 110, which the down-crossing below depends on.
      await publish(symbol, ['90', '110']);
      const firstUp = `${up.id}:t:${tradeIds[2]}`;
      await waitFor('the first up-crossing stored', async () =>
        (await storedIds(ivy.token, up.id)).includes(firstUp) ? true : undefined,
      );
      await waitFor('the first up-crossing shown', () =>
        first.live.some((f) => f.id === firstUp) ? true : undefined,
      );

      await holder.query('BEGIN');
      await holder.query('LOCK TABLE alert_firings IN EXCLUSIVE MODE');
      const service = e.live.alerts.service;
      const failures = service.stats.commitFailures;
      const failedSeq = (await publish(symbol, ['90'])).seq;
      await waitFor('a commit failed on the lock', () =>
        service.stats.commitFailures > failures ? true : undefined,
      );
      await publish(symbol, ['110']);
      // Newer market batches pile up behind the failing one meanwhile (the feed is on).
      await new Promise((r) => setTimeout(r, 1_000));
      const downId = `${down.id}:t:${tradeIds[3]}`;
      const secondUp = `${up.id}:t:${tradeIds[4]}`;
      await first.close();

      await e.stop();
      await e.start();
      // The replay path ran: the trades consumer was recreated at a stored position at or before the
      // failed batch (not at the live edge, nor left to the server's redelivery).
      expect(e.live.alerts.service.stats.resumedAt).toBeGreaterThan(0);
      const jsm = await jetstreamManager(natsConn);
      const consumer = await jsm.consumers.info(
        namespace(e.namespace).stream(streamNames.marketTrades),
        'alerts-trades-alerts_alerts-test',
      );
      expect(consumer.config.deliver_policy).toBe('by_start_sequence');
      expect(consumer.config.opt_start_seq).toBeLessThanOrEqual(failedSeq);
      second = await watch(ivy.token);
      await holder.query('ROLLBACK');

      await waitFor(
        'the firings of the failed batch and the one after it stored',
        async () => {
          const ups = await storedIds(ivy.token, up.id);
          const downs = await storedIds(ivy.token, down.id);
          return ups.length >= 2 && downs.length >= 1 ? true : undefined;
        },
        90_000,
      );
      // Later batches (the feed's and ours) commit past them: nothing else comes of the replay.
      await laterBatchesCommitted();
      expect(await storedIds(ivy.token, up.id)).toEqual([firstUp, secondUp].sort());
      expect(await storedIds(ivy.token, down.id)).toEqual([downId]);
      const shown = await waitFor('the in-app events after the restart', () =>
        (second?.live.length ?? 0) >= 2 ? second?.live : undefined,
      );
      expect(shown.map((f) => f.id).sort()).toEqual([downId, secondUp].sort());
      // Exactly one in-app event per stored row over both runs (the replayed first crossing is not
      // shown again).
      const events = [...first.live, ...second.live].map((f) => f.id).sort();
      expect(events).toEqual([firstUp, secondUp, downId].sort());
    } finally {
      await holder.end().catch(() => undefined);
      await second?.close();
    }
  }, 240_000);
});
