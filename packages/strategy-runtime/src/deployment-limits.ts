import type { Tier } from '@qt/shared';

/**
 * The bounds of a live deployment, by the tenant's tier: every queue a strategy can fill on the engine's
 * main thread has one. A strategy's module runs in its own worker under the call watchdog (tier-limits.ts),
 * but what it asks for (timers, orders) and what it is told (candles, fills, order outcomes) is handled on
 * the engine's main thread, shared with every tenant: without these, a 266-byte module setting 100
 * zero-delay timers per call grew the engine's heap by 1.7 GB in 26 s and killed it.
 *
 * A deployment that exceeds a bound is stopped (state `failed`) with a typed reason, `CODE: text`
 * (DeploymentStopCode). Log lines are the exception: over the rate they are dropped and counted (a chatty
 * strategy is not a hostile one), see TierLimits.logLinesPerSecond.
 *
 * | bound                                      | FREE   | PRO     | ENTERPRISE  | over it          |
 * | ------------------------------------------ | ------ | ------- | ----------- | ---------------- |
 * | timers outstanding (set, not yet fired)    | 64     | 256     | 1 024       | TIMER_LIMIT      |
 * | timers set per second, sustained/burst     | 50/64  | 200/256 | 1 000/1 024 | TIMER_LIMIT      |
 * | events queued for the worker               | 1 024  | 2 048   | 4 096       | EVENT_QUEUE_FULL |
 * | candles queued, within the events          | 256    | 256     | 256         | newest dropped   |
 * | orders per call (ABI MAX_ACTIONS_PER_CALL) | 100    | 100     | 100         | ERR_TOO_MANY     |
 * | orders per second, sustained/burst         | 20/100 | 50/200  | 200/1 000   | ORDER_STORM      |
 * | refused orders per 10 s                    | 100    | 200     | 1 000       | ORDER_STORM      |
 */
export interface DeploymentLimits {
  tier: Tier;
  /**
   * Timers set and not yet fired. Each is a host setTimeout plus, once it fires, a queued call: a
   * strategy needs a handful (a periodic re-check, a cancel-after), never hundreds.
   */
  maxOutstandingTimers: number;
  /**
   * Timers set per second, sustained, with a burst of `timerBurst`. A zero-delay timer that re-arms
   * itself is a busy loop run on the main thread (a snapshot and a message per call); a strategy that
   * wants to poll uses a delay.
   */
  timersPerSecond: number;
  timerBurst: number;
  /**
   * Events (candles, fills, order outcomes, timer callbacks) waiting for the strategy's previous call to
   * finish. A well-behaved strategy has a few; a thousand means it produces work faster than it consumes it.
   */
  maxQueuedEvents: number;
  /**
   * Candles waiting, within maxQueuedEvents: past this the newest candle is dropped and counted rather
   * than the deployment stopped (a strategy slower than its candles cannot catch up by queueing more).
   */
  maxQueuedCandles: number;
  /**
   * Orders placed per second, sustained, with a burst of `orderBurst` (at least one full call's worth,
   * MAX_ACTIONS_PER_CALL). Above the risk engine's own per-account rate (FREE 2/s, PRO 10/s, ENTERPRISE
   * 50/s) on purpose: a strategy over the risk rate gets RISK_ORDER_RATE back and may adapt; one over this
   * is storming (every attempt costs a database look-up for its client order id), and is stopped.
   */
  ordersPerSecond: number;
  orderBurst: number;
  /**
   * Orders refused (by risk, the ledger or the matcher) within `refusedWindowMs`. Each refusal calls
   * qt_on_order; a strategy that answers every refusal with more orders never ends on its own.
   */
  maxRefusedOrders: number;
  refusedWindowMs: number;
}

export const DEPLOYMENT_LIMITS: Readonly<Record<Tier, DeploymentLimits>> = {
  FREE: {
    tier: 'FREE',
    maxOutstandingTimers: 64,
    timersPerSecond: 50,
    timerBurst: 64,
    maxQueuedEvents: 1_024,
    maxQueuedCandles: 256,
    ordersPerSecond: 20,
    orderBurst: 100,
    maxRefusedOrders: 100,
    refusedWindowMs: 10_000,
  },
  PRO: {
    tier: 'PRO',
    maxOutstandingTimers: 256,
    timersPerSecond: 200,
    timerBurst: 256,
    maxQueuedEvents: 2_048,
    maxQueuedCandles: 256,
    ordersPerSecond: 50,
    orderBurst: 200,
    maxRefusedOrders: 200,
    refusedWindowMs: 10_000,
  },
  ENTERPRISE: {
    tier: 'ENTERPRISE',
    maxOutstandingTimers: 1_024,
    timersPerSecond: 1_000,
    timerBurst: 1_024,
    maxQueuedEvents: 4_096,
    maxQueuedCandles: 256,
    ordersPerSecond: 200,
    orderBurst: 1_000,
    maxRefusedOrders: 1_000,
    refusedWindowMs: 10_000,
  },
};

/**
 * Why the engine stopped a deployment (besides a trap, StrategyTrap['code']); stored as the deployment's
 * reason, `CODE: text`, so the dashboard can show it.
 */
export type DeploymentStopCode =
  | 'TIMER_LIMIT'
  | 'EVENT_QUEUE_FULL'
  | 'ORDER_STORM'
  /** It was running when the engine died abnormally, twice in a row: it is not restarted again. */
  | 'ENGINE_CRASH_SUSPECT';

/**
 * A token bucket: `ratePerSecond` sustained, up to `burst` at once. Time comes from the caller (the
 * injected clock), so it is deterministic under a test clock.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** Takes `n` tokens if there are that many; false (and nothing taken) otherwise. */
  take(n: number, now: number): boolean {
    if (now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.ratePerSecond) / 1000);
      this.last = now;
    }
    if (n > this.tokens) return false;
    this.tokens -= n;
    return true;
  }
}

/**
 * Counts events in a sliding window of `windowMs`, remembering at most `limit + 1` times (a ring): enough
 * to tell whether more than `limit` happened in the window, and never more memory than that.
 */
export class WindowCounter {
  private readonly times: number[] = [];
  private head = 0;

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Records one event at `now`; true when more than `limit` fell within the last `windowMs`. */
  addAndExceeded(now: number): boolean {
    const size = this.limit + 1;
    if (this.times.length < size) this.times.push(now);
    else {
      this.times[this.head] = now;
      this.head = (this.head + 1) % size;
    }
    if (this.times.length < size) return false;
    // The oldest of the last limit+1 events: all limit+1 are in the window when it is.
    const oldest = this.times[this.head] as number;
    return now - oldest < this.windowMs;
  }
}
