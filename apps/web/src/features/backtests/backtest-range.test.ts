import { describe, expect, it } from 'vitest';
import { defaultRange, fromLocalInput, rangeProblem, toLocalInput } from './backtest-range';

describe('defaultRange', () => {
  it('covers the last two hours up to the next whole minute', () => {
    const now = new Date(2025, 0, 1, 10, 30, 15).getTime();
    const range = defaultRange(now);
    expect(range.to).toBe(new Date(2025, 0, 1, 10, 31).getTime());
    expect(range.to - range.from).toBe(2 * 3_600_000);
    expect(range.to).toBeGreaterThanOrEqual(now);
  });
});

describe('datetime-local values', () => {
  it('round-trips a minute in local time', () => {
    const t = new Date(2025, 5, 9, 7, 5).getTime();
    expect(toLocalInput(t)).toBe('2025-06-09T07:05');
    expect(fromLocalInput(toLocalInput(t))).toBe(t);
  });

  it('accepts seconds, and refuses text and impossible dates', () => {
    expect(fromLocalInput('2025-06-09T07:05:30')).toBe(new Date(2025, 5, 9, 7, 5, 30).getTime());
    expect(fromLocalInput('')).toBeNull();
    expect(fromLocalInput('yesterday')).toBeNull();
    expect(fromLocalInput('2025-02-30T10:00')).toBeNull();
  });
});

describe('rangeProblem', () => {
  const now = Date.UTC(2025, 0, 1, 12);
  it('accepts two hours of one-second candles', () => {
    expect(rangeProblem({ from: now - 7_200_000, to: now }, '1s', now)).toBeNull();
  });

  it('refuses an empty, reversed, future or too large range', () => {
    expect(rangeProblem({ from: now, to: now }, '1m', now)).toMatch(/after/);
    expect(rangeProblem({ from: now + 60_000, to: now + 120_000 }, '1s', now)).toMatch(/future/);
    expect(rangeProblem({ from: now - 60_000, to: now }, '1m', now)).toMatch(/less than two/);
    expect(rangeProblem({ from: now - 7 * 86_400_000, to: now }, '1s', now)).toMatch(/shorter range/);
  });
});
