import { randomBytes } from 'node:crypto';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { ConsumerSpec } from '@qt/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { positionOnStream } from '../../src/alerts/replay-positions.ts';
import { ensureConsumer } from '../../src/bus/nats/ensure-streams.ts';
import { namespace } from '../../src/bus/nats/namespace.ts';

/**
 * What the alert engine's replay rests on (replay-positions.ts): a durable consumer given `startSeq`
 * delivers from that stream sequence, also when it existed already with acknowledgements past it.
 */
describe.skipIf(!process.env.NATS_URL)('durable consumer started at a stream sequence (NATS)', () => {
  let nc: NatsConnection;
  const ns = namespace(`qt_test_${randomBytes(4).toString('hex')}`);
  const stream = ns.stream('STARTSEQ');

  beforeAll(async () => {
    nc = await connect({ servers: process.env.NATS_URL });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: stream, subjects: [ns.subject('startseq.>')] });
    for (let i = 1; i <= 10; i++) nc.publish(ns.subject(`startseq.m${i}`), String(i));
    await nc.flush();
  });
  afterAll(async () => {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(stream).catch(() => false);
    await nc.close();
  });

  const spec = (startSeq?: number): ConsumerSpec => ({
    durable: 'replayer',
    stream: 'STARTSEQ',
    filterSubject: 'startseq.>',
    deliver: 'new',
    ackWaitMs: 30_000,
    maxDeliver: -1,
    maxAckPending: 100,
    ...(startSeq !== undefined ? { startSeq } : {}),
  });

  it('delivers from the given sequence, in order, and is recreated when it already exists', async () => {
    const jsm = await jetstreamManager(nc);
    await ensureConsumer(jsm, spec(), ns);
    // `deliver: 'new'`: nothing stored is pending.
    expect((await jsm.consumers.info(stream, 'replayer')).num_pending).toBe(0);

    await ensureConsumer(jsm, spec(4), ns);
    const info = await jsm.consumers.info(stream, 'replayer');
    expect(info.config.deliver_policy).toBe('by_start_sequence');
    expect(info.config.opt_start_seq).toBe(4);
    expect(info.num_pending).toBe(7);

    // Read and acknowledge everything, then start again from 9: the acknowledgements do not hold it back.
    const js = jetstream(nc);
    const consumer = await js.consumers.get(stream, 'replayer');
    const seen: number[] = [];
    const batch = await consumer.fetch({ max_messages: 7, expires: 5_000 });
    for await (const m of batch) {
      seen.push(m.seq);
      m.ack();
    }
    expect(seen).toEqual([4, 5, 6, 7, 8, 9, 10]);
    await ensureConsumer(jsm, spec(9), ns);
    expect((await jsm.consumers.info(stream, 'replayer')).num_pending).toBe(2);
  }, 60_000);

  /** The stream's range as the alert engine reads it at start. */
  const bounds = async () => {
    const info = await (await jetstreamManager(nc)).streams.info(stream);
    return { firstSeq: info.state.first_seq, lastSeq: info.state.last_seq };
  };

  it('a stored position below the first kept message counts the messages lost; past the last: reset', async () => {
    const jsm = await jetstreamManager(nc);
    // Limits trimmed the stream: 3 of the 10 kept (8..10). A position at 5 lost 6 and 7.
    await jsm.streams.purge(stream, { keep: 3 });
    expect(await bounds()).toEqual({ firstSeq: 8, lastSeq: 10 });
    expect(positionOnStream(5, 5, await bounds())).toEqual({ kind: 'trimmed', lost: 2 });
    expect(positionOnStream(7, 9, await bounds())).toEqual({ kind: 'ok' });
    expect(positionOnStream(10, 10, await bounds())).toEqual({ kind: 'ok' });

    // The stream deleted and recreated (or purged to nothing and refilled): sequences start over.
    await jsm.streams.delete(stream);
    await jsm.streams.add({ name: stream, subjects: [ns.subject('startseq.>')] });
    for (let i = 1; i <= 3; i++) nc.publish(ns.subject(`startseq.n${i}`), String(i));
    await nc.flush();
    await waitForLast(3);
    // Why a reset must drop the position: the server starts such a consumer at the stream's end, and an
    // engine keeping position 9 would then skip new messages 4..9 as already evaluated.
    await ensureConsumer(jsm, spec(10), ns);
    expect((await jsm.consumers.info(stream, 'replayer')).num_pending).toBe(0);
    expect(positionOnStream(9, 9, await bounds())).toEqual({ kind: 'reset' });
    // Committed past the end, with the state's own position still inside: also a reset.
    expect(positionOnStream(2, 9, await bounds())).toEqual({ kind: 'reset' });
    expect(positionOnStream(2, 3, await bounds())).toEqual({ kind: 'ok' });
  }, 60_000);

  async function waitForLast(seq: number) {
    for (let i = 0; i < 100; i++) {
      if ((await bounds()).lastSeq >= seq) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`stream never reached sequence ${seq}`);
  }
});
