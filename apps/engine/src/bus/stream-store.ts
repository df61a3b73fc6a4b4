import { BusError, type Clock, type PublishAck, type StreamSpec } from '@qt/shared';

export interface StoredMessage {
  seq: number;
  subject: string;
  msgId: string;
  /** The message's text (JSON, or a trade batch's compact form); see codec.ts encodeText/decodeJson. */
  payload: string;
  bytes: number;
  /** The topic schema's verdict, from the first delivery (undefined until then). */
  valid?: boolean | undefined;
  timestamp: number;
}

/**
 * One stream of the in-process bus: contiguous sequence numbers, limits (age, count, bytes) enforced
 * the way JetStream enforces them, and the duplicate window for `msgId`. Memory is bounded by
 * `retain` because an in-process bus lives in the engine's heap, not on disk: at most `maxMsgs`
 * messages and as many remembered msgIds.
 */
export class StreamStore {
  readonly #messages: StoredMessage[] = [];
  #head = 0;
  #bytes = 0;
  #lastSeq = 0;
  /** msgId -> expiry (ms); insertion-ordered, so expired ids are at the front. */
  readonly #dedup = new Map<string, { expiresAt: number; seq: number }>();
  readonly #maxMsgs: number;
  readonly #maxBytes: number;
  /** Messages removed by the limits (age, count, bytes). */
  evicted = 0;

  constructor(
    readonly spec: StreamSpec,
    private readonly clock: Clock,
    retain: { maxMsgs: number; maxBytes: number },
  ) {
    this.#maxMsgs = Math.min(spec.maxMsgs, retain.maxMsgs);
    this.#maxBytes = Math.min(spec.maxBytes, retain.maxBytes);
  }

  get lastSeq(): number {
    return this.#lastSeq;
  }

  get firstSeq(): number {
    return this.#messages[this.#head]?.seq ?? this.#lastSeq + 1;
  }

  get size(): number {
    return this.#messages.length - this.#head;
  }

  get(seq: number): StoredMessage | undefined {
    const first = this.firstSeq;
    return seq < first ? undefined : this.#messages[this.#head + (seq - first)];
  }

  append(subject: string, payload: string, msgId: string): PublishAck {
    const now = this.clock.now();
    this.#expireDedup(now);
    const seen = this.#dedup.get(msgId);
    if (seen) return { stream: this.spec.name, seq: seen.seq, duplicate: true };
    const bytes = Buffer.byteLength(payload);
    if (bytes > this.spec.maxMsgSize) {
      throw new BusError(
        'BUS_MESSAGE_TOO_LARGE',
        `${bytes} bytes exceeds ${this.spec.name}'s limit of ${this.spec.maxMsgSize}`,
      );
    }
    this.#expireByAge(now);
    if (
      this.spec.discard === 'new' &&
      (this.size + 1 > this.#maxMsgs || this.#bytes + bytes > this.#maxBytes)
    ) {
      throw new BusError('BUS_STREAM_FULL', `stream ${this.spec.name} is full (discard: new)`);
    }
    const seq = ++this.#lastSeq;
    this.#messages.push({ seq, subject, msgId, payload, bytes, timestamp: now });
    this.#bytes += bytes;
    this.#dedup.set(msgId, { expiresAt: now + this.spec.duplicateWindowMs, seq });
    // JetStream bounds this table by time only; in a heap it must also be bounded by size, or a fast
    // publisher keeps millions of ids for the whole window. Ids older than the retained messages go first.
    if (this.#dedup.size > this.#maxMsgs) {
      const oldest = this.#dedup.keys().next().value as string;
      this.#dedup.delete(oldest);
    }
    while (this.size > this.#maxMsgs || this.#bytes > this.#maxBytes) this.#dropHead();
    return { stream: this.spec.name, seq, duplicate: false };
  }

  #expireByAge(now: number): void {
    const oldest = now - this.spec.maxAgeMs;
    while (this.size > 0 && (this.#messages[this.#head] as StoredMessage).timestamp < oldest)
      this.#dropHead();
  }

  #dropHead(): void {
    const m = this.#messages[this.#head] as StoredMessage;
    this.#bytes -= m.bytes;
    this.#head++;
    this.evicted++;
    // Compact now and then so the array does not grow without bound.
    if (this.#head > 4_096 && this.#head * 2 > this.#messages.length) {
      this.#messages.splice(0, this.#head);
      this.#head = 0;
    }
  }

  #expireDedup(now: number): void {
    for (const [id, entry] of this.#dedup) {
      if (entry.expiresAt > now) break;
      this.#dedup.delete(id);
    }
  }
}
