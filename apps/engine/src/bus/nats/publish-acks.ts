import { type ApiError, JetStreamApiError } from '@nats-io/jetstream';
import {
  createInbox,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Subscription,
} from '@nats-io/transport-node';

/** A JetStream publish acknowledgement (the server's PubAck). */
export interface JsPubAck {
  stream: string;
  seq: number;
  duplicate: boolean;
}

interface Pending {
  resolve(ack: JsPubAck): void;
  reject(err: Error): void;
  deadline: number;
}

/**
 * JetStream publishes with their acknowledgements collected on ONE reply subscription. A JetStream
 * publish is a core NATS publish with a reply subject, which the server answers with a PubAck once the
 * message is stored (JetStream's documented wire protocol, what `js.publish` does). nats.js's
 * `js.publish` makes each one a request: a timer, a deferred, a TextDecoder and, when the request ends, a
 * "cancelled" Error with its stack trace; at thousands of publishes a second that was a tenth of the
 * ingest path's CPU. Here a publish costs one map entry: replies arrive on `<inbox>.<n>`, one sweep per
 * interval fails the ones past their deadline (the map is in publish order, so it stops at the first
 * that is not), and the server's answers and errors are read as `js.publish` reads them.
 */
export class PublishAcks {
  readonly #pending = new Map<number, Pending>();
  readonly #prefix: string;
  readonly #sub: Subscription;
  readonly #sweep: NodeJS.Timeout;
  #next = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs: number,
  ) {
    this.#prefix = `${createInbox()}.`;
    this.#sub = nc.subscribe(`${this.#prefix}*`, {
      callback: (err, m) => (err ? undefined : this.#onReply(m)),
    });
    this.#sweep = setInterval(() => this.#expire(), Math.max(10, Math.min(250, timeoutMs / 4)));
    this.#sweep.unref();
  }

  /** Acknowledgements awaited. */
  get pending(): number {
    return this.#pending.size;
  }

  publish(subject: string, payload: Uint8Array, headers: MsgHdrs): Promise<JsPubAck> {
    const id = ++this.#next;
    return new Promise<JsPubAck>((resolve, reject) => {
      // Sent first: when publish throws (closed connection, payload over the server's limit) nothing waits.
      this.nc.publish(subject, payload, { headers, reply: `${this.#prefix}${id}` });
      this.#pending.set(id, { resolve, reject, deadline: performance.now() + this.timeoutMs });
    });
  }

  #onReply(m: Msg): void {
    const id = Number(m.subject.slice(this.#prefix.length));
    const p = this.#pending.get(id);
    if (p === undefined) return; // answered after its deadline: already failed
    this.#pending.delete(id);
    if (m.headers?.hasError) {
      // 503: no stream listens on the subject (the server's "no responders" status).
      p.reject(new Error(m.headers.code === 503 ? 'no responders' : `status ${m.headers.status}`));
      return;
    }
    let r: { stream?: string; seq?: number; duplicate?: boolean; error?: ApiError };
    try {
      r = JSON.parse(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength).toString('utf8'));
    } catch {
      p.reject(new Error('invalid ack response'));
      return;
    }
    if (r.error) p.reject(new JetStreamApiError(r.error));
    else if (!r.stream || typeof r.seq !== 'number') p.reject(new Error('invalid ack response'));
    else p.resolve({ stream: r.stream, seq: r.seq, duplicate: r.duplicate === true });
  }

  #expire(): void {
    const now = performance.now();
    for (const [id, p] of this.#pending) {
      if (p.deadline > now) return;
      this.#pending.delete(id);
      p.reject(new Error('timeout'));
    }
  }

  /** Fails whatever is still awaited (the connection is closing). */
  close(): void {
    clearInterval(this.#sweep);
    if (!this.#sub.isClosed()) this.#sub.unsubscribe();
    for (const p of this.#pending.values())
      p.reject(new Error('the connection closed before the acknowledgement'));
    this.#pending.clear();
  }
}
