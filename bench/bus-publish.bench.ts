/**
 * The message bus: publish -> live subscriber delivery of normalised trades, for the in-process bus and
 * for NATS JetStream (when NATS_URL is set), each against a bare baseline measured in the same run.
 *
 *   npx tsx bench/bus-publish.bench.ts
 *
 * Load shape: a closed loop with WINDOW publishes in flight; a slot frees when the message reached the
 * subscriber's handler (and, on NATS, the publish was acknowledged). Latency is publish start -> handler
 * entry. With window 256 the figures are throughput under load (latency mostly queueing, Little's law);
 * with window 1 they are the unloaded round-trip latency.
 *
 * Baselines: for the in-process bus, a bare JSON.stringify + JSON.parse of the same trade (the encode and
 * decode it has to pay, since it copies payloads like a wire would); for NATS, bare core NATS
 * publish/subscribe of the trade's JSON bytes on a connection of the same kind (@nats-io/transport-node),
 * with the same window. A raw JetStream publish (no bus code) is measured beside them to separate what
 * JetStream costs from what the bus adds.
 */
import { randomBytes } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { type MessageBus, subjects, type Trade, topics } from '@qt/shared';
import { pino } from 'pino';
import { decodeMessage, encodeMessage } from '../apps/engine/src/bus/codec.ts';
import { InProcessBus } from '../apps/engine/src/bus/in-process-bus.ts';
import { NatsBus } from '../apps/engine/src/bus/nats/nats-bus.ts';
import { streamSpecs } from '../apps/engine/src/bus/streams.ts';
import {
  against,
  type BenchResult,
  benchRounds,
  benchSeconds,
  type Case,
  closedLoop,
  interleaved,
  report,
  table,
  warmupFor,
} from './lib/measure.ts';

const WINDOW = 256;
const SECONDS = benchSeconds(5);
const ROUNDS = benchRounds(2);
const logger = pino({ level: 'silent' });
const clock = { now: () => Date.now() };

const log = (line: string) => process.stdout.write(`${line}\n`);

let n = 0;
/** A normalised trade as a connector would publish it (apps/engine/test/bus/bus-contract.ts `trade()`). */
function trade(symbol = 'BTC-USDT'): Trade {
  n += 1;
  return {
    venue: 'binance',
    symbol,
    venueSymbol: symbol.replace('-', ''),
    tradeId: String(n),
    price: '64000.12',
    quantity: '0.015',
    takerSide: 'buy',
    exchangeTime: 1_700_000_000_000 + n,
    receiveTime: 1_700_000_000_001 + n,
  };
}

/** A bus message with one trade (the topic carries a symbol's trades that arrived together). */
function one(t: Trade) {
  return { venue: t.venue, symbol: t.symbol, trades: [t] };
}

/** Resolves each published trade's promise when its handler sees it, with the time it did. */
class Deliveries {
  readonly #pending = new Map<string, (at: number) => void>();
  unexpected = 0;

  expect(tradeId: string): Promise<number> {
    return new Promise((resolve) => this.#pending.set(tradeId, resolve));
  }

  delivered(tradeId: string): void {
    const at = performance.now();
    const resolve = this.#pending.get(tradeId);
    if (!resolve) {
      this.unexpected++;
      return;
    }
    this.#pending.delete(tradeId);
    resolve(at);
  }
}

/** Core NATS keeps order on one connection, so the k-th delivery answers the k-th publish. */
class FifoDeliveries {
  readonly #waiting: Array<(at: number) => void> = [];
  #head = 0;

  expect(): Promise<number> {
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  delivered(): void {
    const at = performance.now();
    const resolve = this.#waiting[this.#head++];
    if (this.#head > 4_096) {
      this.#waiting.splice(0, this.#head);
      this.#head = 0;
    }
    resolve?.(at);
  }
}

const deliveredAt = (at: number, t0: number) => at - t0;

function windowed(op: () => Promise<number>, window: number): Case['run'] {
  return (seconds, warmupSeconds) =>
    closedLoop(op, { seconds, warmupSeconds, concurrency: window, latencyOf: deliveredAt });
}

/**
 * publish -> handler through a MessageBus; the slot frees when both the ack and the delivery happened.
 * Each case publishes its own symbol and subscribes to exactly its subject, so cases never see each
 * other's messages.
 */
async function busCase(bus: MessageBus, name: string, window: number, symbol: string): Promise<Case> {
  const subject = subjects.marketTrades('binance', symbol);
  const deliveries = new Deliveries();
  await bus.subscribe(topics.marketTrades, subject, (m) =>
    deliveries.delivered((m.data.trades[0] as Trade).tradeId),
  );
  const op = async () => {
    const t = trade(symbol);
    const delivered = deliveries.expect(t.tradeId);
    const [, at] = await Promise.all([
      bus.publish(topics.marketTrades, subject, { venue: t.venue, symbol: t.symbol, trades: [t] }),
      delivered,
    ]);
    return at;
  };
  return { name, run: windowed(op, window) };
}

async function inProcess(seconds: number, rounds: number): Promise<BenchResult[]> {
  const bus = new InProcessBus({ streams: streamSpecs, clock, logger });
  try {
    const baseline: Case = {
      name: 'JSON stringify+parse',
      run: (s, w) =>
        closedLoop(async () => JSON.parse(JSON.stringify(one(trade()))) as unknown, {
          seconds: s,
          warmupSeconds: w,
          concurrency: 1,
        }),
    };
    const codec: Case = {
      name: 'bus codec round trip',
      run: (s, w) =>
        closedLoop(async () => decodeMessage(topics.marketTrades, encodeMessage(one(trade()))), {
          seconds: s,
          warmupSeconds: w,
          concurrency: 1,
        }),
    };
    const cases = [
      baseline,
      codec,
      await busCase(bus, `in-process bus, window ${WINDOW}`, WINDOW, 'BTC-USDT'),
      await busCase(bus, 'in-process bus, window 1', 1, 'ETH-USDT'),
    ];
    log(`in-process bus: ${seconds} s per case in ${rounds} interleaved rounds`);
    const measured = await interleaved(
      cases,
      { seconds, rounds, warmupSeconds: warmupFor(seconds, rounds) },
      log,
    );
    const [base, ...rest] = measured;
    if (!base) throw new Error('no baseline');
    const notes: Record<string, string> = {
      'JSON stringify+parse': 'one trade, JSON.stringify then JSON.parse, one at a time',
      'bus codec round trip':
        'encodeMessage + decodeMessage (adds UTF-8 encode/decode and the zod schema check)',
      [`in-process bus, window ${WINDOW}`]: `${WINDOW} publishes in flight; latency = publish start -> handler`,
      'in-process bus, window 1': 'one publish at a time: unloaded publish -> handler latency',
    };
    const out = [base, ...rest].map((c) => against(c, base, 'msg/s', notes[c.name]));
    for (const c of measured) c.histogram.destroy();
    return out;
  } finally {
    await bus.close();
  }
}

async function nats(url: string, seconds: number, rounds: number): Promise<BenchResult[]> {
  const ns = `qt_bench_${randomBytes(4).toString('hex')}`;
  // JetStream reserves max_bytes against the server's storage when a stream is created: keep it small.
  const streams = streamSpecs.map((s) => ({ ...s, maxBytes: 64 * 1024 * 1024 }));
  const bus = await NatsBus.connect({ url, streams, clock, logger, name: 'qt-bench-bus', namespace: ns });
  let nc: NatsConnection | undefined;
  try {
    nc = await connect({ servers: url.split(',').map((s) => s.trim()), name: 'qt-bench-raw' });
    const conn = nc;
    const js = jetstream(conn);
    // The bytes a bus publish puts on the wire for one trade (the baselines reuse one encoding).
    const bytes = encodeMessage(one(trade()));

    const coreCase = (window: number): Case => {
      const subject = `${ns}.core.w${window}`;
      const fifo = new FifoDeliveries();
      conn.subscribe(subject, { callback: () => fifo.delivered() });
      const op = () => {
        const delivered = fifo.expect();
        conn.publish(subject, bytes);
        return delivered;
      };
      return { name: `core NATS pub/sub, window ${window}`, run: windowed(op, window) };
    };

    // Same stream as the bus (its subjects are `${ns}.market.trades.>`), another subject.
    const rawJsSubject = `${ns}.market.trades.raw.BTC-USDT`;
    const rawFifo = new FifoDeliveries();
    conn.subscribe(rawJsSubject, { callback: () => rawFifo.delivered() });
    const rawJs: Case = {
      name: `raw JetStream publish, window ${WINDOW}`,
      run: windowed(async () => {
        const delivered = rawFifo.expect();
        const [, at] = await Promise.all([js.publish(rawJsSubject, bytes), delivered]);
        return at;
      }, WINDOW),
    };
    await conn.flush();

    const wide = [
      coreCase(WINDOW),
      rawJs,
      await busCase(bus, `NATS JetStream bus, window ${WINDOW}`, WINDOW, 'BTC-USDT'),
    ];
    const narrow = [coreCase(1), await busCase(bus, 'NATS JetStream bus, window 1', 1, 'ETH-USDT')];
    await conn.flush();

    log(`NATS (${conn.info?.version ?? '?'}): ${seconds} s per case in ${rounds} interleaved rounds`);
    const notes: Record<string, string> = {
      [`core NATS pub/sub, window ${WINDOW}`]: `bare core NATS, ${bytes.byteLength}-byte JSON, ${WINDOW} in flight`,
      [`raw JetStream publish, window ${WINDOW}`]:
        'js.publish of the same bytes to a file stream (stored + acked), core subscriber; no bus code',
      [`NATS JetStream bus, window ${WINDOW}`]:
        'NatsBus.publish (encode, Nats-Msg-Id, header, JetStream ack) -> NatsBus.subscribe handler (decode + zod)',
      'core NATS pub/sub, window 1': 'bare core NATS round trip, one at a time',
      'NATS JetStream bus, window 1': 'one publish at a time: unloaded publish -> handler latency',
    };
    const out: BenchResult[] = [];
    for (const group of [wide, narrow]) {
      const measured = await interleaved(
        group,
        { seconds, rounds, warmupSeconds: warmupFor(seconds, rounds) },
        log,
      );
      const [base, ...rest] = measured;
      if (!base) throw new Error('no baseline');
      out.push(...[base, ...rest].map((c) => against(c, base, 'msg/s', notes[c.name])));
      for (const c of measured) c.histogram.destroy();
    }
    const info = await bus.streamInfo(streams[0]?.name ?? 'MARKET_TRADES');
    log(`  stream ${ns}_${streams[0]?.name}: ${info.messages} messages kept (last seq ${info.lastSeq})`);
    return out;
  } finally {
    await bus.deleteStreams();
    await bus.close();
    await nc?.close();
  }
}

async function main(): Promise<void> {
  const results = await inProcess(SECONDS, ROUNDS);
  const url = process.env.NATS_URL;
  if (url) results.push(...(await nats(url, SECONDS, ROUNDS)));
  else
    log(
      'NATS_URL unset: skipping the NATS JetStream and core NATS cases (set NATS_URL=nats://127.0.0.1:4222)',
    );
  log('');
  log(table(results));
  for (const r of results)
    report({ ...r, bench: `bus-publish: ${r.bench}`, baseline_name: `bus-publish: ${r.baseline_name}` });
}

main().catch((err: unknown) => {
  process.stderr.write(
    `bus-publish bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  // Exit explicitly: a library's exit hook (embedded PostgreSQL) must not turn a failure into exit 0.
  process.exit(1);
});
