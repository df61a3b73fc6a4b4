import { randomBytes } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { AlertEvaluator, parseDeliveryConfig } from '@qt/alerts';
import { createTestDatabase, type TestDatabase } from '@qt/db/testing';
import { liveClock, streamNames, subjects, topics } from '@qt/shared';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertService, type FeedDeploymentHooks } from '../../src/alerts/alert-service.ts';
import { AlertStore } from '../../src/alerts/alert-store.ts';
import { namespace } from '../../src/bus/nats/namespace.ts';
import { NatsBus } from '../../src/bus/nats/nats-bus.ts';
import { streamSpecs } from '../../src/bus/streams.ts';
import { waitFor } from './alert-engine-support.ts';

/**
 * The alert engine's stored positions on NATS, through AlertService on the real database and server:
 * with no alert loaded the positions still move on (a restart starts at the live edge, not where the last
 * alert left them), and a replay at start repeats no side effect beyond the firings table.
 */
describe.skipIf(!process.env.NATS_URL)('alert positions and replays (NATS, PostgreSQL)', () => {
  let db: TestDatabase;
  let bus: NatsBus;
  let nc: NatsConnection;
  const ns = `qt_test_${randomBytes(4).toString('hex')}`;
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const emptyState = () => JSON.stringify(new AlertEvaluator().snapshot());

  beforeAll(async () => {
    db = await createTestDatabase();
    bus = await NatsBus.connect({
      url: process.env.NATS_URL as string,
      streams: streamSpecs.map((s) => ({ ...s, maxBytes: Math.min(s.maxBytes, 32 * 1024 * 1024) })),
      clock: liveClock,
      logger,
      name: 'replay-side-effects',
      namespace: ns,
    });
    nc = await connect({ servers: process.env.NATS_URL });
  }, 60_000);
  afterAll(async () => {
    await bus?.deleteStreams();
    await bus?.close();
    await nc?.close();
    await db?.drop();
  });

  const service = (evaluatorId: string, deployments?: FeedDeploymentHooks) =>
    new AlertService({
      db: db.prisma,
      bus,
      clock: liveClock,
      logger,
      evaluatorId,
      delivery: parseDeliveryConfig({}),
      snapshotEveryMs: 200,
      streamBounds: (stream) => bus.streamInfo(stream),
      ...(deployments ? { deployments } : {}),
    });

  let tradeNo = 0;
  const publishTrade = async () => {
    tradeNo++;
    const ts = Date.now();
    return (
      await bus.publish(topics.marketTrades, subjects.marketTrades('binance', 'ZZN-USDT'), {
        venue: 'binance',
        symbol: 'ZZN-USDT',
        trades: [
          {
            venue: 'binance',
            symbol: 'ZZN-USDT',
            venueSymbol: 'ZZNUSDT',
            tradeId: `n-${tradeNo}`,
            price: '10',
            quantity: '1',
            takerSide: 'buy' as const,
            exchangeTime: ts,
            receiveTime: ts,
          },
        ],
      })
    ).seq;
  };

  it('with no alert loaded, the positions move on: a restart starts at the live edge', async () => {
    const id = 'alerts:no-alerts';
    const durable = 'alerts-trades-alerts_no-alerts';
    const store = new AlertStore(db.prisma);
    // Where the last alert left the trades stream: a snapshot at the stream's first message.
    const first = await publishTrade();
    await store.writeSnapshot(id, emptyState(), {
      bus: 'nats',
      streams: { [streamNames.marketTrades]: first },
      committed: { [streamNames.marketTrades]: first },
    });
    let last = first;
    for (let i = 0; i < 20; i++) last = await publishTrade();

    const a = service(id);
    await a.start();
    try {
      // While trades flow, the snapshot cadence keeps the stored position up with the stream (a crash
      // replays at most one interval of it): past the 20 published before the start.
      const before = last;
      await waitFor('the stored position past the trades published before the start', async () => {
        last = await publishTrade();
        const snap = await store.loadSnapshot(id);
        return (snap?.positions.streams[streamNames.marketTrades] ?? 0) > before ? true : undefined;
      });
      for (let i = 0; i < 5; i++) last = await publishTrade();
      const jsm = await jetstreamManager(nc);
      await waitFor('every trade evaluated and acknowledged', async () => {
        const c = await jsm.consumers.info(namespace(ns).stream(streamNames.marketTrades), durable);
        return c.num_pending === 0 && c.num_ack_pending === 0 ? true : undefined;
      });
    } finally {
      await a.stop();
    }
    const b = service(id);
    await b.start();
    try {
      const jsm = await jetstreamManager(nc);
      const info = await jsm.consumers.info(namespace(ns).stream(streamNames.marketTrades), durable);
      // Right after the last message the first run evaluated, not after `first`.
      expect(info.config.opt_start_seq).toBe(last + 1);
      expect(info.num_pending).toBe(0);
      expect(b.stats.resumedAt).toBeGreaterThan(0);
    } finally {
      await b.stop();
    }
  }, 120_000);

  it('a replay at start does not run the stale-feed hooks again for messages already committed', async () => {
    const id = 'alerts:replay-hooks';
    const store = new AlertStore(db.prisma);
    const resumed: string[] = [];
    const paused: string[] = [];
    const hooks: FeedDeploymentHooks = {
      tradingOn: () => [],
      pauseForStaleFeed: async (_t, venue, symbol) => {
        paused.push(`${venue} ${symbol}`);
        return [];
      },
      resumeAfterStaleFeed: async (venue, symbol) => {
        resumed.push(`${venue} ${symbol}`);
        return [];
      },
    };
    const seqs: number[] = [];
    for (const symbol of ['ZZA-USDT', 'ZZB-USDT', 'ZZC-USDT', 'ZZD-USDT']) {
      const ack = await bus.publish(topics.marketQuality, subjects.marketQuality('okx', symbol), {
        kind: 'feedLive',
        id: `live:okx:${symbol}`,
        venue: 'okx',
        symbol,
        at: Date.now(),
      });
      seqs.push(ack.seq);
    }
    const [s1, , s3] = seqs as [number, number, number, number];
    // The state covers the first message; a previous run committed up to the third (then crashed).
    await store.writeSnapshot(id, emptyState(), {
      bus: 'nats',
      streams: { [streamNames.marketQuality]: s1 },
      committed: { [streamNames.marketQuality]: s1 },
    });
    await store.commitEvaluation(
      id,
      [],
      { bus: 'nats', streams: { [streamNames.marketQuality]: s3 } },
      60_000,
    );

    const s = service(id, hooks);
    await s.start();
    try {
      await waitFor('the message after the replay handled', () =>
        resumed.includes('okx ZZD-USDT') ? true : undefined,
      );
      // The second and third were evaluated again (the replay ran) but resumed nothing: the run that
      // committed them did, and the owner may have paused those deployments since.
      expect(resumed).toEqual(['okx ZZD-USDT']);
      expect(paused).toEqual([]);
      expect(s.stats.replayed).toBe(2);
    } finally {
      await s.stop();
    }
  }, 120_000);

  it('a stored position past the stream end (stream reset) is dropped: new messages are not skipped', async () => {
    const id = 'alerts:stream-reset';
    const store = new AlertStore(db.prisma);
    const end = await publishTrade();
    // As if the stream had been recreated since: the stored position lies far past its last message.
    await store.writeSnapshot(id, emptyState(), {
      bus: 'nats',
      streams: { [streamNames.marketTrades]: end + 1_000 },
      committed: { [streamNames.marketTrades]: end + 1_000 },
    });
    const s = service(id);
    await s.start();
    let next = 0;
    try {
      const jsm = await jetstreamManager(nc);
      const stream = namespace(ns).stream(streamNames.marketTrades);
      const info = await jsm.consumers.info(stream, 'alerts-trades-alerts_stream-reset');
      expect(info.config.deliver_policy).toBe('new');
      next = await publishTrade();
      await waitFor('the new trade acknowledged', async () => {
        const c = await jsm.consumers.info(stream, 'alerts-trades-alerts_stream-reset');
        return c.num_pending === 0 && c.num_ack_pending === 0 && c.delivered.stream_seq >= next
          ? true
          : undefined;
      });
      // Evaluated, not skipped as "at or before the stored position".
      expect(s.stats.skippedReplays).toBe(0);
    } finally {
      await s.stop();
    }
    expect((await store.loadSnapshot(id))?.positions.streams[streamNames.marketTrades]).toBe(next);
  }, 120_000);
});
