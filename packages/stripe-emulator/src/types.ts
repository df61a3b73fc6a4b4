import type { StripeEvent } from './wire.ts';

export interface WebhookOptions {
  /** Where events are POSTed; none means events are only stored (and listed at `/v1/events`). */
  url?: string;
  /** The endpoint secret (`whsec_...`) that signs deliveries; random when omitted. */
  secret?: string;
  /**
   * Delay before each retry of a delivery that got a non-2xx answer or timed out; after the last the
   * delivery is given up (counted). Stripe retries for up to three days with exponential backoff; the
   * default is a shortened version of that so a dev loop sees retries. Tests pass tens of ms.
   */
  retryDelaysMs?: readonly number[];
  /** Per-attempt timeout; Stripe waits a few seconds for an answer. */
  timeoutMs?: number;
  /** Deliver queued events in a random order (Stripe does not guarantee order). */
  shuffle?: boolean;
  /** Probability (0..1) that an event is delivered twice (Stripe delivers at least once). */
  duplicateRate?: number;
  /** Seed of the generator behind `shuffle` and `duplicateRate`, so a failing order can be replayed. */
  seed?: number;
  /** Deliveries waiting (first attempts and retries); beyond it new events are not delivered (counted). */
  maxPending?: number;
}

export interface BillingOptions {
  /**
   * After a renewal payment fails, retry after these many days (each counted from the previous attempt),
   * as Stripe's custom retry schedule. Default: 3, 5, 7.
   */
  retryDelaysDays?: readonly number[];
  /** What happens to the subscription after the last retry fails, as Stripe's subscription settings. */
  afterFinalFailure?: 'cancel' | 'unpaid' | 'past_due';
}

export interface EmulatorLimits {
  /** Stored objects per kind (customers, invoices, events, ...); creating one more answers 429. */
  maxObjectsPerKind?: number;
  /**
   * Remembered idempotency keys with their answers (oldest forgotten first); Stripe keeps them 24 hours.
   * The SDK keys every POST, so this bounds memory: replays matter within seconds (SDK retries).
   */
  maxIdempotencyKeys?: number;
  /** Largest accepted request body. */
  maxBodyBytes?: number;
}

export interface StripeEmulatorOptions {
  host?: string;
  port?: number;
  /** Base URL of the hosted checkout and portal pages when the emulator sits behind a proxy. */
  publicUrl?: string;
  /** Shorthands for `webhooks.url` and `webhooks.secret`. */
  webhookUrl?: string;
  webhookSecret?: string;
  webhooks?: WebhookOptions;
  billing?: BillingOptions;
  limits?: EmulatorLimits;
  /** Wall clock in ms (object `created`, signature timestamps); customers on a test clock use its time. */
  clock?: () => number;
  /**
   * A JSON file the state is loaded from at start (when it exists) and saved to at stop, so a restarted
   * emulator still knows the customers and subscriptions its platform's database remembers. Pending
   * webhook deliveries, idempotency keys and onboarding links are not kept.
   */
  stateFile?: string;
  /**
   * The platform account's id (`acct_...`) answered by `GET /v1/account`; random when omitted (or the one
   * a state file holds).
   */
  platformAccountId?: string;
}

export interface WebhookStats {
  /** Events created. */
  events: number;
  delivered: number;
  /** Attempts that got a non-2xx answer, a timeout or a connection error. */
  failedAttempts: number;
  /** Deliveries abandoned after the last retry. */
  givenUp: number;
  /** Events not delivered because `maxPending` deliveries were waiting. */
  dropped: number;
  pending: number;
}

export interface StripeEmulator {
  /** `http://host:port` */
  url: string;
  host: string;
  port: number;
  /** Options for `new Stripe(key, emulator.sdkOptions)`. */
  sdkOptions: { host: string; port: number; protocol: 'http' };
  webhookSecret: string;
  /** Points deliveries at a new URL (and secret) from now on. */
  setWebhook(url: string | undefined, secret?: string): void;
  /** Resolves once no delivery is waiting or in flight (rejects after `timeoutMs`). */
  webhooksIdle(timeoutMs?: number): Promise<void>;
  webhookStats(): WebhookStats;
  /** Every event created so far, oldest first (bounded like every other kind). */
  events(): StripeEvent[];
  /** True when the state was loaded from `stateFile` at start. */
  readonly restored: boolean;
  /** Writes the state to `stateFile` now (also done at stop); a no-op without one. */
  saveState(): Promise<void>;
  /** The platform account's id (`GET /v1/account`). */
  readonly platformAccountId: string;
  /**
   * Makes the emulator another Stripe account from now on (a new platform id): what a platform sees when
   * its secret key is swapped for another account's while its database keeps the first one's objects.
   */
  switchPlatformAccount(id?: string): string;
  stop(): Promise<void>;
}
