import type { z } from 'zod';

/**
 * A typed topic: which stream stores it, the subjects it covers and the schema every message is
 * checked against when it is received (the bus is a boundary: a message may come from another
 * process or an older version).
 */
export interface Topic<T> {
  readonly name: string;
  readonly stream: string;
  /** The subjects of this topic as a NATS pattern, e.g. `market.trades.>`. */
  readonly pattern: string;
  readonly schema: z.ZodType<T>;
}

export function defineTopic<T>(topic: Topic<T>): Topic<T> {
  return topic;
}

/** A stream and its limits; every stream the engine uses is declared in code (apps/engine/src/bus/streams.ts). */
export interface StreamSpec {
  name: string;
  subjects: string[];
  /** Oldest message kept. */
  maxAgeMs: number;
  maxBytes: number;
  maxMsgs: number;
  maxMsgSize: number;
  /** Publishes with the same Nats-Msg-Id inside this window are stored once. */
  duplicateWindowMs: number;
  /** What happens when a limit is reached: drop the oldest, or refuse new publishes (the publisher sees an error). */
  discard: 'old' | 'new';
  storage: 'file' | 'memory';
}

/** A durable consumer: at-least-once delivery, shared by every subscriber using the same name. */
export interface ConsumerSpec {
  durable: string;
  stream: string;
  filterSubject: string;
  /** Where a consumer created for the first time starts. */
  deliver: 'all' | 'new';
  /**
   * Replay from this stream sequence, in order, on this subscription: an existing durable is recreated
   * to start here (its acknowledgements are forgotten). For a reader that keeps its own committed
   * position, so a restart replays exactly what follows it. Durable buses only: the in-process bus
   * starts afresh with each process and ignores it.
   */
  startSeq?: number;
  /** Unacknowledged longer than this: delivered again. */
  ackWaitMs: number;
  /** Delivery attempts before the message is given up (counted and logged); -1 retries for ever. */
  maxDeliver: number;
  /** Messages in flight and unacknowledged at once. */
  maxAckPending: number;
}

export interface PublishOptions {
  /** Deduplication id (sent as `Nats-Msg-Id`); defaults to a fresh unique id. */
  msgId?: string;
}

export interface PublishAck {
  stream: string;
  seq: number;
  duplicate: boolean;
}

export interface BusMessage<T> {
  subject: string;
  data: T;
  msgId: string;
  /** Stream sequence number. */
  seq: number;
  /** Delivery attempt, 1 for the first. */
  deliveryCount: number;
  /** When the stream stored it (bus clock), ms since epoch. */
  timestamp: number;
}

/** Throwing (or rejecting) asks for redelivery; returning acknowledges. */
export type MessageHandler<T> = (msg: BusMessage<T>) => void | Promise<void>;

/** All messages of the batch are acknowledged when it returns, all redelivered when it throws. */
export type BatchHandler<T> = (msgs: BusMessage<T>[]) => void | Promise<void>;

export interface BatchOptions {
  /** Hand over at most this many messages at once (must not exceed the consumer's maxAckPending). */
  maxMessages: number;
  /** After the first message, wait at most this long for the batch to fill. */
  maxWaitMs: number;
}

export interface Subscription {
  /** Stops delivery; in-flight handlers finish first. Durable consumers keep their position. */
  unsubscribe(): Promise<void>;
}

export interface BusHealth {
  kind: 'in-process' | 'nats';
  connected: boolean;
  /** Messages dropped because they failed the topic's schema or exhausted their deliveries. */
  rejected: number;
  /** Messages a live subscriber lost because it fell too far behind. */
  slowConsumerDrops: number;
  /** Times the connection to the server was re-established (0 for the in-process bus). */
  reconnects: number;
  detail?: string;
}

export interface MessageBus {
  readonly kind: BusHealth['kind'];
  publish<T>(topic: Topic<T>, subject: string, data: T, opts?: PublishOptions): Promise<PublishAck>;
  /** Live fan-out: every subscriber receives messages published from now on that match `pattern`. */
  subscribe<T>(topic: Topic<T>, pattern: string, handler: MessageHandler<T>): Promise<Subscription>;
  /** Durable, at-least-once, work shared between subscribers of the same consumer; ack after the handler. */
  consume<T>(topic: Topic<T>, consumer: ConsumerSpec, handler: MessageHandler<T>): Promise<Subscription>;
  /**
   * As consume, in batches: what a writer needs to commit many messages in one transaction and
   * acknowledge them only after the commit.
   */
  consumeBatch<T>(
    topic: Topic<T>,
    consumer: ConsumerSpec,
    batch: BatchOptions,
    handler: BatchHandler<T>,
  ): Promise<Subscription>;
  health(): BusHealth;
  close(): Promise<void>;
}

export class BusError extends Error {
  override readonly name = 'BusError';
  constructor(
    readonly code:
      | 'BUS_CLOSED'
      | 'BUS_SUBJECT_INVALID'
      | 'BUS_STREAM_FULL'
      | 'BUS_MESSAGE_TOO_LARGE'
      | 'BUS_UNKNOWN_STREAM'
      | 'BUS_PUBLISH_FAILED',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
