import { MAX_PERIOD } from './ta-math.ts';
import type { IndicatorName } from './types.ts';

export interface IndicatorParamSpec {
  readonly name: string;
  readonly default: number;
  readonly min: number;
  readonly max: number;
  /** Periods are whole bars; multipliers and SAR factors are real. */
  readonly integer: boolean;
}

export interface IndicatorSpec {
  readonly name: IndicatorName;
  readonly label: string;
  readonly params: readonly IndicatorParamSpec[];
  /** What `push` reads: the close only, high/low/close, or high/low/close/volume. */
  readonly inputs: 'close' | 'hlc' | 'hlcv';
  /** Output names, the main one first (index 0 of `value()`). */
  readonly outputs: readonly string[];
  /** Drawn on the price chart (true) or in a pane of its own (false). */
  readonly overlay: boolean;
  /** The TA-Lib function it matches, or null where TA-Lib has none (standard definition, see README). */
  readonly talibName: string | null;
}

const period = (def: number, min = 2): IndicatorParamSpec => ({
  name: 'period',
  default: def,
  min,
  max: MAX_PERIOD,
  integer: true,
});
const int = (name: string, def: number, min: number): IndicatorParamSpec => ({
  name,
  default: def,
  min,
  max: MAX_PERIOD,
  integer: true,
});
const real = (name: string, def: number, min: number, max: number): IndicatorParamSpec => ({
  name,
  default: def,
  min,
  max,
  integer: false,
});
const value = ['value'] as const;
const bands = ['middle', 'upper', 'lower'] as const;

// Defaults are TA-Lib's where TA-Lib has the function (hence SMA/EMA 30, BBANDS 5), the usual ones elsewhere.
export const indicatorCatalog: Readonly<Record<IndicatorName, IndicatorSpec>> = {
  sma: {
    name: 'sma',
    label: 'Simple moving average',
    params: [period(30)],
    inputs: 'close',
    outputs: value,
    overlay: true,
    talibName: 'SMA',
  },
  ema: {
    name: 'ema',
    label: 'Exponential moving average',
    params: [period(30)],
    inputs: 'close',
    outputs: value,
    overlay: true,
    talibName: 'EMA',
  },
  wma: {
    name: 'wma',
    label: 'Weighted moving average',
    params: [period(30)],
    inputs: 'close',
    outputs: value,
    overlay: true,
    talibName: 'WMA',
  },
  dema: {
    name: 'dema',
    label: 'Double exponential moving average',
    params: [period(30)],
    inputs: 'close',
    outputs: value,
    overlay: true,
    talibName: 'DEMA',
  },
  tema: {
    name: 'tema',
    label: 'Triple exponential moving average',
    params: [period(30)],
    inputs: 'close',
    outputs: value,
    overlay: true,
    talibName: 'TEMA',
  },
  trima: {
    name: 'trima',
    label: 'Triangular moving average',
    params: [period(30)],
    inputs: 'close',
    outputs: value,
    overlay: true,
    talibName: 'TRIMA',
  },
  kama: {
    name: 'kama',
    label: 'Kaufman adaptive moving average',
    params: [period(30)],
    inputs: 'close',
    outputs: value,
    overlay: true,
    talibName: 'KAMA',
  },
  rsi: {
    name: 'rsi',
    label: 'Relative strength index',
    params: [period(14)],
    inputs: 'close',
    outputs: value,
    overlay: false,
    talibName: 'RSI',
  },
  macd: {
    name: 'macd',
    label: 'MACD',
    params: [int('fast', 12, 2), int('slow', 26, 2), int('signal', 9, 1)],
    inputs: 'close',
    outputs: ['macd', 'signal', 'histogram'],
    overlay: false,
    talibName: 'MACD',
  },
  bbands: {
    name: 'bbands',
    label: 'Bollinger bands',
    params: [period(5), real('nbDevUp', 2, -3e37, 3e37), real('nbDevDn', 2, -3e37, 3e37)],
    inputs: 'close',
    outputs: bands,
    overlay: true,
    talibName: 'BBANDS',
  },
  atr: {
    name: 'atr',
    label: 'Average true range',
    params: [period(14, 1)],
    inputs: 'hlc',
    outputs: value,
    overlay: false,
    talibName: 'ATR',
  },
  natr: {
    name: 'natr',
    label: 'Normalized average true range (%)',
    params: [period(14)],
    inputs: 'hlc',
    outputs: value,
    overlay: false,
    talibName: 'NATR',
  },
  trange: {
    name: 'trange',
    label: 'True range',
    params: [],
    inputs: 'hlc',
    outputs: value,
    overlay: false,
    talibName: 'TRANGE',
  },
  adx: {
    name: 'adx',
    label: 'Average directional index (+DI, -DI)',
    params: [period(14)],
    inputs: 'hlc',
    outputs: ['adx', 'plusDi', 'minusDi'],
    overlay: false,
    talibName: 'ADX',
  },
  stoch: {
    name: 'stoch',
    label: 'Stochastic (slow)',
    params: [int('fastK', 5, 1), int('slowK', 3, 1), int('slowD', 3, 1)],
    inputs: 'hlc',
    outputs: ['k', 'd'],
    overlay: false,
    talibName: 'STOCH',
  },
  stochrsi: {
    name: 'stochrsi',
    label: 'Stochastic RSI',
    params: [period(14), int('fastK', 5, 1), int('fastD', 3, 1)],
    inputs: 'close',
    outputs: ['k', 'd'],
    overlay: false,
    talibName: 'STOCHRSI',
  },
  cci: {
    name: 'cci',
    label: 'Commodity channel index',
    params: [period(14)],
    inputs: 'hlc',
    outputs: value,
    overlay: false,
    talibName: 'CCI',
  },
  roc: {
    name: 'roc',
    label: 'Rate of change (%)',
    params: [period(10, 1)],
    inputs: 'close',
    outputs: value,
    overlay: false,
    talibName: 'ROC',
  },
  mom: {
    name: 'mom',
    label: 'Momentum',
    params: [period(10, 1)],
    inputs: 'close',
    outputs: value,
    overlay: false,
    talibName: 'MOM',
  },
  willr: {
    name: 'willr',
    label: 'Williams %R',
    params: [period(14)],
    inputs: 'hlc',
    outputs: value,
    overlay: false,
    talibName: 'WILLR',
  },
  obv: {
    name: 'obv',
    label: 'On-balance volume',
    params: [],
    inputs: 'hlcv',
    outputs: value,
    overlay: false,
    talibName: 'OBV',
  },
  vwap: {
    name: 'vwap',
    label: 'Volume-weighted average price',
    params: [real('anchorMs', 0, 0, Number.MAX_SAFE_INTEGER)],
    inputs: 'hlcv',
    outputs: value,
    overlay: true,
    talibName: null,
  },
  mfi: {
    name: 'mfi',
    label: 'Money flow index',
    params: [period(14)],
    inputs: 'hlcv',
    outputs: value,
    overlay: false,
    talibName: 'MFI',
  },
  donchian: {
    name: 'donchian',
    label: 'Donchian channels',
    params: [period(20, 1)],
    inputs: 'hlc',
    outputs: bands,
    overlay: true,
    talibName: null,
  },
  keltner: {
    name: 'keltner',
    label: 'Keltner channels',
    params: [period(20), int('atrPeriod', 10, 1), real('multiplier', 2, 0, 1000)],
    inputs: 'hlc',
    outputs: bands,
    overlay: true,
    talibName: null,
  },
  sar: {
    name: 'sar',
    label: 'Parabolic SAR',
    params: [real('acceleration', 0.02, 0, 3e37), real('maximum', 0.2, 0, 3e37)],
    inputs: 'hlc',
    outputs: value,
    overlay: true,
    talibName: 'SAR',
  },
  ichimoku: {
    name: 'ichimoku',
    label: 'Ichimoku cloud',
    params: [int('tenkan', 9, 1), int('kijun', 26, 1), int('senkouB', 52, 1), int('displacement', 26, 1)],
    inputs: 'hlc',
    outputs: ['tenkan', 'kijun', 'senkouA', 'senkouB', 'chikou'],
    overlay: true,
    talibName: null,
  },
  stddev: {
    name: 'stddev',
    label: 'Standard deviation',
    params: [period(5), real('nbDev', 1, -3e37, 3e37)],
    inputs: 'close',
    outputs: value,
    overlay: false,
    talibName: 'STDDEV',
  },
  linreg: {
    name: 'linreg',
    label: 'Linear regression',
    params: [period(14)],
    inputs: 'close',
    outputs: ['value', 'slope'],
    overlay: true,
    talibName: 'LINEARREG',
  },
  aroon: {
    name: 'aroon',
    label: 'Aroon',
    params: [period(14)],
    inputs: 'hlc',
    outputs: ['oscillator', 'up', 'down'],
    overlay: false,
    talibName: 'AROON',
  },
};
