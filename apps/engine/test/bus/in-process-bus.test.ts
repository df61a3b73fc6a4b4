import { liveClock, ManualClock, type StreamSpec, streamNames, subjects, topics } from '@qt/shared';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { InProcessBus } from '../../src/bus/in-process-bus.ts';
import { streamSpecs } from '../../src/bus/streams.ts';
import { batch, busContract, settle, trade, tradeIdOf, waitFor } from './bus-contract.ts';

const logger = pino({ level: 'silent' });

busContract('in-process', async () => {
  const bus = new InProcessBus({ streams: streamSpecs, clock: liveClock, logger });
  return { bus, cleanup: () => bus.close() };
});

const small = (overrides: Partial<StreamSpec>): StreamSpec[] => [
  { ...(streamSpecs[0] as StreamSpec), name: streamNames.marketTrades, ...overrides },
];

describe('in-process bus: stream limits, as JetStream applies them', () => {
  const subject = subjects.marketTrades('binance', 'BTC-USDT');

  it('discard old: keeps the newest maxMsgs', async () => {
    const bus = new InProcessBus({ streams: small({ maxMsgs: 3 }), clock: liveClock, logger });
    for (let i = 0; i < 5; i++) await bus.publish(topics.marketTrades, subject, batch(trade()));
    expect(bus.streamInfo(streamNames.marketTrades)).toEqual({
      lastSeq: 5,
      firstSeq: 3,
      messages: 3,
      dropped: 2,
    });
  });

  it('discard new: refuses the publish when full', async () => {
    const bus = new InProcessBus({
      streams: small({ maxMsgs: 2, discard: 'new' }),
      clock: liveClock,
      logger,
    });
    await bus.publish(topics.marketTrades, subject, batch(trade()));
    await bus.publish(topics.marketTrades, subject, batch(trade()));
    await expect(bus.publish(topics.marketTrades, subject, batch(trade()))).rejects.toMatchObject({
      code: 'BUS_STREAM_FULL',
    });
  });

  it('expires messages by age and msgIds by the duplicate window, on the injected clock', async () => {
    const clock = new ManualClock(1_000_000);
    const bus = new InProcessBus({
      streams: small({ maxAgeMs: 60_000, duplicateWindowMs: 10_000 }),
      clock,
      logger,
    });
    const x = trade();
    expect((await bus.publish(topics.marketTrades, subject, batch(x), { msgId: 'id-1' })).duplicate).toBe(
      false,
    );
    clock.advance(9_999);
    expect((await bus.publish(topics.marketTrades, subject, batch(x), { msgId: 'id-1' })).duplicate).toBe(
      true,
    );
    clock.advance(1);
    expect((await bus.publish(topics.marketTrades, subject, batch(x), { msgId: 'id-1' })).duplicate).toBe(
      false,
    );
    clock.advance(60_001);
    await bus.publish(topics.marketTrades, subject, batch(trade()));
    expect(bus.streamInfo(streamNames.marketTrades).messages).toBe(1);
  });

  it('remembers at most as many msgIds as it retains messages, so a fast publisher cannot grow the heap', async () => {
    const bus = new InProcessBus({
      streams: streamSpecs,
      clock: liveClock,
      logger,
      retain: { maxMsgs: 3, maxBytes: 1 << 20 },
    });
    for (const id of ['a', 'b', 'c', 'd'])
      await bus.publish(topics.marketTrades, subject, batch(trade()), { msgId: id });
    expect((await bus.publish(topics.marketTrades, subject, batch(trade()), { msgId: 'd' })).duplicate).toBe(
      true,
    );
    expect((await bus.publish(topics.marketTrades, subject, batch(trade()), { msgId: 'a' })).duplicate).toBe(
      false,
    );
  });

  it('a durable consumer created with deliver "new" skips what is already stored', async () => {
    const bus = new InProcessBus({ streams: streamSpecs, clock: liveClock, logger });
    await bus.publish(topics.marketTrades, subject, batch(trade()));
    const got: string[] = [];
    const spec = {
      durable: 'only-new',
      stream: streamNames.marketTrades,
      filterSubject: 'market.trades.>',
      deliver: 'new' as const,
      ackWaitMs: 1_000,
      maxDeliver: 2,
      maxAckPending: 10,
    };
    await bus.consume(topics.marketTrades, spec, (m) => void got.push(tradeIdOf(m)));
    const fresh = trade();
    await bus.publish(topics.marketTrades, subject, batch(fresh));
    await waitFor(() => got.length === 1);
    await settle(50);
    expect(got).toEqual([fresh.tradeId]);
    await bus.close();
  });

  it('redelivers a message whose handler outlives the ack wait', async () => {
    const bus = new InProcessBus({ streams: streamSpecs, clock: liveClock, logger });
    const spec = {
      durable: 'slow',
      stream: streamNames.marketTrades,
      filterSubject: 'market.trades.>',
      deliver: 'all' as const,
      ackWaitMs: 50,
      maxDeliver: 3,
      maxAckPending: 10,
    };
    const attempts: number[] = [];
    await bus.consume(topics.marketTrades, spec, async (m) => {
      attempts.push(m.deliveryCount);
      if (m.deliveryCount === 1) await new Promise((r) => setTimeout(r, 200));
    });
    await bus.consume(topics.marketTrades, spec, async (m) => void attempts.push(m.deliveryCount));
    await bus.publish(topics.marketTrades, subject, batch(trade()));
    await waitFor(() => attempts.length === 2, 2_000);
    expect(attempts).toEqual([1, 2]);
    await bus.close();
  });

  it('a live subscriber that falls too far behind loses messages instead of growing the heap', async () => {
    const bus = new InProcessBus({
      streams: streamSpecs,
      clock: liveClock,
      logger,
      maxPendingPerSubscriber: 10,
    });
    let handled = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    await bus.subscribe(topics.marketTrades, 'market.trades.>', async () => {
      await gate;
      handled++;
    });
    for (let i = 0; i < 50; i++) await bus.publish(topics.marketTrades, subject, batch(trade()));
    release();
    await settle(50);
    // One message was already being handled when the queue filled; ten waited; the other 39 were dropped.
    expect(handled).toBe(11);
    expect(bus.health().slowConsumerDrops).toBe(39);
    await bus.close();
  });
});
