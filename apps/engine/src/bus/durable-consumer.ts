import { type ConsumerSpec, subjectMatches } from '@qt/shared';
import type { StoredMessage, StreamStore } from './stream-store.ts';

export interface Delivery {
  msg: StoredMessage;
  deliveryCount: number;
  /** Set once the delivery is acked, naked, terminated or expired: later outcomes are ignored. */
  settled?: boolean;
}

/** An in-process durable consumer: its position and pending redeliveries, shared by all its workers. */
export class DurableConsumer {
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

  /** Resolves on new work (a publish, a redelivery, a freed slot) or after `timeoutMs`. */
  waitForWork(timeoutMs?: number): Promise<void> {
    return new Promise((resolve) => {
      this.#waiters.push(resolve);
      if (timeoutMs !== undefined) setTimeout(resolve, timeoutMs).unref();
    });
  }

  wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  /**
   * True when everything stored that this consumer wants was delivered and settled: nothing ready for
   * redelivery, nothing in flight, no redelivery waiting on a backoff timer, no matching message ahead.
   */
  caughtUp(): boolean {
    if (this.inflight > 0 || this.ready.length > 0 || this.#timers.size > 0) return false;
    for (let seq = Math.max(this.nextSeq, this.stream.firstSeq); seq <= this.stream.lastSeq; seq++) {
      const msg = this.stream.get(seq);
      if (msg && subjectMatches(this.spec.filterSubject, msg.subject)) return false;
    }
    return true;
  }

  dispose(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.wake();
  }
}

/**
 * One subscriber of a durable consumer: takes up to a batch of messages, runs the handler, then each
 * delivery is settled. A batch still running after ackWaitMs is presumed lost and its messages go to
 * another worker, as JetStream would do; the late outcome of the first attempt is then ignored.
 */
export class ConsumerWorker {
  #stopped = false;
  #loop: Promise<void> | undefined;

  constructor(
    readonly consumer: DurableConsumer,
    private readonly batch: { maxMessages: number; maxWaitMs: number },
    private readonly handle: (batch: Delivery[]) => Promise<void>,
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
      const first = c.take();
      if (!first) {
        await c.waitForWork();
        continue;
      }
      const batch = [first];
      c.inflight++;
      const deadline = performance.now() + this.batch.maxWaitMs;
      while (batch.length < this.batch.maxMessages && !this.#stopped) {
        const next = c.take();
        if (next) {
          batch.push(next);
          c.inflight++;
          continue;
        }
        const left = deadline - performance.now();
        if (left <= 0) break;
        await c.waitForWork(left);
      }
      const ackTimer = setTimeout(() => {
        for (const d of batch) {
          if (d.settled) continue;
          d.settled = true;
          c.redeliverLater(d, 0);
        }
      }, c.spec.ackWaitMs);
      try {
        await this.handle(batch);
      } finally {
        clearTimeout(ackTimer);
        c.inflight -= batch.length;
        c.wake();
      }
    }
  }
}
