import { randomUUID } from 'node:crypto';
import {
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
import { decodeMessage, encodeMessage, redeliveryDelayMs } from './codec.ts';
import { OrderedQueue } from './ordered-queue.ts';
import { type StoredMessage, StreamStore } from './stream-store.ts';
import { checkPattern, checkPublishSubject } from './subject-guard.ts';

export interface InProcessBusOptions {
  streams: readonly StreamSpec[];
  clock: Clock;
  logger: Logger;
  /** Upper bound on what each stream keeps in memory, whatever its declared limits. */
  retain?: { maxMsgs: number; maxBytes: number };
  /** Live subscribers further behind than this lose messages (counted), like a NATS slow consumer. */
  maxPendingPerSubscriber?: number;
}

interface Delivery {
  msg: StoredMessage;
  deliveryCount: number;
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
    const payload = encodeMessage(data);
    const ack = stream.append(subject, payload, opts?.msgId ?? randomUUID());
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

  async consume<T>(topic: Topic<T>, spec: ConsumerSpec, handler: MessageHandler<T>): Promise<Subscription> {
    if (this.#closed) throw new BusError('BUS_CLOSED', 'the bus is closed');
    if (spec.stream !== topic.stream)
      throw new BusError(
        'BUS_UNKNOWN_STREAM',
        `consumer ${spec.durable} is on ${spec.stream}, topic ${topic.name} is on ${topic.stream}`,
      );
    checkPattern(topic, spec.filterSubject);
    const stream = this.#stream(spec.stream);
    const key = `${spec.stream}/${spec.durable}`;
    let consumer = this.#consumers.get(key);
    if (!consumer) {
      consumer = new DurableConsumer(spec, stream);
      this.#consumers.set(key, consumer);
    } else {
      consumer.spec = spec; // created or updated at start, as on JetStream
    }
    const worker = new ConsumerWorker(consumer, async (d) => {
      const msg = this.#toMessage(topic, d.msg, d.deliveryCount, d.msg.seq);
      if (!msg) return 'term';
      try {
        await handler(msg);
        return 'ack';
      } catch (err) {
        const c = consumer as DurableConsumer;
        if (d.deliveryCount >= c.spec.maxDeliver) {
          this.rejected++;
          this.#logger.error(
            { err: errText(err), subject: d.msg.subject, seq: d.msg.seq, consumer: spec.durable },
            'message given up after max deliveries',
          );
          return 'term';
        }
        this.#logger.warn(
          { err: errText(err), subject: d.msg.subject, attempt: d.deliveryCount, consumer: spec.durable },
          'handler failed; will redeliver',
        );
        return 'nak';
      }
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
    const decoded = decodeMessage(topic, m.payload);
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

/** A durable consumer's position and pending redeliveries, shared by all its workers. */
class DurableConsumer {
  nextSeq: number;
  readonly ready: Delivery[] = [];
  inflight = 0;
  readonly #timers = new Set<NodeJS.Timeout>();
  #waiters: Array<() => void> = [];

  constructor(
    public spec: ConsumerSpec,
    readonly stream: StreamStore,
  ) {
    this.nextSeq = spec.deliver === 'all' ? stream.firstSeq : stream.lastSeq + 1;
  }

  take(): Delivery | undefined {
    if (this.inflight >= this.spec.maxAckPending) return undefined;
    const again = this.ready.shift();
    if (again) return again;
    if (this.nextSeq < this.stream.firstSeq) this.nextSeq = this.stream.firstSeq; // evicted by limits
    while (this.nextSeq <= this.stream.lastSeq) {
      const msg = this.stream.get(this.nextSeq++);
      if (msg && subjectMatches(this.spec.filterSubject, msg.subject)) return { msg, deliveryCount: 1 };
    }
    return undefined;
  }

  redeliverLater(d: Delivery, delayMs: number): void {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      this.ready.push({ msg: d.msg, deliveryCount: d.deliveryCount + 1 });
      this.wake();
    }, delayMs);
    this.#timers.add(t);
  }

  waitForWork(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  dispose(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.wake();
  }
}

/** One subscriber of a durable consumer: takes a message, runs the handler, acks or asks again. */
class ConsumerWorker {
  #stopped = false;
  #loop: Promise<void> | undefined;

  constructor(
    private readonly consumer: DurableConsumer,
    private readonly handle: (d: Delivery) => Promise<'ack' | 'nak' | 'term'>,
  ) {}

  start(): void {
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.consumer.wake();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const c = this.consumer;
    while (!this.#stopped) {
      const d = c.take();
      if (!d) {
        await c.waitForWork();
        continue;
      }
      c.inflight++;
      // Ack wait: a handler still running after ackWaitMs is presumed lost and the message goes to
      // another worker, as JetStream would do; a late result of the first attempt is then ignored.
      let expired = false;
      const ackTimer = setTimeout(() => {
        expired = true;
        c.redeliverLater(d, 0);
      }, c.spec.ackWaitMs);
      try {
        const outcome = await this.handle(d);
        if (!expired && outcome === 'nak')
          c.redeliverLater(d, redeliveryDelayMs(d.deliveryCount, c.spec.ackWaitMs));
      } finally {
        clearTimeout(ackTimer);
        c.inflight--;
        c.wake();
      }
    }
  }
}
