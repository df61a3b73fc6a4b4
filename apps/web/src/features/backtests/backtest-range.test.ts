import { describe, expect, it } from 'vitest';
import {
  defaultInterval,
  defaultRange,
  extentOf,
  fitRange,
  fromLocalInput,
  rangeProblem,
  toLocalInput,
} from './backtest-range';

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

describe('defaults that fit the stored data', () => {
  const at = (h: number, m: number, s = 0) => new Date(2025, 0, 1, h, m, s).getTime();

  it('reads the extent of closed candles only', () => {
    const page = [
      { openTime: at(10, 0, 30), closed: true },
      { openTime: at(10, 0, 31), closed: true },
      { openTime: at(10, 40, 2), closed: true },
      { openTime: at(10, 40, 3), closed: false },
    ];
    expect(extentOf(page, false)).toEqual({
      first: at(10, 0, 30),
      last: at(10, 40, 2),
      candles: 3,
      more: false,
    });
    expect(extentOf([{ openTime: 1, closed: false }], true)).toBeNull();
  });

  it('fits a range inside the data in whole minutes', () => {
    const extent = { first: at(10, 0, 30), last: at(10, 40, 2), candles: 2_000, more: false };
    expect(fitRange(extent, '1s')).toEqual({ from: at(10, 1), to: at(10, 40) });
    // 1m candles: the last one's end is a whole minute already.
    expect(fitRange({ ...extent, first: at(9, 0), last: at(10, 39) }, '1m')).toEqual({
      from: at(9, 0),
      to: at(10, 40),
    });
    // Under two candles once rounded inwards (54 s of 1s data): the whole minutes around the data.
    expect(fitRange({ ...extent, first: at(10, 0, 30), last: at(10, 1, 23) }, '1s')).toEqual({
      from: at(10, 0),
      to: at(10, 2),
    });
    // A single candle: nothing to offer.
    expect(fitRange({ ...extent, first: at(10, 0, 30), last: at(10, 0, 30) }, '1s')).toBeNull();
  });

  it('defaults to 1m only when enough 1m candles are stored', () => {
    expect(defaultInterval(null)).toBe('1s');
    expect(defaultInterval({ first: 0, last: 0, candles: 29, more: false })).toBe('1s');
    expect(defaultInterval({ first: 0, last: 0, candles: 30, more: false })).toBe('1m');
  });
});
