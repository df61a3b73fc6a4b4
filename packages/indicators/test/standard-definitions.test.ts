import { describe, expect, it } from 'vitest';
import { computeIndicator, Donchian, Ichimoku, Keltner, Vwap } from '../src/index.ts';
import { randomOhlcv, SERIES } from './fixtures.ts';

// VWAP, Ichimoku, Donchian and Keltner have no TA-Lib function. Each is checked against a naive
// recomputation written differently (whole-window loops, O(n x period)) and against a few values by hand.

const close = (a: number, b: number, tol = 1e-9) => Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));

function windowOf(a: Float64Array, end: number, len: number): number[] {
  return Array.from(a.subarray(end - len + 1, end + 1));
}

function expectSeries(ours: Float64Array | undefined, naive: number[], label: string): void {
  expect(ours?.length).toBe(naive.length);
  for (let i = 0; i < naive.length; i++) {
    const a = ours?.[i] as number;
    const b = naive[i] as number;
    if (Number.isNaN(b)) expect(a, `${label}[${i}]`).toBeNaN();
    else expect(close(a, b), `${label}[${i}]: ${a} vs ${b}`).toBe(true);
  }
}

describe('VWAP', () => {
  it('equals the cumulative sum of typical price x volume over volume', () => {
    for (const { data } of SERIES) {
      const ours = computeIndicator('vwap', {}, data).value as Float64Array;
      const naive = Array.from(data.close, (_, i) => {
        let pv = 0;
        let v = 0;
        for (let j = 0; j <= i; j++) {
          const tp = ((data.high[j] as number) + (data.low[j] as number) + (data.close[j] as number)) / 3;
          pv += tp * (data.volume[j] as number);
          v += data.volume[j] as number;
        }
        return v > 0
          ? pv / v
          : ((data.high[i] as number) + (data.low[i] as number) + (data.close[i] as number)) / 3;
      });
      expectSeries(ours, naive, 'vwap');
    }
  });

  it('restarts at each anchor period boundary', () => {
    const data = randomOhlcv(11, 400);
    const hour = 3_600_000;
    const ours = computeIndicator('vwap', { anchorMs: hour }, data).value as Float64Array;
    const naive = Array.from(data.close, (_, i) => {
      let pv = 0;
      let v = 0;
      const session = Math.floor((data.time[i] as number) / hour);
      for (let j = i; j >= 0 && Math.floor((data.time[j] as number) / hour) === session; j--) {
        pv +=
          (((data.high[j] as number) + (data.low[j] as number) + (data.close[j] as number)) / 3) *
          (data.volume[j] as number);
        v += data.volume[j] as number;
      }
      return v > 0
        ? pv / v
        : ((data.high[i] as number) + (data.low[i] as number) + (data.close[i] as number)) / 3;
    });
    expectSeries(ours, naive, 'anchored vwap');
  });

  it('matches values worked by hand', () => {
    const v = new Vwap(1000);
    expect(v.update(12, 8, 10, 100, 0)).toBe(10); // tp 10
    expect(v.update(23, 17, 20, 300, 500)).toBe(17.5); // (10*100 + 20*300) / 400
    expect(v.update(7, 5, 6, 50, 1000)).toBe(6); // new session
    expect(v.update(9, 7, 8, 0, 1200)).toBe(6); // no volume: unchanged
  });
});

describe('Donchian channels', () => {
  it('equal the highest high / lowest low of each window', () => {
    for (const { data } of SERIES) {
      for (const period of [1, 5, 20, 55]) {
        const ours = computeIndicator('donchian', { period }, data);
        const up: number[] = [];
        const lo: number[] = [];
        const mid: number[] = [];
        for (let i = 0; i < data.close.length; i++) {
          if (i < period - 1) {
            up.push(Number.NaN);
            lo.push(Number.NaN);
            mid.push(Number.NaN);
            continue;
          }
          const h = Math.max(...windowOf(data.high, i, period));
          const l = Math.min(...windowOf(data.low, i, period));
          up.push(h);
          lo.push(l);
          mid.push((h + l) / 2);
        }
        expectSeries(ours.upper, up, `upper ${period}`);
        expectSeries(ours.lower, lo, `lower ${period}`);
        expectSeries(ours.middle, mid, `middle ${period}`);
      }
    }
  });

  it('matches values worked by hand', () => {
    const d = new Donchian(3);
    d.update(10, 8);
    expect(d.update(12, 9)).toBeNaN();
    expect(d.update(11, 7)).toBe(9.5); // max 12, min 7
    expect(d.upper).toBe(12);
    d.update(10, 9.5);
    expect([d.upper, d.lower]).toEqual([12, 7]);
    d.update(10.5, 9.8); // the 12 and the 7 have left
    expect([d.upper, d.lower]).toEqual([11, 7]);
    d.update(10.2, 9.9);
    expect([d.upper, d.lower]).toEqual([10.5, 9.5]);
  });
});

/** EMA by definition: SMA of the first `period` values, then x*k + prev*(1-k) written as a fold. */
function naiveEma(xs: number[], period: number): number[] {
  const k = 2 / (period + 1);
  return xs.map((_, i) => {
    if (i < period - 1) return Number.NaN;
    let e = xs.slice(0, period).reduce((s, x) => s + x, 0) / period;
    for (let j = period; j <= i; j++) e = (xs[j] as number) * k + e * (1 - k);
    return e;
  });
}

/** Wilder ATR by definition, recomputed from scratch at every bar. */
function naiveAtr(h: Float64Array, l: Float64Array, c: Float64Array, period: number): number[] {
  const tr = (j: number) =>
    Math.max(
      (h[j] as number) - (l[j] as number),
      Math.abs((h[j] as number) - (c[j - 1] as number)),
      Math.abs((l[j] as number) - (c[j - 1] as number)),
    );
  return Array.from(c, (_, i) => {
    if (i < period) return Number.NaN;
    let atr = 0;
    for (let j = 1; j <= period; j++) atr += tr(j);
    atr /= period;
    for (let j = period + 1; j <= i; j++) atr = (atr * (period - 1) + tr(j)) / period;
    return atr;
  });
}

describe('Keltner channels', () => {
  it('equal EMA(close) +/- multiplier x Wilder ATR', () => {
    for (const { data } of SERIES.slice(0, 2)) {
      for (const [period, atrPeriod, multiplier] of [
        [20, 10, 2],
        [5, 14, 1.5],
      ] as const) {
        const ours = computeIndicator('keltner', { period, atrPeriod, multiplier }, data);
        const ema = naiveEma(Array.from(data.close), period);
        const atr = naiveAtr(data.high, data.low, data.close, atrPeriod);
        const lookback = Math.max(period - 1, atrPeriod);
        const mid = ema.map((e, i) => (i < lookback ? Number.NaN : e));
        expectSeries(ours.middle, mid, 'middle');
        expectSeries(
          ours.upper,
          mid.map((m, i) => m + multiplier * (atr[i] as number)),
          'upper',
        );
        expectSeries(
          ours.lower,
          mid.map((m, i) => m - multiplier * (atr[i] as number)),
          'lower',
        );
      }
    }
  });

  it('matches values worked by hand', () => {
    const k = new Keltner(2, 1, 2);
    expect(k.update(11, 9, 10)).toBeNaN(); // no previous close yet: no true range
    // EMA(2) seed = (10 + 12) / 2 = 11; TR = max(13-11, |13-10|, |11-10|) = 3; ATR(1) = 3
    expect(k.update(13, 11, 12)).toBe(11);
    expect([k.upper, k.lower]).toEqual([17, 5]);
  });
});

describe('Ichimoku', () => {
  it('equals the mid-ranges of each window, the spans shifted forward by the displacement', () => {
    for (const { data } of SERIES.slice(0, 2)) {
      for (const [t, k, b, disp] of [
        [9, 26, 52, 26],
        [3, 5, 8, 4],
      ] as const) {
        const ours = computeIndicator(
          'ichimoku',
          { tenkan: t, kijun: k, senkouB: b, displacement: disp },
          data,
        );
        const mid = (i: number, len: number) =>
          (Math.max(...windowOf(data.high, i, len)) + Math.min(...windowOf(data.low, i, len))) / 2;
        const lookback = Math.max(t, k, b) - 1 + disp;
        const n = data.close.length;
        const nan = (f: (i: number) => number) =>
          Array.from({ length: n }, (_, i) => (i < lookback ? Number.NaN : f(i)));
        expectSeries(
          ours.tenkan,
          nan((i) => mid(i, t)),
          'tenkan',
        );
        expectSeries(
          ours.kijun,
          nan((i) => mid(i, k)),
          'kijun',
        );
        expectSeries(
          ours.senkouA,
          nan((i) => (mid(i - disp, t) + mid(i - disp, k)) / 2),
          'senkouA',
        );
        expectSeries(
          ours.senkouB,
          nan((i) => mid(i - disp, b)),
          'senkouB',
        );
        expectSeries(
          ours.chikou,
          nan((i) => data.close[i] as number),
          'chikou',
        );
      }
    }
  });

  it('matches values worked by hand', () => {
    const ich = new Ichimoku(2, 3, 4, 1); // lookback 4
    const bars: Array<[number, number, number]> = [
      [10, 8, 9],
      [12, 9, 11],
      [11, 7, 8],
      [13, 10, 12],
      [14, 11, 13],
    ];
    for (const [h, l, c] of bars) ich.update(h, l, c);
    expect(ich.tenkan).toBe((14 + 10) / 2); // bars 3-4
    expect(ich.kijun).toBe((14 + 7) / 2); // bars 2-4
    // computed one bar earlier (bar 3): tenkan (13+7)/2 = 10, kijun (13+7)/2 = 10, senkouB (13+7)/2 = 10
    expect(ich.senkouA).toBe(10);
    expect(ich.senkouB).toBe(10);
    expect(ich.chikou).toBe(13);
  });
});
