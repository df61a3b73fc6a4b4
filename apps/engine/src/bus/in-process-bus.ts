import { randomUUID } from 'node:crypto';
import {
  type BatchHandler,
  type BatchOptions,
  BusError,
  type BusHealth,
  type BusMessage,
  type Clock,
  type ConsumerSpec,
  type MessageBus,
  type MessageHandler,
  type PublishAck,
  type PublishOptions,
  type StreamSpec,
  type Subscription,
  subjectMatches,
  type Topic,
} from '@qt/shared';
import type { Logger } from '../observability/logger.ts';
import { decodeJson, encodeText } from './codec.ts';
import { ConsumerWorker, type Delivery, DurableConsumer } from './durable-consumer.ts';
import { OrderedQueue } from './ordered-queue.ts';
import { type Settler, settleBatch } from './settle-batch.ts';
import { type StoredMessage, StreamStore } from './stream-store.ts';
import { checkConsumer, checkPattern, checkPublishSubject } from './subject-guard.ts';

export interface InProcessBusOptions {
  streams: readonly StreamSpec[];
  clock: Clock;
  logger: Logger;
  /** Upper bound on what each stream keeps in memory, whatever its declared limits. */
  retain?: { maxMsgs: number; maxBytes: number };
  /** Live subscribers further behind than this lose messages (counted), like a NATS slow consumer. */
  maxPendingPerSubscriber?: number;
}

/**
 * The bus when no NATS_URL is set: same interface, same semantics as the JetStream bus (streams with
 * limits, msgId deduplication, durable consumers with ack-after-handler, redelivery with backoff,
 * max deliveries, ack-wait expiry, schema checks on receipt), inside one process. Payloads are
 * encoded and decoded like on the wire so a handler can never mutate another's message.
 */
export class InProcessBus implements MessageBus {
  readonly kind = 'in-process' as const;
  readonly #streams = new Map<string, StreamStore>();
  readonly #consumers = new Map<string, DurableConsumer>();
  readonly #live = new Set<{ pattern: string; queue: OrderedQueue<StoredMessage> }>();
  readonly #workers = new Set<ConsumerWorker>();
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #maxPending: number;
  #closed = false;
  /** Default msgIds: unique per bus instance, cheaper than a UUID per publish. */
  readonly #idPrefix = `${randomUUID()}:`;
  #idSeq = 0;
  rejected = 0;
  slowConsumerDrops = 0;

  constructor(opts: InProcessBusOptions) {
    this.#clock = opts.clock;
    this.#logger = opts.logger;
    this.#maxPending = opts.maxPendingPerSubscriber ?? 65_536;
    const retain = opts.retain ?? { maxMsgs: 200_000, maxBytes: 256 * 1024 * 1024 };
    for (const spec of opts.streams) this.#streams.set(spec.name, new StreamStore(spec, opts.clock, retain));
  }

  async publish<T>(topic: Topic<T>, subject: string, data: T, opts?: PublishOptions): Promise<PublishAck> {
    if (this.#closed) throw new BusError('BUS_CLOSED', 'the bus is closed');
    checkPublishSubject(topic, subject);
    const stream = this.#stream(topic.stream);
    const payload = encodeText(topic, data);
    const ack = stream.append(subject, payload, opts?.msgId ?? `${this.#idPrefix}${++this.#idSeq}`);
    if (ack.duplicate) return ack;
    const stored = stream.get(ack.seq) as StoredMessage;
    for (const sub of this.#live) if (subjectMatches(sub.pattern, subject)) sub.queue.push(stored);
    for (const c of this.#consumers.values()) if (c.stream === stream) c.wake();
    return ack;
  }

  async subscribe<T>(topic: Topic<T>, pattern: string, handler: MessageHandler<T>): Promise<Subscription> {
    if (this.#closed) throw new BusError('BUS_CLOSED', 'the bus is closed');
    checkPattern(topic, pattern);
    const queue = new OrderedQueue<StoredMessage>(
      this.#maxPending,
      async (m) => {
        const msg = this.#toMessage(topic, m, 1, 0);
        if (!msg) return;
        try {
          await handler(msg);
        } catch (err) {
          // Live fan-out is at-most-once (as core NATS): a failed handler is logged, not retried.
          this.#logger.warn({ err: errText(err), subject: m.subject }, 'live subscriber failed');
        }
      },
      () => this.slowConsumerDrops++,
    );
    const sub = { pattern, queue };
    this.#live.add(sub);
    return {
      unsubscribe: async () => {
        this.#live.delete(sub);
        await queue.stop();
      },
    };
  }

  consume<T>(topic: Topic<T>, spec: ConsumerSpec, handler: MessageHandler<T>): Promise<Subscription> {
    return this.consumeBatch(topic, spec, { maxMessages: 1, maxWaitMs: 0 }, (msgs) =>
      handler(msgs[0] as BusMessage<T>),
    );
  }

  async consumeBatch<T>(
    topic: Topic<T>,
    spec: ConsumerSpec,
    batch: BatchOptions,
    handler: BatchHandler<T>,
  ): Promise<Subscription> {
    if (this.#closed) throw new BusError('BUS_CLOSED', 'the bus is closed');
    checkConsumer(topic, spec);
    const stream = this.#stream(spec.stream);
    const key = `${spec.stream}/${spec.durable}`;
    let consumer = this.#consumers.get(key);
    if (!consumer) {
      consumer = new DurableConsumer(spec, stream);
      this.#consumers.set(key, consumer);
    } else {
      consumer.spec = spec; // created or updated at start, as on JetStream
    }
    const c = consumer;
    const settler: Settler<Delivery> = {
      ack: (d) => {
        d.settled = true;
      },
      term: (d) => {
        d.settled = true;
      },
      nak: (d, delayMs) => {
        if (d.settled) return;
        d.settled = true;
        c.redeliverLater(d, delayMs);
      },
      deliveryCount: (d) => d.deliveryCount,
      decode: (d) => this.#toMessage(topic, d.msg, d.deliveryCount, d.msg.seq),
    };
    const worker = new ConsumerWorker(c, batch, async (deliveries) => {
      // A delivery whose ack wait expired was already handed to another worker.
      const live = deliveries.filter((d) => !d.settled);
      await settleBatch(live, c.spec, handler, settler, this.#logger, () => this.rejected++);
    });
    this.#workers.add(worker);
    worker.start();
    return {
      unsubscribe: async () => {
        this.#workers.delete(worker);
        await worker.stop();
      },
    };
  }

  health(): BusHealth {
    return {
      kind: this.kind,
      connected: !this.#closed,
      rejected: this.rejected,
      slowConsumerDrops: this.slowConsumerDrops,
      reconnects: 0,
    };
  }

  /** Stream state for tests and metrics. */
  streamInfo(name: string): { lastSeq: number; firstSeq: number; messages: number; dropped: number } {
    const s = this.#stream(name);
    return { lastSeq: s.lastSeq, firstSeq: s.firstSeq, messages: s.size, dropped: s.evicted };
  }

  /**
   * Shutdown, before the consumers stop: this bus lives in memory, so what its subscribers have not
   * handled when the process exits is gone (NATS would keep it for the next start). Waits until every
   * live subscriber's inbox is empty and every durable consumer with a subscriber has settled everything
   * stored, or until the deadline. True when drained.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    const drained = () => {
      for (const sub of this.#live) if (!sub.queue.idle) return false;
      for (const w of this.#workers) if (!w.consumer.caughtUp()) return false;
      return true;
    };
    while (!drained()) {
      if (this.#closed || performance.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 10));
    }
    return true;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#live].map((s) => s.queue.stop()));
    await Promise.all([...this.#workers].map((w) => w.stop()));
    this.#live.clear();
    this.#workers.clear();
    for (const c of this.#consumers.values()) c.dispose();
  }

  #stream(name: string): StreamStore {
    const s = this.#streams.get(name);
    if (!s) throw new BusError('BUS_UNKNOWN_STREAM', `no stream ${name} is declared`);
    return s;
  }

  #toMessage<T>(
    topic: Topic<T>,
    m: StoredMessage,
    deliveryCount: number,
    seq: number,
  ): BusMessage<T> | undefined {
    // A message already found invalid is dropped without parsing; a valid one is not checked again.
    const decoded =
      m.valid === false
        ? ({ ok: false, reason: 'failed its topic schema' } as const)
        : decodeJson(topic, m.payload, m.valid === undefined);
    m.valid = decoded.ok;
    if (!decoded.ok) {
      this.rejected++;
      this.#logger.warn(
        { subject: m.subject, reason: decoded.reason },
        'message rejected by its topic schema',
      );
      return undefined;
    }
    return {
      subject: m.subject,
      data: decoded.data,
      msgId: m.msgId,
      seq,
      deliveryCount,
      timestamp: m.timestamp,
    };
  }
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
