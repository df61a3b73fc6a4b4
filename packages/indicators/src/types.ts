/** Every indicator the registry can build, by its lowercase registry name. */
export const indicatorNames = [
  'sma',
  'ema',
  'wma',
  'dema',
  'tema',
  'trima',
  'kama',
  'rsi',
  'macd',
  'bbands',
  'atr',
  'natr',
  'trange',
  'adx',
  'stoch',
  'stochrsi',
  'cci',
  'roc',
  'mom',
  'willr',
  'obv',
  'vwap',
  'mfi',
  'donchian',
  'keltner',
  'sar',
  'ichimoku',
  'stddev',
  'linreg',
  'aroon',
] as const;

export type IndicatorName = (typeof indicatorNames)[number];

/**
 * The uniform face of every indicator, for generic users (strategy sandbox, alert engine, chart overlays).
 * `push` takes a whole bar whatever the indicator reads (close-only ones ignore high/low/volume) and returns
 * the main output; `value(i)` reads output `i` of `outputs` (0 = the main one). Outputs are NaN until
 * `lookback` bars have been pushed, TA-Lib's warm-up: the first `lookback` outputs are NaN, every output of a
 * multi-output indicator starts at the same bar.
 */
export interface StreamingIndicator {
  readonly kind: IndicatorName;
  readonly lookback: number;
  readonly outputs: readonly string[];
  /** `time` (epoch ms) is read only by an anchored VWAP, to know when a new session starts. */
  push(high: number, low: number, close: number, volume: number, time?: number): number;
  value(output?: number): number;
  reset(): void;
}

export const SINGLE_OUTPUT = ['value'] as const;
export const BAND_OUTPUTS = ['middle', 'upper', 'lower'] as const;
