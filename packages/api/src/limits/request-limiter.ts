import { createHash } from 'node:crypto';
import type { Db } from '@qt/db';
import {
  AppError,
  type Clock,
  NEXT_TIER,
  ORDER_PROCEDURES,
  PUBLIC_RATE,
  procedureWeight,
  type RateBudget,
  type TenantLimits,
  TIER_RATES,
  type Tier,
} from '@qt/shared';
import type { Redis } from 'ioredis';
import { type AttemptLimiter, createAttemptLimiter } from '../auth/attempt-limiter.ts';
import { ipBucket } from '../auth/ip-bucket.ts';
import type { Principal } from '../auth/principal.ts';
import type { ApiLogger } from '../context.ts';
import { type BucketStore, bucketSpec, burstOf, MemoryBuckets, type TakeResult } from './gcra.ts';
import { RedisBuckets, type StoredValue } from './redis-buckets.ts';
import type { TenantLimitsCache } from './tenant-limits.ts';
import type { UsageMeter } from './usage-meter.ts';

/** The budgets a request is counted against; the names appear in `RateLimit-Policy` and in errors. */
export type LimitScope = 'key' | 'tenant' | 'orders' | 'ip';

/** One budget's state after a request, for the `RateLimit` / `RateLimit-Policy` headers. */
export interface PolicyState {
  scope: LimitScope;
  /** Units per window (q) and the window (w). */
  limit: number;
  windowSeconds: number;
  /** Units left now (r) and seconds until the bucket is full again (t). */
  remaining: number;
  resetSeconds: number;
}

/** Where the buckets are: Redis (shared), memory (no Redis configured: one instance), or the fallback. */
export type LimiterMode = 'redis' | 'memory' | 'fallback';

export interface LimiterStats {
  mode: LimiterMode;
  /** Requests answered by tier and outcome; `fallback` counts reads served by the local fallback. */
  allowed: Record<Tier, number>;
  limited: Record<Tier, number>;
  fallbackAllowed: number;
  /** Requests refused because Redis was unreachable and the call must not run unlimited. */
  failedClosed: number;
  /** Times the store became unreachable. */
  outages: number;
  /** Public calls (no credential) allowed and refused by their address budget. */
  publicAllowed: number;
  publicLimited: number;
}

export interface RequestLimiterOptions {
  /** For the daily quotas counted from stored rows (backtests started today). */
  db?: Db;
  /** Shared buckets; absent: buckets in this process (the embedded single-instance default). */
  redis?: Redis;
  keyPrefix: string;
  clock: Clock;
  logger: ApiLogger;
  tenantLimits: TenantLimitsCache;
  usage?: UsageMeter;
  /** While Redis is unreachable, reads run at this fraction of the tier's budgets, per instance. Default 0.25. */
  fallbackFraction?: number;
  /** Tests: the clock the Redis script uses (default: Redis's own). */
  redisNowMs?: () => number;
}

/**
 * Redis keys read inside the limiter's script, in the same round trip as the charge (what authenticating
 * the call reads anyway: the credential-attempt count of the caller's address, the credential cache's
 * generation). `values` settles exactly once, in the order of `keys`: from the script, or by a read of
 * their own when the call was refused before the store was asked (or the buckets are in memory), or
 * rejected when Redis could not be read: its readers then do as they would with a failed read of their own.
 */
export interface ReadAlong {
  readonly keys: readonly string[];
  readonly values: Promise<StoredValue[]>;
  readonly settled: boolean;
  settle(values: StoredValue[] | null, err?: unknown): void;
}

const NOT_READ = new Error('the rate-limit script did not run');

export function readAlong(keys: readonly string[]): ReadAlong {
  let resolve!: (v: StoredValue[]) => void;
  let reject!: (err: unknown) => void;
  const values = new Promise<StoredValue[]>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Its reader may be gone (authentication failed first): never an unhandled rejection.
  values.catch(() => undefined);
  let settled = false;
  return {
    keys,
    values,
    get settled() {
      return settled;
    },
    settle(v, err) {
      if (settled) return;
      settled = true;
      if (err === undefined && v !== null && v.length === keys.length) resolve(v);
      else reject(err ?? NOT_READ);
    },
  };
}

const zeroByTier = (): Record<Tier, number> => ({ FREE: 0, PRO: 0, ENTERPRISE: 0 });

/**
 * How long a verified credential stays known for reads while Redis is down, and how many are kept
 * (oldest dropped first; about 100 bytes each).
 */
export const VERIFIED_REMEMBERED_MS = 30 * 60_000;
export const MAX_VERIFIED_REMEMBERED = 50_000;

const credentialDigest = (credential: string) => createHash('sha256').update(credential).digest('base64');

/** How long a client is told to wait when the store is down and the call fails closed. */
const STORE_DOWN_RETRY_SECONDS = 5;

/**
 * The per-request limiter: each authenticated call is charged its procedure's weight against the caller's
 * key budget and the tenant's budget (and order procedures against the order budget too), in one atomic
 * step on the shared store. Refusals are RATE_LIMITED with `details { tier, limit, windowSeconds, scope,
 * resetSeconds, retryAfterSeconds, nextTier }`.
 *
 * Redis unreachable: reads (queries, subscriptions) go on against buckets in this process at
 * `fallbackFraction` of the tier (so N instances allow at most N/4 of the limit, never N times it);
 * mutations (orders, uploads, settings) fail closed with SERVICE_UNAVAILABLE, as the auth limiter does.
 * Every call tries Redis first, so the limiter returns to the shared buckets on the first call after
 * Redis is back. Transitions are logged; counts are in `stats` (the engine exports them as metrics).
 */
export class RequestLimiter {
  readonly #opts: RequestLimiterOptions;
  readonly #shared: BucketStore;
  readonly #fallback: MemoryBuckets;
  readonly #fraction: number;
  readonly #prefix: string;
  readonly #redisBuckets: RedisBuckets | null;
  /**
   * Failed-credential limiter for reads while Redis is down (the shared one fails closed): in memory, per
   * instance, at the fallback fraction of the shared credential limiter's 30 per minute.
   */
  readonly localCredentialLimiter: AttemptLimiter;
  readonly stats: LimiterStats;
  /**
   * Credentials (SHA-256, no secrets) this instance verified lately, and until when that counts. While
   * Redis is down only these are checked (against the database, under the local limiter); any other
   * credential fails closed, because guessing must stay limited by the shared store.
   */
  readonly #verified = new Map<string, number>();
  /**
   * WebSocket subscriptions and connections, and running calls, per tenant ON THIS INSTANCE (not shared
   * through Redis): a tenant may hold up to N times `wsConnections`, `wsSubscriptions` and
   * `concurrentCalls` across N engines. Accepted because these caps bound what one tenant takes from ONE
   * engine (sockets, stream fan-out, event-loop share), which is what they protect; the request budgets,
   * which bound the tenant's total, are shared. A load balancer spreading a tenant's sockets makes the
   * sum grow with N; moving the counts to Redis (INCR/DECR leases refreshed by a heartbeat) is the way
   * to a global cap.
   */
  readonly #subscriptions = new Map<string, number>();
  readonly #connections = new Map<string, number>();
  readonly #calls = new Map<string, number>();
  /** Tenants refused lately (this instance): tenant -> when and which budget, oldest first, bounded. */
  readonly #recentlyLimited = new Map<string, { at: number; scope: string; limit: number }>();

  constructor(opts: RequestLimiterOptions) {
    this.#opts = opts;
    this.#fraction = opts.fallbackFraction ?? 0.25;
    this.#prefix = `${opts.keyPrefix}:rl`;
    const now = () => opts.clock.now();
    this.#redisBuckets = opts.redis
      ? new RedisBuckets(opts.redis, opts.redisNowMs ? { nowMs: opts.redisNowMs } : {})
      : null;
    this.#shared = this.#redisBuckets ?? new MemoryBuckets(now);
    this.#fallback = new MemoryBuckets(now);
    this.localCredentialLimiter = createAttemptLimiter({
      keyPrefix: `${opts.keyPrefix}:auth:cred-local`,
      points: Math.max(1, Math.floor(30 * this.#fraction)),
      windowSeconds: 60,
      blockSeconds: 300,
    });
    this.stats = {
      mode: opts.redis ? 'redis' : 'memory',
      allowed: zeroByTier(),
      limited: zeroByTier(),
      fallbackAllowed: 0,
      failedClosed: 0,
      outages: 0,
      publicAllowed: 0,
      publicLimited: 0,
    };
  }

  /**
   * A call refused before it reached the limiter because the credential check's store (the same Redis)
   * is down: counted with the limiter's own fail-closed refusals, so the metric tells the whole story.
   */
  noteFailedClosed(): void {
    this.stats.failedClosed++;
  }

  /** Remembers that `credential` was verified with the shared store up (see `wasVerified`). */
  noteVerified(credential: string): void {
    const key = credentialDigest(credential);
    this.#verified.delete(key);
    this.#verified.set(key, this.#opts.clock.now() + VERIFIED_REMEMBERED_MS);
    // Insertion order is last-verified order: the first entry is the stalest.
    if (this.#verified.size > MAX_VERIFIED_REMEMBERED) {
      const oldest = this.#verified.keys().next().value;
      if (oldest !== undefined) this.#verified.delete(oldest);
    }
  }

  /** Whether `credential` was verified on this instance within `VERIFIED_REMEMBERED_MS`. */
  wasVerified(credential: string): boolean {
    const until = this.#verified.get(credentialDigest(credential));
    return until !== undefined && until > this.#opts.clock.now();
  }

  /** Script calls to Redis so far (the round trips the limiter made). */
  get redisCalls(): number {
    return this.#redisBuckets?.calls ?? 0;
  }

  get tenantLimits(): TenantLimitsCache {
    return this.#opts.tenantLimits;
  }

  limitsOf(principal: Principal): Promise<TenantLimits> {
    return this.#opts.tenantLimits.limits(principal.tenant.id, principal.tenant.tier);
  }

  /**
   * Charges one call. Returns the budgets' states (for the headers); throws RATE_LIMITED when a budget
   * is spent, SERVICE_UNAVAILABLE when the store is down and the call is not a read.
   */
  async check(
    principal: Principal,
    path: string,
    type: 'query' | 'mutation' | 'subscription',
    known?: TenantLimits,
    along?: ReadAlong,
    /** Orders the call places (`orders.placeMany`: its items), each charged to the order budget. */
    orders = 1,
  ): Promise<PolicyState[]> {
    try {
      return await this.#check(principal, path, type, known, along, orders);
    } finally {
      // Refused before the store was asked (or no Redis buckets): the readers still get their values, by
      // a read of their own, as they would have without the limiter.
      if (along && !along.settled) this.fillAlong(along);
    }
  }

  /** Settles `along` by a plain read of its keys (one command), when no charge will carry it. */
  fillAlong(along: ReadAlong): void {
    if (along.settled) return;
    if (!this.#redisBuckets) {
      along.settle(null, NOT_READ);
      return;
    }
    this.#redisBuckets.read(along.keys).then(
      (v) => along.settle(v),
      (err: unknown) => along.settle(null, err),
    );
  }

  /** Whether `readAlong` can ride on this limiter's store (its buckets are in Redis). */
  get readsAlong(): boolean {
    return this.#redisBuckets !== null;
  }

  async #check(
    principal: Principal,
    path: string,
    type: 'query' | 'mutation' | 'subscription',
    known: TenantLimits | undefined,
    along: ReadAlong | undefined,
    orders: number,
  ): Promise<PolicyState[]> {
    const limits = known ?? (await this.limitsOf(principal));
    const weight = procedureWeight(path);
    const tenantId = principal.tenant.id;
    const caller = principal.apiKeyId
      ? `k:${principal.apiKeyId}`
      : `u:${principal.userId ?? '-'}:${tenantId}`;
    const scopes: LimitScope[] = ['key', 'tenant'];
    const budgets: RateBudget[] = [limits.perKey, limits.perTenant];
    const keys = [`${this.#prefix}:${caller}`, `${this.#prefix}:t:${tenantId}`];
    const costs = [weight, weight];
    const isOrder = ORDER_PROCEDURES.has(path);
    if (isOrder) {
      scopes.push('orders');
      budgets.push(limits.orders);
      keys.push(`${this.#prefix}:o:${tenantId}`);
      costs.push(orders);
    }
    const read = type !== 'mutation';
    // A weight no full bucket can hold (a contract's burst below it) is refused for good, not with a
    // Retry-After a client would wait for in vain.
    for (let i = 0; i < budgets.length; i++) {
      const burst = burstOf(bucketSpec(budgets[i] as RateBudget, 1));
      if ((costs[i] as number) <= burst) continue;
      // A batch of orders larger than the order budget's burst (a contract can set it below the plan's
      // batch bound) is not "too heavy for good": the same orders in smaller batches go through.
      if (scopes[i] === 'orders' && orders > 1) {
        throw new AppError(
          'BATCH_TOO_LARGE',
          `This account's order budget holds at most ${burst} orders at once; this call has ${orders}. Split it.`,
          { maxOrders: burst, orders, tier: limits.tier },
        );
      }
      throw callTooHeavy(limits.tier, scopes[i] as LimitScope, path, costs[i] as number, burst);
    }

    const { result, fraction } = await this.#take(keys, budgets, costs, read, along);

    const states: PolicyState[] = result.buckets.map((b, i) => {
      const budget = budgets[i] as RateBudget;
      return {
        scope: scopes[i] as LimitScope,
        limit: Math.max(1, Math.floor(budget.limit * fraction)),
        windowSeconds: budget.windowSeconds,
        remaining: b.remaining,
        resetSeconds: Math.ceil(b.resetUs / 1_000_000),
      };
    });
    const tier = limits.tier;
    if (result.allowed) {
      if (path === 'backtests.run') await this.#backtestsToday(tenantId, limits);
      this.stats.allowed[tier]++;
      this.#opts.usage?.add(tenantId, 'requests', weight);
      if (isOrder) this.#opts.usage?.add(tenantId, 'orders', orders);
      return states;
    }
    this.stats.limited[tier]++;
    // The budget that refused longest decides the answer.
    let worst = 0;
    for (let i = 1; i < result.buckets.length; i++) {
      if ((result.buckets[i]?.retryUs ?? 0) > (result.buckets[worst]?.retryUs ?? 0)) worst = i;
    }
    const scope = scopes[worst] as LimitScope;
    const state = states[worst] as PolicyState;
    const retryAfterSeconds = Math.max(1, Math.ceil((result.buckets[worst]?.retryUs ?? 0) / 1_000_000));
    this.#noteLimited(tenantId, scope, state.limit);
    throw rateLimited(tier, scope, state, retryAfterSeconds, fraction < 1, states);
  }

  /**
   * Charges one public call (no credential: system.health, system.version, strategies.examples) to the
   * caller's address bucket (`ipBucket`: IPv4, or the IPv6 /64) against `PUBLIC_RATE`, with the same one
   * atomic store call and fallback as `check`. Refusal: RATE_LIMITED, scope `ip`.
   */
  async checkPublic(
    ip: string,
    path: string,
    type: 'query' | 'mutation' | 'subscription',
  ): Promise<PolicyState[]> {
    const weight = Math.min(procedureWeight(path), PUBLIC_RATE.burst);
    const { result, fraction } = await this.#take(
      [`${this.#prefix}:ip:${ipBucket(ip)}`],
      [PUBLIC_RATE],
      [weight],
      type !== 'mutation',
    );
    const bucket = result.buckets[0] as TakeResult['buckets'][number];
    const state: PolicyState = {
      scope: 'ip',
      limit: Math.max(1, Math.floor(PUBLIC_RATE.limit * fraction)),
      windowSeconds: PUBLIC_RATE.windowSeconds,
      remaining: bucket.remaining,
      resetSeconds: Math.ceil(bucket.resetUs / 1_000_000),
    };
    if (result.allowed) {
      this.stats.publicAllowed++;
      return [state];
    }
    this.stats.publicLimited++;
    const retryAfterSeconds = Math.max(1, Math.ceil(bucket.retryUs / 1_000_000));
    const err = new AppError(
      'RATE_LIMITED',
      `Rate limit reached: calls without a credential are limited to ${state.limit} per ${state.windowSeconds} s per address${fraction < 1 ? ' (reduced while the engine is degraded)' : ''}. Try again in ${retryAfterSeconds} s, or call with an API key (its tier's budget applies then).`,
      {
        tier: null,
        scope: 'ip',
        limit: state.limit,
        windowSeconds: state.windowSeconds,
        resetSeconds: retryAfterSeconds,
        retryAfterSeconds,
        nextTier: null,
      },
    );
    (err as AppError & { policies?: PolicyState[] }).policies = [state];
    throw err;
  }

  /**
   * One atomic charge on the shared store; while it is unreachable, reads are charged to this
   * instance's buckets at the fallback fraction and anything else fails closed.
   */
  async #take(
    keys: string[],
    budgets: readonly RateBudget[],
    costs: readonly number[],
    read: boolean,
    along?: ReadAlong,
  ): Promise<{ result: TakeResult; fraction: number }> {
    try {
      const specs = budgets.map((b, i) => bucketSpec(b, costs[i] as number));
      let result: TakeResult;
      if (along && this.#redisBuckets) {
        const r = await this.#redisBuckets.take(keys, specs, along.keys);
        along.settle(r.also ?? null);
        result = r;
      } else {
        result = await this.#shared.take(keys, specs);
      }
      if (this.stats.mode === 'fallback') {
        this.stats.mode = 'redis';
        this.#opts.logger.warn({}, 'rate-limit store (Redis) reachable again: shared limits apply');
      }
      return { result, fraction: 1 };
    } catch (err) {
      along?.settle(null, err);
      if (this.stats.mode !== 'fallback') {
        this.stats.mode = 'fallback';
        this.stats.outages++;
        this.#opts.logger.error(
          { err: err instanceof Error ? err.message : String(err), fraction: this.#fraction },
          'rate-limit store (Redis) unreachable: reads limited per instance, orders and writes refused',
        );
      }
      if (!read) {
        this.stats.failedClosed++;
        throw new AppError(
          'SERVICE_UNAVAILABLE',
          `This call is briefly refused: the engine cannot reach its rate-limit store (Redis), and it does not run orders or changes unlimited. Reads still work; try again in ${STORE_DOWN_RETRY_SECONDS} s.`,
          { retryAfterSeconds: STORE_DOWN_RETRY_SECONDS, dependency: 'redis' },
          { cause: err },
        );
      }
      const fraction = this.#fraction;
      const result = this.#fallback.takeSync(
        keys,
        budgets.map((b, i) => bucketSpec(b, costs[i] as number, fraction)),
      );
      if (result.allowed) this.stats.fallbackAllowed++;
      return { result, fraction };
    }
  }

  /**
   * History depth: a history query may reach `historyDays` back from now. Checked on the raw input before
   * the procedure runs (a bad input is the router's to refuse; only a well-formed `from` / `before`
   * beyond the tier's depth is refused here, with TIER_LIMIT_REACHED).
   */
  checkHistoryDepth(limits: TenantLimits, rawInput: unknown): void {
    if (typeof rawInput !== 'object' || rawInput === null) return;
    const { from, before } = rawInput as { from?: unknown; before?: unknown };
    const reach = [from, before].filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    if (reach.length === 0) return;
    const earliest = this.#opts.clock.now() - limits.historyDays * 86_400_000;
    if (Math.min(...reach) >= earliest) return;
    const next = NEXT_TIER[limits.tier];
    throw new AppError(
      'TIER_LIMIT_REACHED',
      `The ${limits.tier} plan reads history up to ${limits.historyDays} days back.${next ? ` The ${next} plan reads ${TIER_RATES[next].historyDays} days.` : ''}`,
      {
        tier: limits.tier,
        scope: 'historyDays',
        kind: 'historyDays',
        limit: limits.historyDays,
        earliest,
        nextTier: next ? { tier: next, limit: TIER_RATES[next].historyDays } : null,
      },
    );
  }

  /**
   * Backtests started today (UTC) against the tier's `backtestsPerDay`, counted from the stored rows
   * (indexed by tenant and creation time). Concurrent starts may overshoot by the few in flight; the
   * concurrent cap (`TIER_CAPS.backtests`, under a lock) bounds that.
   */
  async #backtestsToday(tenantId: string, limits: TenantLimits): Promise<void> {
    const db = this.#opts.db;
    if (!db) return;
    const now = this.#opts.clock.now();
    const dayStart = new Date(now - (now % 86_400_000));
    const started = await db.backtest.count({ where: { tenantId, createdAt: { gte: dayStart } } });
    if (started < limits.backtestsPerDay) return;
    const next = NEXT_TIER[limits.tier];
    const resetSeconds = Math.ceil((dayStart.getTime() + 86_400_000 - now) / 1000);
    throw new AppError(
      'TIER_LIMIT_REACHED',
      `The ${limits.tier} plan starts at most ${limits.backtestsPerDay} backtests per day (UTC); the count resets in ${Math.ceil(resetSeconds / 3600)} h.${next ? ` The ${next} plan allows ${TIER_RATES[next].backtestsPerDay}.` : ''}`,
      {
        tier: limits.tier,
        scope: 'backtestsPerDay',
        kind: 'backtestsPerDay',
        limit: limits.backtestsPerDay,
        resetSeconds,
        nextTier: next ? { tier: next, limit: TIER_RATES[next].backtestsPerDay } : null,
      },
    );
  }

  /** The last refusal of `tenantId` on this instance within `withinMs`, for the usage page's banner. */
  lastLimited(tenantId: string, withinMs: number): { at: number; scope: string; limit: number } | null {
    const e = this.#recentlyLimited.get(tenantId);
    return e && this.#opts.clock.now() - e.at <= withinMs ? e : null;
  }

  #noteLimited(tenantId: string, scope: string, limit: number): void {
    this.#recentlyLimited.delete(tenantId);
    this.#recentlyLimited.set(tenantId, { at: this.#opts.clock.now(), scope, limit });
    if (this.#recentlyLimited.size > 10_000) {
      const oldest = this.#recentlyLimited.keys().next().value;
      if (oldest !== undefined) this.#recentlyLimited.delete(oldest);
    }
  }

  /**
   * Takes one of the tenant's subscription slots on this instance; the returned function gives it back
   * (once). Over the tier's `wsSubscriptions`: RATE_LIMITED, scope `subscriptions`.
   */
  takeSubscription(principal: Principal, limits: TenantLimits): () => void {
    return takeSlot(this.#subscriptions, principal.tenant.id, limits.wsSubscriptions, () =>
      capReached(limits.tier, 'subscriptions', limits.wsSubscriptions, 'subscriptions at once'),
    );
  }

  /**
   * Takes one of the tenant's running-call slots on this instance (released when the call ends). Over
   * the tier's `concurrentCalls`: RATE_LIMITED, scope `concurrency`, at once (nothing queues).
   */
  takeCall(principal: Principal, limits: TenantLimits): () => void {
    return takeSlot(this.#calls, principal.tenant.id, limits.concurrentCalls, () => {
      this.stats.limited[limits.tier]++;
      this.#noteLimited(principal.tenant.id, 'concurrency', limits.concurrentCalls);
      const next = NEXT_TIER[limits.tier];
      return new AppError(
        'RATE_LIMITED',
        `The ${limits.tier} plan runs at most ${limits.concurrentCalls} calls at once per tenant. Wait for one to finish.${next ? ` The ${next} plan allows ${TIER_RATES[next].concurrentCalls}.` : ''}`,
        {
          tier: limits.tier,
          scope: 'concurrency',
          limit: limits.concurrentCalls,
          resetSeconds: 1,
          retryAfterSeconds: 1,
          nextTier: next ? { tier: next, limit: TIER_RATES[next].concurrentCalls } : null,
        },
      );
    });
  }

  /** The same for WebSocket connections (taken at a connection's first authenticated call). */
  takeConnection(principal: Principal, limits: TenantLimits): () => void {
    return takeSlot(this.#connections, principal.tenant.id, limits.wsConnections, () =>
      capReached(limits.tier, 'connections', limits.wsConnections, 'WebSocket connections at once'),
    );
  }
}

function takeSlot(counts: Map<string, number>, key: string, max: number, refuse: () => AppError): () => void {
  const held = counts.get(key) ?? 0;
  if (held >= max) throw refuse();
  counts.set(key, held + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const n = (counts.get(key) ?? 1) - 1;
    if (n <= 0) counts.delete(key);
    else counts.set(key, n);
  };
}

function nextTierOf(tier: Tier, pick: (r: (typeof TIER_RATES)[Tier]) => number) {
  const next = NEXT_TIER[tier];
  return next ? { tier: next, limit: pick(TIER_RATES[next]) } : null;
}

function rateLimited(
  tier: Tier,
  scope: LimitScope,
  state: PolicyState,
  retryAfterSeconds: number,
  fallback: boolean,
  policies: PolicyState[],
): AppError {
  const nextTier = nextTierOf(
    tier,
    (r) => r[scope === 'key' ? 'perKey' : scope === 'tenant' ? 'perTenant' : 'orders'].limit,
  );
  const what =
    scope === 'orders'
      ? 'orders'
      : scope === 'key'
        ? 'requests from this key'
        : "requests from this tenant's keys";
  const upgrade = nextTier ? ` The ${nextTier.tier} plan allows ${nextTier.limit}.` : '';
  const err = new AppError(
    'RATE_LIMITED',
    `Rate limit reached: the ${tier} plan allows ${state.limit} ${what} per ${state.windowSeconds} s${fallback ? ' (reduced while the engine is degraded)' : ''}. Try again in ${retryAfterSeconds} s.${upgrade}`,
    {
      tier,
      scope,
      limit: state.limit,
      windowSeconds: state.windowSeconds,
      resetSeconds: retryAfterSeconds,
      retryAfterSeconds,
      nextTier,
    },
  );
  (err as AppError & { policies?: PolicyState[] }).policies = policies;
  return err;
}

function capReached(
  tier: Tier,
  scope: 'subscriptions' | 'connections',
  limit: number,
  what: string,
): AppError {
  const next = NEXT_TIER[tier];
  const nextTier = next
    ? {
        tier: next,
        limit: scope === 'subscriptions' ? TIER_RATES[next].wsSubscriptions : TIER_RATES[next].wsConnections,
      }
    : null;
  return new AppError(
    'RATE_LIMITED',
    `The ${tier} plan allows ${limit} ${what}. Close one first.${nextTier ? ` The ${nextTier.tier} plan allows ${nextTier.limit}.` : ''}`,
    { tier, scope, limit, resetSeconds: null, nextTier },
  );
}

function callTooHeavy(tier: Tier, scope: LimitScope, path: string, weight: number, burst: number): AppError {
  return new AppError(
    'TIER_LIMIT_REACHED',
    `${path} costs ${weight} units, more than the ${tier} plan's ${scope} budget holds at once (${burst}). Waiting does not help: ask for a contract with a larger burst.`,
    { tier, scope, kind: 'burst', limit: burst, weight, retryable: false, nextTier: null },
  );
}

/** The policies of a refusal (so the 429 carries the headers too). */
export function policiesOf(err: unknown): PolicyState[] | null {
  return (err as { policies?: PolicyState[] } | null)?.policies ?? null;
}
