import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { getJson, RestBudgetFullError, VenueRestBudget, venueRestBudget } from '../../src/index.ts';

/** A budget of 10 units per second, all of it ours, background up to 5. */
function budget(opts: { maxWaiters?: number } = {}): VenueRestBudget {
  return new VenueRestBudget({
    venue: 'binance',
    capacity: 10,
    windowMs: 1_000,
    share: 1,
    backgroundShare: 0.5,
    now: () => Date.now(),
    ...opts,
  });
}

/** Resolves to the order in which the given takes were granted (by label). */
function track(order: string[], label: string, p: Promise<void>): Promise<void> {
  return p.then(() => {
    order.push(label);
  });
}

describe('VenueRestBudget: one REST budget per venue, urgent before background', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('background fills only its share; urgent still finds weight left in the same window', async () => {
    const b = budget();
    const order: string[] = [];
    const bg = Array.from({ length: 6 }, (_, i) => track(order, `bg${i}`, b.take('background', 1)));
    await vi.advanceTimersByTimeAsync(0);
    expect(order).toEqual(['bg0', 'bg1', 'bg2', 'bg3', 'bg4']);
    expect(b.stats.waiting.background).toBe(1);
    // The sixth background take waits, but an urgent one goes at once (5 + 3 <= 10).
    await track(order, 'urgent', b.take('urgent', 3));
    expect(order.at(-1)).toBe('urgent');
    expect(b.used).toBe(8);
    await vi.advanceTimersByTimeAsync(1_000);
    await Promise.all(bg);
    expect(order.at(-1)).toBe('bg5');
    expect(b.stats.granted).toEqual({ urgent: 3, background: 6 });
  });

  it('an urgent request waiting for the next window holds the background lane behind it', async () => {
    const b = budget();
    await b.take('urgent', 10);
    const order: string[] = [];
    // The background request asked first, the urgent one second: urgent is granted first.
    const waiting = [
      track(order, 'background', b.take('background', 1)),
      track(order, 'urgent', b.take('urgent', 1)),
    ];
    await vi.advanceTimersByTimeAsync(999);
    expect(order).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await Promise.all(waiting);
    expect(order).toEqual(['urgent', 'background']);
  });

  it("the venue's weight header counts for both lanes; Retry-After closes both", async () => {
    const b = budget();
    b.observeUsed(7);
    expect(b.used).toBe(7);
    // 7 + 1 > 5: background waits for the next window; 7 + 1 <= 10: urgent goes.
    const order: string[] = [];
    const bg = track(order, 'background', b.take('background', 1));
    await track(order, 'urgent', b.take('urgent', 1));
    expect(order).toEqual(['urgent']);
    // A lower header never lowers our count.
    b.observeUsed(2);
    expect(b.used).toBe(8);
    await vi.advanceTimersByTimeAsync(1_000);
    await bg;
    expect(order).toEqual(['urgent', 'background']);

    b.blockFor(2_500);
    const blocked: string[] = [];
    const u = track(blocked, 'urgent', b.take('urgent', 1));
    await vi.advanceTimersByTimeAsync(2_400);
    expect(blocked).toEqual([]);
    await vi.advanceTimersByTimeAsync(100);
    await u;
    expect(blocked).toEqual(['urgent']);
  });

  it('bounds its waiters and lets an aborted waiter go', async () => {
    const b = budget({ maxWaiters: 2 });
    await b.take('background', 5);
    const abort = new AbortController();
    const first = b.take('background', 1, abort.signal);
    const second = b.take('background', 1);
    await expect(b.take('background', 1)).rejects.toBeInstanceOf(RestBudgetFullError);
    abort.abort(new Error('gone'));
    await expect(first).rejects.toThrow('gone');
    expect(b.stats.waiting.background).toBe(1);
    await vi.advanceTimersByTimeAsync(1_000);
    await second;
    expect(b.stats.waiting.background).toBe(0);
  });

  it('getJson on a lane feeds the weight header into the shared budget', async () => {
    const b = venueRestBudget('binance', { now: () => Date.now() });
    expect(b.capacity).toBe(3_000);
    const fetch = vi.fn(
      async () => new Response('[]', { status: 200, headers: { 'x-mbx-used-weight-1m': '2900' } }),
    ) as unknown as typeof globalThis.fetch;
    const counters = { requests: 0, throttled: 0 };
    await getJson(
      { restEndpoints: ['http://venue.test'], budget: b.lane('background'), fetch },
      '/api/v3/aggTrades?symbol=BTCUSDT',
      { weight: 4, usedWeightHeader: 'x-mbx-used-weight-1m' },
      counters,
    );
    expect(b.used).toBe(2_900);
    // Another caller on the urgent lane sees the same count: 2900 + 50 <= 3000 goes, 100 more waits.
    await b.take('urgent', 50);
    const order: string[] = [];
    const later = track(order, 'urgent', b.take('urgent', 100));
    await vi.advanceTimersByTimeAsync(0);
    expect(order).toEqual([]);
    await vi.advanceTimersByTimeAsync(60_000);
    await later;
    expect(order).toEqual(['urgent']);
  });
});
