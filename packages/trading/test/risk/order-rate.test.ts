import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SlidingWindowLimiter } from '../../src/risk/sliding-window.ts';
import { context, engineAt, limitOrder, outcome } from './fixtures.ts';

const rates = { maxOrdersPerSecond: 3, maxOrdersPerMinute: 10 };

describe('RISK_ORDER_RATE', () => {
  it('accepts a burst of exactly the per-second limit and rejects the next order', () => {
    const { engine } = engineAt();
    const ctx = context({}, rates);
    for (let i = 0; i < 3; i++) expect(outcome(engine.check(limitOrder(), ctx))).toBe('ok');
    const decision = engine.check(limitOrder(), ctx);
    expect(outcome(decision)).toBe('RISK_ORDER_RATE');
    if (decision.ok) return;
    expect(decision.rejection.details).toEqual({ limit: 3, windowMs: 1_000, retryAfterMs: 1_000 });
    expect(decision.rejection.message).toMatch(
      /may send 3 per second\. Slow down; the next order is accepted in 1000 ms/,
    );
  });

  it('gives a burst across a second boundary no second helping', () => {
    const { clock, engine } = engineAt(1_741_608_000_999); // ends in .999 s
    const ctx = context({}, rates);
    for (let i = 0; i < 3; i++) expect(outcome(engine.check(limitOrder(), ctx))).toBe('ok');
    clock.advance(1); // a fixed window would start afresh here
    expect(outcome(engine.check(limitOrder(), ctx))).toBe('RISK_ORDER_RATE');
    clock.advance(998);
    expect(outcome(engine.check(limitOrder(), ctx))).toBe('RISK_ORDER_RATE');
    clock.advance(1); // a full second after the burst
    expect(outcome(engine.check(limitOrder(), ctx))).toBe('ok');
  });

  it('applies the per-minute limit on top of the per-second one', () => {
    const { clock, engine } = engineAt();
    const ctx = context({}, rates);
    for (let i = 0; i < 10; i++) {
      expect(outcome(engine.check(limitOrder(), ctx))).toBe('ok');
      clock.advance(400);
    }
    const decision = engine.check(limitOrder(), ctx);
    expect(decision.ok ? null : decision.rejection.details).toEqual({
      limit: 10,
      windowMs: 60_000,
      retryAfterMs: 60_000 - 4_000,
    });
    clock.advance(60_000 - 4_000);
    expect(outcome(engine.check(limitOrder(), ctx))).toBe('ok');
  });

  it('counts orders admitted by the limiter even when a later check rejects them', () => {
    const { engine } = engineAt();
    const ctx = context({ lastPrice: null }, rates);
    const market = limitOrder({ type: 'market', price: null, timeInForce: 'IOC' });
    for (let i = 0; i < 3; i++) expect(outcome(engine.check(market, ctx))).toBe('RISK_NO_REFERENCE_PRICE');
    expect(outcome(engine.check(limitOrder(), ctx))).toBe('RISK_ORDER_RATE');
  });

  it('keeps recent orders when the limit changes', () => {
    const { engine } = engineAt();
    for (let i = 0; i < 3; i++) engine.check(limitOrder(), context({}, rates));
    const lower = context({}, { ...rates, maxOrdersPerSecond: 2 });
    expect(outcome(engine.check(limitOrder(), lower))).toBe('RISK_ORDER_RATE');
    expect(engine.view(lower).usage.ordersLastSecond).toBe(3); // all still count against the new limit
    const higher = context({}, { ...rates, maxOrdersPerSecond: 4 });
    expect(outcome(engine.check(limitOrder(), higher))).toBe('ok');
    expect(outcome(engine.check(limitOrder(), higher))).toBe('RISK_ORDER_RATE');
  });
});

describe('the sliding window (property)', () => {
  // Arrival gaps in ms: many zeros (bursts), many around a window length (boundaries).
  const gaps = fc.array(
    fc.oneof(
      fc.constant(0),
      fc.integer({ min: 0, max: 5 }),
      fc.integer({ min: 990, max: 1_010 }),
      fc.nat(70_000),
    ),
    { maxLength: 300 },
  );

  it('never admits more than the limit in any window, and refuses only when the window is full', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 3_000 }),
        gaps,
        (limit, windowMs, g) => {
          const limiter = new SlidingWindowLimiter(limit, windowMs);
          const admitted: number[] = [];
          let t = 1_700_000_000_000;
          for (const gap of g) {
            t += gap;
            const inWindow = admitted.filter((a) => a > t - windowMs).length;
            const allowed = limiter.allows(t);
            expect(allowed).toBe(inWindow < limit); // exact: no false refusals either
            if (allowed) {
              limiter.record(t);
              admitted.push(t);
            }
            expect(limiter.used(t)).toBe(Math.min(inWindow + (allowed ? 1 : 0), limit));
          }
          // Every window [a, a + windowMs) that starts at an admission holds at most `limit` admissions.
          for (const start of admitted) {
            expect(admitted.filter((a) => a >= start && a < start + windowMs).length).toBeLessThanOrEqual(
              limit,
            );
          }
        },
      ),
    );
  });

  it('holds through the engine for both windows at once, under bursts across boundaries', () => {
    fc.assert(
      fc.property(gaps, (g) => {
        const { clock, engine } = engineAt(1_741_608_000_000);
        const ctx = context({}, rates);
        const admitted: number[] = [];
        for (const gap of g) {
          clock.advance(gap);
          if (engine.check(limitOrder(), ctx).ok) admitted.push(clock.now());
        }
        for (const start of admitted) {
          const within = (ms: number) => admitted.filter((a) => a >= start && a < start + ms).length;
          expect(within(1_000)).toBeLessThanOrEqual(rates.maxOrdersPerSecond);
          expect(within(60_000)).toBeLessThanOrEqual(rates.maxOrdersPerMinute);
        }
      }),
    );
  });
});
