import { randomUUID } from 'node:crypto';
import {
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import { connect, headers, type Msg, type NatsConnection } from '@nats-io/transport-node';
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
  type Topic,
} from '@qt/shared';
import type { Logger } from '../../observability/logger.ts';
import { decodeMessage, encodeTopicMessage } from '../codec.ts';
import { Inbox } from '../inbox.ts';
import { OrderedQueue } from '../ordered-queue.ts';
import { type Settler, settleBatch } from '../settle-batch.ts';
import { checkConsumer, checkPattern, checkPublishSubject } from '../subject-guard.ts';
import { ensureConsumer, ensureStreams, MIN_SERVER_VERSION, versionAtLeast } from './ensure-streams.ts';
import { type Namespace, namespace } from './namespace.ts';
import { PublishAcks } from './publish-acks.ts';

/** The publisher's clock at publish time; the in-process bus stamps the same way, so both agree. */
const PUBLISHED_AT = 'Qt-Published-At';
/** JetStream's de-duplication header (what `js.publish`'s msgID option sets). */
const MSG_ID = 'Nats-Msg-Id';

export interface NatsBusOptions {
  /** One URL or a comma-separated list (the client fails over between them). */
  url: string;
  streams: readonly StreamSpec[];
  clock: Clock;
  logger: Logger;
  /** Connection name seen in the server's monitoring. */
  name: string;
  namespace?: string;
  streamReplicas?: number;
  maxPendingPerSubscriber?: number;
  publishTimeoutMs?: number;
}

/**
 * The bus on NATS JetStream (nats.js v3). Streams are created or updated at connect; publishes carry
 * `Nats-Msg-Id` for the stream's duplicate window, and their acknowledgements come back on one reply
 * subscription (publish-acks.ts); durable consumers are pull consumers with explicit
 * acks, acknowledged after the handler returns, negatively acknowledged with a backoff when it throws;
 * live subscriptions are core NATS subscriptions (a JetStream publish also reaches them), which is
 * cheap enough for one per browser tab.
 */
export class NatsBus implements MessageBus {
  readonly kind = 'nats' as const;
  #connected = true;
  #closed = false;
  #detail: string | undefined;
  rejected = 0;
  slowConsumerDrops = 0;
  /** Redeliveries of a message a consumer's handler still held, dropped (see consumeBatch). */
  redeliveriesDropped = 0;
  reconnects = 0;
  readonly #subs = new Set<Subscription>();
  readonly #specs: Map<string, StreamSpec>;
  readonly #acks: PublishAcks;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly ns: Namespace,
    private readonly opts: NatsBusOptions,
  ) {
    this.#specs = new Map(opts.streams.map((s) => [s.name, s]));
    this.#acks = new PublishAcks(nc, opts.publishTimeoutMs ?? 5_000);
    void this.#watchStatus();
  }

  static async connect(opts: NatsBusOptions): Promise<NatsBus> {
    const nc = await connect({
      servers: opts.url.split(',').map((s) => s.trim()),
      name: opts.name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1_000,
      pingInterval: 20_000,
      // nats.js otherwise builds a RequestError and a TimeoutError (with stack traces) for every request,
      // so for every JetStream publish, just in case one fails: ~3% of the ingest path's CPU. Errors
      // still come with their message (what publishError reads); only the async stack of the caller goes.
      noAsyncTraces: true,
    });
    try {
      const version = nc.info?.version ?? '0.0.0';
      if (!versionAtLeast(version, MIN_SERVER_VERSION)) {
        throw new Error(
          `NATS server ${version} is too old: JetStream features used here need ${MIN_SERVER_VERSION} or newer`,
        );
      }
      if (!nc.info?.jetstream) throw new Error('NATS server has JetStream disabled (start it with -js)');
      const jsm = await jetstreamManager(nc);
      const ns = namespace(opts.namespace ?? '');
      await ensureStreams(jsm, opts.streams, ns, opts.streamReplicas ?? 1, opts.logger);
      opts.logger.info(
        { server: version, streams: opts.streams.map((s) => ns.stream(s.name)) },
        'nats jetstream bus ready',
      );
      return new NatsBus(nc, jetstream(nc, { timeout: opts.publishTimeoutMs ?? 5_000 }), jsm, ns, opts);
    } catch (err) {
      await nc.close();
      throw err;
    }
  }

  async publish<T>(topic: Topic<T>, subject: string, data: T, opts?: PublishOptions): Promise<PublishAck> {
    if (this.#closed) throw new BusError('BUS_CLOSED', 'the bus is closed');
    checkPublishSubject(topic, subject);
    const spec = this.#specs.get(topic.stream);
    if (!spec) throw new BusError('BUS_UNKNOWN_STREAM', `no stream ${topic.stream} is declared`);
    const payload = encodeTopicMessage(topic, data);
    if (payload.byteLength > spec.maxMsgSize) {
      throw new BusError(
        'BUS_MESSAGE_TOO_LARGE',
        `${payload.byteLength} bytes exceeds ${spec.name}'s limit of ${spec.maxMsgSize}`,
      );
    }
    const h = headers();
    h.set(MSG_ID, opts?.msgId ?? randomUUID());
    h.set(PUBLISHED_AT, String(this.opts.clock.now()));
    try {
      const ack = await this.#acks.publish(this.ns.subject(subject), payload, h);
      return { stream: spec.name, seq: ack.seq, duplicate: ack.duplicate };
    } catch (err) {
      throw publishError(err, spec.name);
    }
  }

  async subscribe<T>(topic: Topic<T>, pattern: string, handler: MessageHandler<T>): Promise<Subscription> {
    if (this.#closed) throw new BusError('BUS_CLOSED', 'the bus is closed');
    checkPattern(topic, pattern);
    const queue = new OrderedQueue<Msg>(
      this.opts.maxPendingPerSubscriber ?? 65_536,
      async (m) => {
        const msg = this.#toMessage(
          topic,
          m.subject,
          m.data,
          m.headers?.get(MSG_ID) ?? '',
          0,
          1,
          m.headers?.get(PUBLISHED_AT),
        );
        if (!msg) return;
        try {
          await handler(msg);
        } catch (err) {
          this.opts.logger.warn({ err: errText(err), subject: msg.subject }, 'live subscriber failed');
        }
      },
      () => this.slowConsumerDrops++,
    );
    const sub = this.nc.subscribe(this.ns.subject(pattern), {
      callback: (err, m) =>
        err ? this.opts.logger.warn({ err: err.message }, 'subscription error') : queue.push(m),
    });
    const handle: Subscription = {
      unsubscribe: async () => {
        this.#subs.delete(handle);
        if (!sub.isClosed()) sub.unsubscribe();
        await queue.stop();
      },
    };
    this.#subs.add(handle);
    return handle;
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
    await ensureConsumer(this.jsm, spec, this.ns);
    const consumer = await this.js.consumers.get(this.ns.stream(spec.stream), spec.durable);
    const messages = await consumer.consume({
      max_messages: Math.max(1, Math.min(spec.maxAckPending, 1_024)),
    });
    const inbox = new Inbox<JsMsg>();
    /**
     * Stream sequences handed to the inbox and not settled yet. The server has at most maxAckPending
     * distinct messages unacknowledged, but it sends each of them again every ack wait while the handler
     * holds them (a commit retrying through a database outage), and consume() takes those redeliveries:
     * without this, the inbox grew by a batch every ack wait. A redelivery of a held sequence is dropped
     * (the held copy's ack settles it: the server acks by stream sequence), so the inbox plus the batch in
     * the handler hold at most maxAckPending messages.
     */
    const held = new Set<number>();
    const pump = (async () => {
      for await (const m of messages) {
        if (held.has(m.seq)) {
          this.redeliveriesDropped++;
          continue;
        }
        held.add(m.seq);
        inbox.push(m);
      }
    })()
      .catch((err: unknown) =>
        this.opts.logger.error({ err: errText(err), consumer: spec.durable }, 'consumer pump ended'),
      )
      .finally(() => inbox.close());
    const settler: Settler<JsMsg> = {
      ack: (m) => m.ack(),
      nak: (m, delayMs) => m.nak(delayMs),
      term: (m) => m.term(),
      deliveryCount: (m) => m.info.deliveryCount,
      decode: (m) =>
        this.#toMessage(
          topic,
          m.subject,
          m.data,
          m.headers?.get(MSG_ID) ?? '',
          m.seq,
          m.info.deliveryCount,
          m.headers?.get(PUBLISHED_AT),
          m.info.timestampNanos,
        ),
    };
    const loop = (async () => {
      for (;;) {
        const taken = await inbox.takeBatch(batch.maxMessages, batch.maxWaitMs);
        if (taken.length === 0) return; // closed and drained
        try {
          await settleBatch(taken, spec, handler, settler, this.opts.logger, () => this.rejected++);
        } finally {
          for (const m of taken) held.delete(m.seq);
        }
      }
    })();
    const handle: Subscription = {
      unsubscribe: async () => {
        this.#subs.delete(handle);
        await messages.close();
        await pump;
        await loop;
      },
    };
    this.#subs.add(handle);
    return handle;
  }

  #toMessage<T>(
    topic: Topic<T>,
    wireSubject: string,
    data: Uint8Array,
    msgId: string,
    seq: number,
    deliveryCount: number,
    publishedAt: string | undefined,
    storedNanos?: number,
  ): BusMessage<T> | undefined {
    const subject = this.ns.local(wireSubject);
    const decoded = decodeMessage(topic, data);
    if (!decoded.ok) {
      this.rejected++;
      this.opts.logger.warn({ subject, reason: decoded.reason }, 'message rejected by its topic schema');
      return undefined;
    }
    const timestamp = publishedAt
      ? Number(publishedAt)
      : storedNanos !== undefined
        ? Math.floor(storedNanos / 1e6)
        : 0;
    return { subject, data: decoded.data, msgId, seq, deliveryCount, timestamp };
  }

  async #watchStatus(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type === 'disconnect') {
        this.#connected = false;
        this.#detail = `disconnected from ${s.server}`;
        this.opts.logger.warn({ server: s.server }, 'nats disconnected');
      } else if (s.type === 'reconnect') {
        this.#connected = true;
        this.#detail = undefined;
        this.reconnects++;
        this.opts.logger.info({ server: s.server }, 'nats reconnected');
      }
    }
  }

  health(): BusHealth {
    const connected = this.#connected && !this.#closed && !this.nc.isClosed();
    return {
      kind: this.kind,
      connected,
      rejected: this.rejected,
      slowConsumerDrops: this.slowConsumerDrops,
      reconnects: this.reconnects,
      ...(this.#detail ? { detail: this.#detail } : {}),
    };
  }

  /** Messages a durable consumer has not yet had acknowledged (its lag), from the server. */
  async consumerLag(
    spec: ConsumerSpec,
  ): Promise<{ pending: number; ackPending: number; redelivered: number }> {
    const info = await this.jsm.consumers.info(this.ns.stream(spec.stream), spec.durable);
    return { pending: info.num_pending, ackPending: info.num_ack_pending, redelivered: info.num_redelivered };
  }

  /** Deletes a durable consumer (gone already: nothing to do). Its subscription must be closed first. */
  async deleteConsumer(spec: Pick<ConsumerSpec, 'stream' | 'durable'>): Promise<void> {
    await this.jsm.consumers.delete(this.ns.stream(spec.stream), spec.durable).catch((err: unknown) => {
      if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound) return;
      throw err;
    });
  }

  /** Stream state from the server. */
  async streamInfo(name: string): Promise<{ lastSeq: number; firstSeq: number; messages: number }> {
    const info = await this.jsm.streams.info(this.ns.stream(name));
    return { lastSeq: info.state.last_seq, firstSeq: info.state.first_seq, messages: info.state.messages };
  }

  /** Removes this namespace's streams (tests). */
  /** The JetStream stream names this bus declared (namespaced). */
  get streamNames(): string[] {
    return this.opts.streams.map((s) => this.ns.stream(s.name));
  }

  async deleteStreams(): Promise<void> {
    for (const s of this.opts.streams)
      await this.jsm.streams.delete(this.ns.stream(s.name)).catch(() => false);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#subs].map((s) => s.unsubscribe()));
    await this.nc.drain().catch(() => this.nc.close());
    this.#acks.close();
  }
}

function publishError(err: unknown, stream: string): BusError {
  const text = errText(err);
  if (err instanceof JetStreamApiError && /maximum (messages|bytes)/i.test(text)) {
    return new BusError('BUS_STREAM_FULL', `stream ${stream} is full (discard: new): ${text}`, {
      cause: err,
    });
  }
  if (/no responders/i.test(text))
    return new BusError(
      'BUS_UNKNOWN_STREAM',
      `no JetStream stream accepts this subject (${stream} missing?)`,
      { cause: err },
    );
  if (/maximum payload|message size/i.test(text))
    return new BusError('BUS_MESSAGE_TOO_LARGE', text, { cause: err });
  return new BusError('BUS_PUBLISH_FAILED', `publish to ${stream} failed: ${text}`, { cause: err });
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
