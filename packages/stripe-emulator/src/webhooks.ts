import { createHmac } from 'node:crypto';
import type { WebhookOptions, WebhookStats } from './types.ts';
import type { StripeEvent } from './wire.ts';

/** `Stripe-Signature` as Stripe computes it: HMAC-SHA256 of `<t>.<raw body>` with the endpoint secret. */
export function signPayload(payload: string, secret: string, timestampSeconds: number): string {
  const v1 = createHmac('sha256', secret).update(`${timestampSeconds}.${payload}`, 'utf8').digest('hex');
  return `t=${timestampSeconds},v1=${v1}`;
}

/** mulberry32: small, seedable, good enough to pick delivery order. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Delivery {
  event: StripeEvent;
  body: string;
  /** Attempts made so far. */
  attempts: number;
  dueAt: number;
}

// Stripe's live schedule spans three days; this keeps its shape (growing gaps) at dev-loop scale.
const defaultRetryDelaysMs = [1_000, 5_000, 30_000, 120_000, 600_000];

/**
 * Delivers events to one endpoint, one request at a time: in creation order unless `shuffle`, each
 * retried on a non-2xx answer, a timeout or a connection error after the next delay of the schedule.
 * The queue is bounded by `maxPending`.
 */
export class WebhookDeliverer {
  private url: string | undefined;
  private secret: string;
  private readonly retryDelaysMs: readonly number[];
  private readonly timeoutMs: number;
  private readonly shuffle: boolean;
  private readonly duplicateRate: number;
  private readonly maxPending: number;
  private readonly random: () => number;
  private readonly queue: Delivery[] = [];
  private inFlight = false;
  private timer: NodeJS.Timeout | undefined;
  private scheduled = false;
  private stopped = false;
  /** Aborts a delivery in flight when the emulator stops. */
  private readonly stopping = new AbortController();
  private readonly idleWaiters = new Set<() => void>();
  private readonly counters = { events: 0, delivered: 0, failedAttempts: 0, givenUp: 0, dropped: 0 };

  constructor(
    options: WebhookOptions & { secret: string },
    private readonly wallClock: () => number,
  ) {
    this.url = options.url;
    this.secret = options.secret;
    this.retryDelaysMs = options.retryDelaysMs ?? defaultRetryDelaysMs;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.shuffle = options.shuffle ?? false;
    this.duplicateRate = options.duplicateRate ?? 0;
    this.maxPending = options.maxPending ?? 10_000;
    this.random = seeded(options.seed ?? 1);
  }

  get endpointSecret(): string {
    return this.secret;
  }

  /** How many endpoints will receive a new event (the event's `pending_webhooks`). */
  get endpoints(): number {
    return this.url ? 1 : 0;
  }

  setEndpoint(url: string | undefined, secret?: string): void {
    this.url = url;
    if (secret) this.secret = secret;
  }

  enqueue(event: StripeEvent): void {
    this.counters.events++;
    if (!this.url) return;
    const body = JSON.stringify(event, null, 2);
    const copies = this.random() < this.duplicateRate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      if (this.queue.length >= this.maxPending) {
        this.counters.dropped++;
        continue;
      }
      this.queue.push({ event, body, attempts: 0, dueAt: 0 });
    }
    this.schedule(0);
  }

  stats(): WebhookStats {
    return { ...this.counters, pending: this.queue.length + (this.inFlight ? 1 : 0) };
  }

  idle(timeoutMs = 30_000): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(t);
        resolve();
      };
      const t = setTimeout(() => {
        this.idleWaiters.delete(done);
        reject(
          new Error(
            `webhook deliveries still pending after ${timeoutMs} ms: ${JSON.stringify(this.stats())}`,
          ),
        );
      }, timeoutMs);
      this.idleWaiters.add(done);
    });
  }

  stop(): void {
    this.stopped = true;
    this.stopping.abort();
    clearTimeout(this.timer);
    this.queue.length = 0;
    this.notifyIdle();
  }

  private isIdle(): boolean {
    return this.queue.length === 0 && !this.inFlight;
  }

  private notifyIdle(): void {
    if (!this.isIdle()) return;
    for (const w of this.idleWaiters) w();
    this.idleWaiters.clear();
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (delayMs <= 0) {
      // One pump per turn: events created in one request are all queued before the first is picked,
      // so `shuffle` can reorder them.
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        void this.pump();
      });
      return;
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.pump(), delayMs);
  }

  private pick(now: number): number {
    const due: number[] = [];
    for (let i = 0; i < this.queue.length; i++) if ((this.queue[i] as Delivery).dueAt <= now) due.push(i);
    if (due.length === 0) return -1;
    return this.shuffle ? (due[Math.floor(this.random() * due.length)] as number) : (due[0] as number);
  }

  private async pump(): Promise<void> {
    if (this.inFlight || this.stopped) return;
    const now = performance.now();
    const index = this.pick(now);
    if (index < 0) {
      if (this.queue.length > 0) {
        const next = Math.min(...this.queue.map((d) => d.dueAt));
        this.schedule(Math.max(1, next - now));
      }
      this.notifyIdle();
      return;
    }
    const [delivery] = this.queue.splice(index, 1) as [Delivery];
    this.inFlight = true;
    const ok = await this.attempt(delivery);
    this.inFlight = false;
    if (this.stopped) return;
    if (ok) {
      this.counters.delivered++;
      delivery.event.pending_webhooks = Math.max(0, delivery.event.pending_webhooks - 1);
    } else {
      this.counters.failedAttempts++;
      const delay = this.retryDelaysMs[delivery.attempts - 1];
      if (delay === undefined) this.counters.givenUp++;
      else this.queue.push({ ...delivery, dueAt: performance.now() + delay });
    }
    this.schedule(0);
  }

  private async attempt(delivery: Delivery): Promise<boolean> {
    const url = this.url;
    delivery.attempts++;
    if (!url) return false;
    const t = Math.floor(this.wallClock() / 1000);
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json; charset=utf-8',
          'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          'Stripe-Signature': signPayload(delivery.body, this.secret, t),
        },
        body: delivery.body,
        signal: AbortSignal.any([AbortSignal.timeout(this.timeoutMs), this.stopping.signal]),
      });
      // Drain so the socket can be reused; the answer's body does not matter to Stripe.
      await res.arrayBuffer().catch(() => undefined);
      return res.status >= 200 && res.status < 300;
    } catch {
      return false;
    }
  }
}
