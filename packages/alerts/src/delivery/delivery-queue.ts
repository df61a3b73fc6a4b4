import { type Clock, isAppError, liveClock } from '@qt/shared';
import type { Firing } from '../evaluate/types.ts';
import { type AlertChannel, buildRequest, type DeliveryRequest } from './channels.ts';
import { type DeliveryConfig, targetPolicyOf } from './delivery-config.ts';
import { postJson } from './http-post.ts';
import type { AlertMailer } from './mailer.ts';
import { SIGNATURE_HEADER, signatureHeader } from './signature.ts';
import { type Resolver, resolveTarget, type TargetPolicy } from './ssrf-guard.ts';

/**
 * Finished jobs (delivered or dead) remembered with their outcome, to refuse a second enqueue of the same
 * (firing, channel) while the caller's record of the outcome may not be written yet.
 */
export const RECENT_DELIVERED = 16_384;

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

export interface DeliveryJob {
  firing: Firing;
  channel: AlertChannel;
}

/**
 * Why a job ended without delivery (the delivery log's reason):
 * - `refused`: the target failed the SSRF guard or the channel's URL rules (never retried);
 * - `redirect`: the receiver answered 3xx (redirects are not followed);
 * - `rejected`: a 4xx other than 408/425/429 (the receiver will not change its mind);
 * - `exhausted`: maxAttempts attempts failed (timeouts, connection errors, 5xx, 408/425/429, mailer errors).
 */
export type DeadReason = 'refused' | 'redirect' | 'rejected' | 'exhausted';

export interface DeliveryAttempt {
  key: string;
  firingId: string;
  channelId: string;
  attempt: number;
  /** HTTP status (0: none) or 250 for an accepted email. */
  status: number;
  error: string | null;
}

export type DeliveryOutcome =
  | { key: string; firingId: string; channelId: string; result: 'delivered'; attempts: number }
  | {
      key: string;
      firingId: string;
      channelId: string;
      result: 'dead';
      attempts: number;
      reason: DeadReason;
      error: string;
    };

export interface DeliveryQueueOptions {
  config: DeliveryConfig;
  clock?: Clock;
  mailer?: AlertMailer;
  resolve?: Resolver;
  /** Every attempt, for the per-alert delivery log. */
  onAttempt?: (a: DeliveryAttempt) => void;
  /** The end of a job: delivered, or dead-lettered with its reason. */
  onOutcome?: (o: DeliveryOutcome) => void;
}

interface Entry {
  key: string;
  job: DeliveryJob;
  attempts: number;
}

type AttemptResult =
  | { ok: true; status: number }
  | { ok: false; status: number; error: string; dead?: DeadReason };

/**
 * Sends firings to channels with retries. Bounded: at most `queueCapacity` jobs are held (waiting,
 * backing off or in flight); `enqueue` beyond that answers 'full' and the caller keeps the job where
 * it is (the engine's firings table: it was written before delivery) to offer it again later.
 * `concurrency` jobs are in flight at once. Each (firing, channel) has one key, sent as the
 * Idempotency-Key header; a key already held or recently delivered is not queued twice.
 */
export class DeliveryQueue {
  readonly #config: DeliveryConfig;
  readonly #policy: TargetPolicy;
  readonly #clock: Clock;
  readonly #opts: DeliveryQueueOptions;
  readonly #ready: Entry[] = [];
  #readyHead = 0;
  /** Held jobs by key (waiting, backing off or in flight). */
  readonly #held = new Map<string, Entry>();
  /** Recently finished keys with their outcome, oldest first (bounded by RECENT_DELIVERED). */
  readonly #finished = new Map<string, DeliveryOutcome>();
  readonly #timers = new Map<NodeJS.Timeout, Entry>();
  #inFlight = 0;
  #closed = false;
  #idleWaiters: (() => void)[] = [];

  constructor(opts: DeliveryQueueOptions) {
    this.#opts = opts;
    this.#config = opts.config;
    this.#policy = targetPolicyOf(opts.config);
    this.#clock = opts.clock ?? liveClock;
  }

  static keyOf(job: DeliveryJob): string {
    return `${job.firing.id}:${job.channel.id}`;
  }

  /** Jobs held: waiting, backing off or in flight (never above `queueCapacity`). */
  get size(): number {
    return this.#held.size;
  }

  /** Whether the key is held now or finished recently: a second enqueue would answer 'duplicate'. */
  has(key: string): boolean {
    return this.#held.has(key) || this.#finished.has(key);
  }

  /** How a recently finished key ended (for the caller to write its outcome again if that write was lost). */
  finishedOutcome(key: string): DeliveryOutcome | undefined {
    return this.#finished.get(key);
  }

  /** The (firing, channel) pairs held now, for the caller's sweep to leave out. */
  heldJobs(): { firingId: string; channelId: string }[] {
    return [...this.#held.values()].map((e) => ({ firingId: e.job.firing.id, channelId: e.job.channel.id }));
  }

  /**
   * Queues one job. `priorAttempts` is how many attempts were already made for this key (stored by the
   * caller, e.g. before a restart): the job gets only the attempts left of `maxAttempts`.
   */
  enqueue(job: DeliveryJob, priorAttempts = 0): 'queued' | 'duplicate' | 'full' | 'closed' {
    if (this.#closed) return 'closed';
    const key = DeliveryQueue.keyOf(job);
    if (this.has(key)) return 'duplicate';
    if (this.#held.size >= this.#config.queueCapacity) return 'full';
    const entry: Entry = { key, job, attempts: Math.max(0, Math.trunc(priorAttempts)) };
    this.#held.set(key, entry);
    this.#ready.push(entry);
    this.#pump();
    return 'queued';
  }

  /** Resolves when nothing is held any more (all delivered or dead). */
  idle(): Promise<void> {
    if (this.#held.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /**
   * Stops taking and starting jobs and cancels pending retries (those jobs stay undelivered in the
   * engine's firings table, to be offered again after a restart); in-flight attempts finish.
   */
  close(): void {
    this.#closed = true;
    for (const [timer, entry] of this.#timers) {
      clearTimeout(timer);
      this.#held.delete(entry.key);
    }
    this.#timers.clear();
    for (let i = this.#readyHead; i < this.#ready.length; i++)
      this.#held.delete((this.#ready[i] as Entry).key);
    this.#ready.length = 0;
    this.#readyHead = 0;
    this.#checkIdle();
  }

  #pump(): void {
    while (
      !this.#closed &&
      this.#inFlight < this.#config.concurrency &&
      this.#readyHead < this.#ready.length
    ) {
      const entry = this.#ready[this.#readyHead++] as Entry;
      if (this.#readyHead > 1024 && this.#readyHead * 2 > this.#ready.length) {
        this.#ready.splice(0, this.#readyHead);
        this.#readyHead = 0;
      }
      this.#inFlight++;
      void this.#run(entry);
    }
  }

  async #run(entry: Entry): Promise<void> {
    entry.attempts++;
    let result: AttemptResult;
    try {
      result = await this.#attempt(entry);
    } catch (err) {
      result = { ok: false, status: 0, error: err instanceof Error ? err.message : String(err) };
    }
    this.#inFlight--;
    const { firing, channel } = entry.job;
    this.#opts.onAttempt?.({
      key: entry.key,
      firingId: firing.id,
      channelId: channel.id,
      attempt: entry.attempts,
      status: result.status,
      error: result.ok ? null : result.error,
    });
    if (result.ok) {
      this.#finish(entry, {
        key: entry.key,
        firingId: firing.id,
        channelId: channel.id,
        result: 'delivered',
        attempts: entry.attempts,
      });
    } else if (result.dead || entry.attempts >= this.#config.maxAttempts) {
      this.#finish(entry, {
        key: entry.key,
        firingId: firing.id,
        channelId: channel.id,
        result: 'dead',
        attempts: entry.attempts,
        reason: result.dead ?? 'exhausted',
        error: result.error,
      });
    } else if (!this.#closed) {
      const delay = Math.min(
        this.#config.backoffMaxMs,
        this.#config.backoffBaseMs * 2 ** (entry.attempts - 1),
      );
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        this.#ready.push(entry);
        this.#pump();
      }, delay);
      this.#timers.set(timer, entry);
    } else {
      this.#held.delete(entry.key);
    }
    this.#pump();
    this.#checkIdle();
  }

  async #attempt(entry: Entry): Promise<AttemptResult> {
    let req: DeliveryRequest;
    try {
      req = buildRequest(entry.job.firing, entry.job.channel, this.#config);
    } catch (err) {
      return { ok: false, status: 0, error: (err as Error).message, dead: 'refused' };
    }
    if (req.kind === 'email') {
      if (!this.#opts.mailer) return { ok: false, status: 0, error: 'no mailer configured', dead: 'refused' };
      await this.#opts.mailer.send({ to: req.to, subject: req.subject, text: req.text });
      return { ok: true, status: 250 };
    }
    let target: Awaited<ReturnType<typeof resolveTarget>>;
    try {
      target = await resolveTarget(req.url, this.#policy, this.#opts.resolve);
    } catch (err) {
      if (isAppError(err)) return { ok: false, status: 0, error: err.message, dead: 'refused' };
      throw err;
    }
    const headers: Record<string, string> = {
      ...req.headers,
      [IDEMPOTENCY_HEADER]: entry.key,
      'user-agent': 'QuantTrader-Alerts/1',
    };
    if (req.signWith !== null) {
      headers[SIGNATURE_HEADER] = signatureHeader(
        req.signWith,
        req.body,
        Math.floor(this.#clock.now() / 1000),
      );
    }
    const res = await postJson(target, req.body, headers, this.#config.timeoutMs);
    if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status };
    if (res.status >= 300 && res.status < 400) {
      return {
        ok: false,
        status: res.status,
        error: `redirect (${res.status}) not followed`,
        dead: 'redirect',
      };
    }
    if (res.status >= 400 && res.status < 500 && ![408, 425, 429].includes(res.status)) {
      return { ok: false, status: res.status, error: `receiver answered ${res.status}`, dead: 'rejected' };
    }
    return { ok: false, status: res.status, error: res.error ?? `receiver answered ${res.status}` };
  }

  #finish(entry: Entry, outcome: DeliveryOutcome): void {
    this.#held.delete(entry.key);
    // Remembered before the caller hears of it: until its record is written, an offer of the same key
    // (a sweep reading the row still pending) must not send it again.
    this.#finished.set(entry.key, outcome);
    if (this.#finished.size > RECENT_DELIVERED) {
      this.#finished.delete(this.#finished.keys().next().value as string);
    }
    this.#opts.onOutcome?.(outcome);
  }

  #checkIdle(): void {
    if (this.#held.size > 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }
}
