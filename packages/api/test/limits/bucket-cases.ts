import { ManualClock, type RateBudget } from '@qt/shared';
import { expect, it } from 'vitest';
import { type BucketStore, bucketSpec } from '../../src/limits/gcra.ts';

/**
 * The bucket arithmetic, as cases any store must pass (the memory store in a unit test, the Redis
 * script in an integration test) with an injected clock. `store(clock, tag)` gives a fresh store reading
 * `clock`; `tag` keeps keys of different cases apart in a shared store.
 */
export function bucketCases(store: (clock: ManualClock) => BucketStore): void {
  const T0 = Date.UTC(2026, 11, 7, 12, 0, 0);
  let n = 0;
  const key = (name: string) => `case-${process.pid}-${Date.now()}-${n++}-${name}`;
  // 600 per 60 s: one unit every 100 ms; 120 at once.
  const budget: RateBudget = { limit: 600, windowSeconds: 60, burst: 120 };

  async function take(s: BucketStore, k: string, cost = 1, b = budget) {
    const r = await s.take([k], [bucketSpec(b, cost)]);
    return { ...(r.buckets[0] as NonNullable<(typeof r.buckets)[0]>), allowed: r.allowed };
  }

  it('a full bucket lets exactly `burst` units through at once, then refuses', async () => {
    const clock = new ManualClock(T0);
    const s = store(clock);
    const k = key('burst');
    const answers = [];
    for (let i = 0; i < 130; i++) answers.push((await take(s, k)).allowed);
    expect(answers.filter(Boolean)).toHaveLength(120);
    expect(answers.slice(0, 120).every(Boolean)).toBe(true);
    const refused = await take(s, k);
    expect(refused.allowed).toBe(false);
    expect(refused.remaining).toBe(0);
    // The next unit is earned 100 ms later.
    expect(refused.retryUs).toBe(100_000);
  });

  it('refills one unit per emission interval, never above the burst', async () => {
    const clock = new ManualClock(T0);
    const s = store(clock);
    const k = key('refill');
    for (let i = 0; i < 120; i++) await take(s, k);
    clock.advance(99);
    expect((await take(s, k)).allowed).toBe(false);
    clock.advance(1);
    const one = await take(s, k);
    expect(one.allowed).toBe(true);
    expect(one.remaining).toBe(0);
    expect((await take(s, k)).allowed).toBe(false);
    // An hour idle: full again, but only `burst`, not an hour's worth.
    clock.advance(3_600_000);
    const full = await take(s, k);
    expect(full.remaining).toBe(119);
    expect(full.resetUs).toBe(100_000);
  });

  it('sustained: over 60 s, burst + limit units pass, whatever the window boundaries', async () => {
    const clock = new ManualClock(T0 + 59_950);
    const s = store(clock);
    const k = key('sustained');
    let passed = 0;
    // One attempt every 10 ms from 0 to 60 s inclusive (10x the rate), straddling a minute boundary: a
    // unit is earned at 100 ms, 200 ms, ... 60 s.
    for (let i = 0; i <= 6_000; i++) {
      if ((await take(s, k)).allowed) passed++;
      clock.advance(10);
    }
    expect(passed).toBe(120 + 600);
  });

  it('weights: a call of weight 5 costs five units, and is refused whole when fewer are left', async () => {
    const clock = new ManualClock(T0);
    const s = store(clock);
    const k = key('weights');
    for (let i = 0; i < 23; i++) expect((await take(s, k, 5)).allowed).toBe(true);
    const left = await take(s, k, 1);
    expect(left.remaining).toBe(4);
    const heavy = await take(s, k, 5);
    expect(heavy.allowed).toBe(false);
    expect(heavy.retryUs).toBe(100_000);
    expect(heavy.remaining).toBe(4);
    // The refusal spent nothing: four cheap calls still pass.
    for (let i = 0; i < 4; i++) expect((await take(s, k, 1)).allowed).toBe(true);
  });

  it('a call heavier than the burst is never allowed', async () => {
    const clock = new ManualClock(T0);
    const s = store(clock);
    const tiny: RateBudget = { limit: 60, windowSeconds: 60, burst: 3 };
    expect((await take(s, key('heavy'), 4, tiny)).allowed).toBe(false);
    expect((await take(s, key('heavy-ok'), 3, tiny)).allowed).toBe(true);
  });

  it('several buckets: all or nothing (a refusal by the tenant bucket does not spend the key bucket)', async () => {
    const clock = new ManualClock(T0);
    const s = store(clock);
    const keyBucket = key('k');
    const tenantBucket = key('t');
    const small: RateBudget = { limit: 60, windowSeconds: 60, burst: 2 };
    const specs = [bucketSpec(budget, 1), bucketSpec(small, 1)];
    expect((await s.take([keyBucket, tenantBucket], specs)).allowed).toBe(true);
    expect((await s.take([keyBucket, tenantBucket], specs)).allowed).toBe(true);
    const refused = await s.take([keyBucket, tenantBucket], specs);
    expect(refused.allowed).toBe(false);
    expect(refused.buckets[0]?.allowed).toBe(true);
    expect(refused.buckets[1]?.allowed).toBe(false);
    // The key bucket was charged twice, not three times.
    expect(refused.buckets[0]?.remaining).toBe(118);
    expect((await take(s, keyBucket)).remaining).toBe(117);
  });

  it('a fraction of the budget (the Redis-down fallback) scales rate and burst', async () => {
    const clock = new ManualClock(T0);
    const s = store(clock);
    const k = key('fraction');
    let passed = 0;
    for (let i = 0; i < 100; i++) if ((await s.take([k], [bucketSpec(budget, 1, 0.25)])).allowed) passed++;
    expect(passed).toBe(30);
    clock.advance(400);
    expect((await s.take([k], [bucketSpec(budget, 1, 0.25)])).allowed).toBe(true);
    expect((await s.take([k], [bucketSpec(budget, 1, 0.25)])).allowed).toBe(false);
  });
}
