import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { computeIndicator, createIndicator, type IndicatorName, indicatorCatalog } from '../src/index.ts';
import { firstDefined, type Ohlcv, SERIES } from './fixtures.ts';

// TA-Lib 0.4 (C) through its node binding: the reference these indicators promise to match.
const talib = createRequire(import.meta.url)('talib') as {
  execute(args: Record<string, unknown>): {
    begIndex: number;
    nbElement: number;
    result: Record<string, number[]>;
  };
};

/**
 * Tolerance: |ours - talib| <= 1e-9 x max(|talib|, scale), scale = mean |talib| of that output. A purely
 * relative bound is meaningless where an output crosses zero (MACD, MOM, slopes), hence the scale floor.
 * Most outputs match to the last bit since the classes replay TA-Lib's arithmetic; LINEARREG differs by
 * rounding only (O(1) running sums instead of TA-Lib's per-bar O(period) sums).
 */
const REL = 1e-9;

interface Case {
  kind: IndicatorName;
  params: Record<string, number>;
  talib: string;
  opts: Record<string, number>;
  /** our output name -> TA-Lib output name */
  outputs: Record<string, string>;
}

const cases: Case[] = [];
const add = (
  kind: IndicatorName,
  talibName: string,
  paramSets: Array<Record<string, number>>,
  toOpts: (p: Record<string, number>) => Record<string, number>,
  outputs: Record<string, string> = { value: 'outReal' },
) => {
  for (const params of paramSets)
    cases.push({ kind, params, talib: talibName, opts: toOpts(params), outputs });
};
const periods = (...ps: number[]) => ps.map((period) => ({ period }));
const tp = (p: Record<string, number>) => ({ optInTimePeriod: p.period as number });

add('sma', 'SMA', periods(2, 5, 30, 200), tp);
add('ema', 'EMA', periods(2, 9, 30, 200), tp);
add('wma', 'WMA', periods(2, 10, 30), tp);
add('dema', 'DEMA', periods(2, 10, 30), tp);
add('tema', 'TEMA', periods(2, 10, 30), tp);
add('trima', 'TRIMA', periods(2, 3, 10, 11, 30), tp);
add('kama', 'KAMA', periods(2, 10, 30), tp);
add('rsi', 'RSI', periods(2, 14, 50), tp);
add(
  'macd',
  'MACD',
  [
    { fast: 12, slow: 26, signal: 9 },
    { fast: 5, slow: 35, signal: 5 },
    { fast: 2, slow: 3, signal: 2 },
  ],
  (p) => ({
    optInFastPeriod: p.fast as number,
    optInSlowPeriod: p.slow as number,
    optInSignalPeriod: p.signal as number,
  }),
  { macd: 'outMACD', signal: 'outMACDSignal', histogram: 'outMACDHist' },
);
add(
  'bbands',
  'BBANDS',
  [
    { period: 5, nbDevUp: 2, nbDevDn: 2 },
    { period: 20, nbDevUp: 1, nbDevDn: 1 },
    { period: 20, nbDevUp: 2.5, nbDevDn: 1.5 },
  ],
  (p) => ({
    optInTimePeriod: p.period as number,
    optInNbDevUp: p.nbDevUp as number,
    optInNbDevDn: p.nbDevDn as number,
    optInMAType: 0,
  }),
  { middle: 'outRealMiddleBand', upper: 'outRealUpperBand', lower: 'outRealLowerBand' },
);
add('atr', 'ATR', periods(1, 14, 30), tp);
add('natr', 'NATR', periods(2, 14, 30), tp);
add('trange', 'TRANGE', [{}], () => ({}));
add('adx', 'ADX', periods(2, 14, 30), tp, { adx: 'outReal' });
add(
  'stoch',
  'STOCH',
  [
    { fastK: 5, slowK: 3, slowD: 3 },
    { fastK: 14, slowK: 1, slowD: 5 },
    { fastK: 1, slowK: 1, slowD: 1 },
  ],
  (p) => ({
    optInFastK_Period: p.fastK as number,
    optInSlowK_Period: p.slowK as number,
    optInSlowK_MAType: 0,
    optInSlowD_Period: p.slowD as number,
    optInSlowD_MAType: 0,
  }),
  { k: 'outSlowK', d: 'outSlowD' },
);
add(
  'stochrsi',
  'STOCHRSI',
  [
    { period: 14, fastK: 5, fastD: 3 },
    { period: 14, fastK: 14, fastD: 3 },
    { period: 5, fastK: 1, fastD: 1 },
  ],
  (p) => ({
    optInTimePeriod: p.period as number,
    optInFastK_Period: p.fastK as number,
    optInFastD_Period: p.fastD as number,
    optInFastD_MAType: 0,
  }),
  { k: 'outFastK', d: 'outFastD' },
);
add('cci', 'CCI', periods(2, 14, 40), tp);
add('roc', 'ROC', periods(1, 10, 30), tp);
add('mom', 'MOM', periods(1, 10, 30), tp);
add('willr', 'WILLR', periods(2, 14, 40), tp);
add('obv', 'OBV', [{}], () => ({}));
add('mfi', 'MFI', periods(2, 14, 40), tp);
add(
  'sar',
  'SAR',
  [
    { acceleration: 0.02, maximum: 0.2 },
    { acceleration: 0.05, maximum: 0.5 },
    { acceleration: 0.3, maximum: 0.2 },
  ],
  (p) => ({
    optInAcceleration: p.acceleration as number,
    optInMaximum: p.maximum as number,
  }),
);
add(
  'stddev',
  'STDDEV',
  [
    { period: 5, nbDev: 1 },
    { period: 20, nbDev: 2 },
    { period: 2, nbDev: 1 },
  ],
  (p) => ({
    optInTimePeriod: p.period as number,
    optInNbDev: p.nbDev as number,
  }),
);
add('linreg', 'LINEARREG', periods(2, 14, 50), tp, { value: 'outReal' });
add('linreg', 'LINEARREG_SLOPE', periods(2, 14, 50), tp, { slope: 'outReal' });
add('aroon', 'AROON', periods(2, 14, 25), tp, { up: 'outAroonUp', down: 'outAroonDown' });
add('aroon', 'AROONOSC', periods(2, 14, 25), tp, { oscillator: 'outReal' });

function talibRun(c: Case, d: Ohlcv) {
  const n = d.close.length;
  return talib.execute({
    name: c.talib,
    startIdx: 0,
    endIdx: n - 1,
    inReal: Array.from(d.close),
    open: Array.from(d.close),
    high: Array.from(d.high),
    low: Array.from(d.low),
    close: Array.from(d.close),
    volume: Array.from(d.volume),
    ...c.opts,
  });
}

function compare(ours: Float64Array, ref: number[], begIndex: number, label: string): void {
  expect(firstDefined(ours), `${label}: first defined index`).toBe(begIndex);
  expect(ours.length - begIndex, `${label}: number of values`).toBe(ref.length);
  let scale = 0;
  for (const v of ref) scale += Math.abs(v);
  scale /= Math.max(1, ref.length);
  let worst = 0;
  let worstAt = -1;
  for (let i = 0; i < ref.length; i++) {
    const a = ours[begIndex + i] as number;
    const b = ref[i] as number;
    const err = Math.abs(a - b) / Math.max(Math.abs(b), scale, Number.MIN_VALUE);
    if (!(err <= worst)) {
      worst = err;
      worstAt = i;
    }
  }
  expect(
    worst,
    `${label}: worst relative error at output ${worstAt} (ours ${ours[begIndex + worstAt]}, TA-Lib ${ref[worstAt]})`,
  ).toBeLessThanOrEqual(REL);
}

describe('every TA-Lib-backed indicator matches TA-Lib', () => {
  it('covers every catalog entry that names a TA-Lib function', () => {
    const covered = new Set(cases.map((c) => c.kind));
    const backed = Object.values(indicatorCatalog)
      .filter((s) => s.talibName !== null)
      .map((s) => s.name);
    expect(backed.filter((k) => !covered.has(k))).toEqual([]);
  });

  for (const c of cases) {
    it(`${c.kind} ${JSON.stringify(c.params)} equals TA-Lib ${c.talib}`, () => {
      for (const { name, data } of SERIES) {
        const ref = talibRun(c, data);
        const ours = computeIndicator(c.kind, c.params, data);
        expect(createIndicator(c.kind, c.params).lookback, `${name}: lookback`).toBe(ref.begIndex);
        for (const [output, refName] of Object.entries(c.outputs)) {
          const refValues = ref.result[refName];
          expect(refValues, `TA-Lib output ${refName}`).toBeDefined();
          compare(ours[output] as Float64Array, refValues as number[], ref.begIndex, `${name} ${output}`);
        }
      }
    });
  }

  it('adx +DI/-DI equal TA-Lib PLUS_DI/MINUS_DI from the ADX lookback on', () => {
    for (const period of [2, 14, 30]) {
      for (const { name, data } of SERIES) {
        const ours = computeIndicator('adx', { period }, data);
        const lookback = 2 * period - 1;
        for (const [output, fn] of [
          ['plusDi', 'PLUS_DI'],
          ['minusDi', 'MINUS_DI'],
        ] as const) {
          const ref = talibRun(
            { kind: 'adx', params: {}, talib: fn, opts: { optInTimePeriod: period }, outputs: {} },
            data,
          );
          expect(ref.begIndex).toBe(period);
          const aligned = (ref.result.outReal as number[]).slice(lookback - period);
          compare(ours[output] as Float64Array, aligned, lookback, `${name} ${output} period ${period}`);
        }
      }
    }
  });
});
