import { randomBytes } from 'node:crypto';
import { type BusMessage, type DataQualityMessage, liveClock, subjects, topics } from '@qt/shared';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { NatsBus } from '../../src/bus/nats/nats-bus.ts';
import { streamSpecs } from '../../src/bus/streams.ts';

const url = process.env.NATS_URL;

/**
 * A handler that holds its batch past the consumer's ack wait (the alert engine retrying a commit
 * through a database outage): the server sends the held messages again every ack wait. Those
 * redeliveries are dropped while the handler holds the originals, so the inbox never grows past
 * maxAckPending and the handler never sees a held message twice.
 */
describe.skipIf(!url)('NATS consumer: redeliveries of held messages', () => {
  const ns = `qt_t_${randomBytes(4).toString('hex')}`;
  let bus: NatsBus | undefined;
  afterAll(async () => {
    await bus?.deleteStreams();
    await bus?.close();
  });

  it('drops redeliveries of messages the handler still holds; the held batch is acknowledged once', async () => {
    bus = await NatsBus.connect({
      url: url as string,
      streams: streamSpecs.map((s) => ({ ...s, maxBytes: 32 * 1024 * 1024 })),
      clock: liveClock,
      logger: pino({ level: 'silent' }),
      name: `qt-test-${ns}`,
      namespace: ns,
    });
    const b = bus;
    const batches: number[][] = [];
    let release: (() => void) | undefined;
    const held = new Promise<void>((r) => {
      release = r;
    });
    const sub = await b.consumeBatch(
      topics.marketQuality,
      {
        durable: 'held',
        stream: 'MARKET_QUALITY',
        filterSubject: 'market.quality.>',
        deliver: 'all',
        ackWaitMs: 500,
        maxDeliver: -1,
        maxAckPending: 10,
      },
      { maxMessages: 10, maxWaitMs: 0 },
      async (msgs: BusMessage<DataQualityMessage>[]) => {
        batches.push(msgs.map((m) => m.seq));
        if (batches.length === 1) await held;
      },
    );
    try {
      for (let i = 0; i < 3; i++)
        await b.publish(topics.marketQuality, subjects.marketQuality('okx', 'BTC-USDT'), {
          kind: 'gapDetected',
          id: `gap-${i}`,
          venue: 'okx',
          symbol: 'BTC-USDT',
          at: Date.now(),
        });
      // Held across several ack waits: the server redelivers what the handler holds.
      const deadline = performance.now() + 30_000;
      while (b.redeliveriesDropped < 3 && performance.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      expect(b.redeliveriesDropped).toBeGreaterThanOrEqual(3);
      release?.();
      // Acknowledged by the held copies: nothing is pending and nothing was handed over again.
      const settled = performance.now() + 30_000;
      for (;;) {
        const lag = await b.consumerLag({
          durable: 'held',
          stream: 'MARKET_QUALITY',
          filterSubject: 'market.quality.>',
          deliver: 'all',
          ackWaitMs: 500,
          maxDeliver: -1,
          maxAckPending: 10,
        });
        if (lag.ackPending === 0 && lag.pending === 0) break;
        if (performance.now() > settled) throw new Error(`still pending: ${JSON.stringify(lag)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const seen = batches.flat();
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.length).toBe(3);
    } finally {
      release?.();
      await sub.unsubscribe();
    }
  }, 90_000);
});
