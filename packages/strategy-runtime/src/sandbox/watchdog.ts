import { type CallWatch, callStartedAt, currentCall, wallNow } from '../call-watch.ts';

export interface Watched {
  watch: CallWatch;
  budgetMs: number;
  /** Called once, on the watchdog's timer, when one call has run longer than `budgetMs`. */
  expire(elapsedMs: number): void;
}

interface Entry {
  w: Watched;
  /** The call counter seen in progress, -1 when none. */
  counter: number;
  since: number;
}

/**
 * One interval timer for every sandbox in the process (not one per sandbox: hundreds of deployments
 * must not mean hundreds of timers). Each tick reads each worker's watch slots; a call in progress for
 * longer than its budget (measured from the start time the worker wrote) is expired, so a runaway is
 * seen between `budget` and `budget + period` after it began (plus timer lateness), then terminated.
 *
 * Real time on purpose (wall clock), not the injected clock: the budget bounds CPU time taken from
 * other strategies, which a replay clock knows nothing about.
 */
export class Watchdog {
  private readonly entries = new Map<Watched, Entry>();
  private timer: NodeJS.Timeout | undefined;
  private period = 0;

  constructor(private readonly maxPeriodMs = 10) {}

  add(w: Watched): void {
    this.entries.set(w, { w, counter: -1, since: 0 });
    this.reschedule();
  }

  remove(w: Watched): void {
    this.entries.delete(w);
    this.reschedule();
  }

  get size(): number {
    return this.entries.size;
  }

  /** One pass over every sandbox; public so tests can drive it. */
  tick(now = wallNow()): void {
    for (const e of this.entries.values()) {
      const counter = currentCall(e.w.watch);
      if (counter === -1) {
        e.counter = -1;
        continue;
      }
      if (counter !== e.counter) {
        e.counter = counter;
        // The worker's own start time; never later than now (guards a torn read of the float).
        const started = callStartedAt(e.w.watch);
        e.since = started > 0 && started <= now ? started : now;
      }
      const elapsed = now - e.since;
      if (elapsed > e.w.budgetMs) {
        this.entries.delete(e.w);
        e.w.expire(elapsed);
      }
    }
    if (this.entries.size === 0) this.reschedule();
  }

  private reschedule(): void {
    let period = this.maxPeriodMs;
    for (const e of this.entries.values()) period = Math.min(period, Math.max(1, e.w.budgetMs / 4));
    if (this.entries.size === 0) {
      if (this.timer) clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    if (this.timer && period === this.period) return;
    if (this.timer) clearInterval(this.timer);
    this.period = period;
    this.timer = setInterval(() => this.tick(), period);
    // The watchdog alone must not keep the process alive; the workers it watches do.
    this.timer.unref();
  }
}

/** The process-wide watchdog StrategySandbox uses unless given another. */
export const sharedWatchdog = new Watchdog();
