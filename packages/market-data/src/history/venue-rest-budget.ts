/**
 * ONE REST request budget per venue, shared by everything in the engine that calls the venue's public
 * REST API (depth snapshots, gap repair, history backfill): the venue limits per IP, not per caller, so
 * separate budgets per caller could each stay within their share and still, together, trip the limit.
 *
 * - Capacity: the venue's published limit per window, times `share` (half by default: the other half is
 *   left for instruments and any other client on the same IP).
 * - Two lanes: `urgent` (a book resync, a gap repair: something is wrong right now) and `background`
 *   (backfill). Urgent requests always go first; background ones go only while no urgent request waits,
 *   and only up to `backgroundShare` of the window, so a burst of resyncs finds weight left without
 *   waiting for the next window: the backfill yields.
 * - The venue's own count (a weight header such as `X-MBX-USED-WEIGHT-1M`) raises ours, whichever lane
 *   read it; a 429/418 `Retry-After` closes both lanes until then.
 * - Waiters are bounded per lane (`RestBudgetFullError` beyond it).
 */
import type { KnownVenue } from '@qt/shared';
import { RestBudgetFullError } from '../venues/rest/rest-budget.ts';

export type RestPriority = 'urgent' | 'background';

/** What `getJson` needs of a budget: the lane a caller holds is one. */
export interface RestBudgetPort {
  take(units: number, signal?: AbortSignal): Promise<void>;
  observeUsed(units: number): void;
  blockFor(ms: number): void;
}

export interface VenueRestBudgetOptions {
  venue: string;
  /** The venue's published limit per window (weight or requests). */
  capacity: number;
  windowMs: number;
  /** Fraction of `capacity` this engine may use; default 0.5. */
  share?: number;
  /** Fraction of our capacity the background lane may fill; default 0.75. */
  backgroundShare?: number;
  /** Waiters per lane at most; default 256. */
  maxWaiters?: number;
  now?: () => number;
}

interface Waiter {
  units: number;
  resolve(): void;
  reject(err: unknown): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

export interface VenueRestBudgetStats {
  /** Units granted per lane since start. */
  granted: Record<RestPriority, number>;
  waiting: Record<RestPriority, number>;
}

export class VenueRestBudget {
  readonly venue: string;
  /** Our units per window (published limit x share). */
  readonly capacity: number;
  readonly #backgroundCap: number;
  readonly #windowMs: number;
  readonly #maxWaiters: number;
  readonly #now: () => number;
  #windowStart = 0;
  #used = 0;
  #blockedUntil = 0;
  readonly #queues: Record<RestPriority, Waiter[]> = { urgent: [], background: [] };
  readonly #granted: Record<RestPriority, number> = { urgent: 0, background: 0 };
  #timer: NodeJS.Timeout | undefined;
  #timerAt = 0;
  readonly #lanes: Record<RestPriority, RestBudgetPort>;

  constructor(opts: VenueRestBudgetOptions) {
    this.venue = opts.venue;
    this.capacity = Math.max(1, Math.floor(opts.capacity * (opts.share ?? 0.5)));
    this.#backgroundCap = Math.max(1, Math.floor(this.capacity * (opts.backgroundShare ?? 0.75)));
    this.#windowMs = opts.windowMs;
    this.#maxWaiters = opts.maxWaiters ?? 256;
    this.#now = opts.now ?? Date.now;
    const lane = (p: RestPriority): RestBudgetPort => ({
      take: (units, signal) => this.take(p, units, signal),
      observeUsed: (units) => this.observeUsed(units),
      blockFor: (ms) => this.blockFor(ms),
    });
    this.#lanes = { urgent: lane('urgent'), background: lane('background') };
  }

  /** The view a caller of one priority holds (what `getJson` takes as its budget). */
  lane(priority: RestPriority): RestBudgetPort {
    return this.#lanes[priority];
  }

  /** Units counted in the current window (ours, or the venue's figure when higher). */
  get used(): number {
    this.#roll(this.#now());
    return this.#used;
  }

  get blockedUntil(): number {
    return this.#blockedUntil > this.#now() ? this.#blockedUntil : 0;
  }

  get stats(): VenueRestBudgetStats {
    return {
      granted: { ...this.#granted },
      waiting: { urgent: this.#queues.urgent.length, background: this.#queues.background.length },
    };
  }

  /** Resolves when `units` may be spent now on `priority`'s lane (and counts them). */
  take(priority: RestPriority, units: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const queue = this.#queues[priority];
    if (queue.length >= this.#maxWaiters) return Promise.reject(new RestBudgetFullError());
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = { units, resolve, reject, signal, onAbort: undefined };
      if (signal) {
        w.onAbort = () => {
          const i = queue.indexOf(w);
          if (i >= 0) queue.splice(i, 1);
          reject(signal.reason);
          this.#pump();
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      queue.push(w);
      this.#pump();
    });
  }

  /** The venue's own count for the window (a weight header): ours is raised to it, never lowered. */
  observeUsed(units: number): void {
    this.#roll(this.#now());
    if (Number.isFinite(units) && units > this.#used) this.#used = units;
  }

  /** The venue said to wait (429/418 Retry-After): nothing goes out, on either lane, until then. */
  blockFor(ms: number): void {
    const until = this.#now() + Math.max(0, ms);
    if (until > this.#blockedUntil) this.#blockedUntil = until;
    this.#pump();
  }

  /** Grants every waiter that fits now, urgent first; otherwise arms one timer for when one may. */
  #pump(): void {
    const now = this.#now();
    this.#roll(now);
    if (this.#blockedUntil > now) {
      this.#wakeAt(this.#blockedUntil);
      return;
    }
    for (;;) {
      const urgent = this.#queues.urgent[0];
      const bg = this.#queues.background[0];
      // A first request of a window always goes, even when heavier than the window (it would never fit).
      if (urgent && (this.#used + urgent.units <= this.capacity || this.#used === 0)) this.#grant('urgent');
      // The background lane goes only while no urgent request waits, and within its share.
      else if (!urgent && bg && (this.#used + bg.units <= this.#backgroundCap || this.#used === 0))
        this.#grant('background');
      else break;
    }
    if (this.#queues.urgent.length > 0 || this.#queues.background.length > 0)
      this.#wakeAt(this.#windowStart + this.#windowMs);
    else this.#clearTimer();
  }

  #grant(priority: RestPriority): void {
    const w = this.#queues[priority].shift() as Waiter;
    this.#used += w.units;
    this.#granted[priority] += w.units;
    if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort);
    w.resolve();
  }

  #wakeAt(at: number): void {
    if (this.#timer !== undefined && this.#timerAt === at) return;
    this.#clearTimer();
    this.#timerAt = at;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.#pump();
      },
      Math.max(1, Math.ceil(at - this.#now())),
    );
    this.#timer.unref?.();
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #roll(now: number): void {
    const start = now - (now % this.#windowMs);
    if (start !== this.#windowStart) {
      this.#windowStart = start;
      this.#used = 0;
    }
  }
}

/**
 * The venues' published public REST limits (per IP): Binance Spot 6,000 request weight per minute
 * (`X-MBX-USED-WEIGHT-1M`), OKX 20 requests per 2 s (history-candles and history-trades each publish
 * this; one shared count is the safe reading), Bybit 600 requests per 5 s.
 */
export const venueRestLimits: Record<KnownVenue, { capacity: number; windowMs: number }> = {
  binance: { capacity: 6_000, windowMs: 60_000 },
  okx: { capacity: 20, windowMs: 2_000 },
  bybit: { capacity: 600, windowMs: 5_000 },
};

/** One venue's shared budget at half its published limit. */
export function venueRestBudget(
  venue: KnownVenue,
  opts: Omit<VenueRestBudgetOptions, 'venue' | 'capacity' | 'windowMs'> = {},
): VenueRestBudget {
  return new VenueRestBudget({ venue, ...venueRestLimits[venue], ...opts });
}
