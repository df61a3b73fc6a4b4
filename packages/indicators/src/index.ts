export { computeIndicator, type IndicatorSeries } from './batch.ts';
export { type IndicatorParamSpec, type IndicatorSpec, indicatorCatalog } from './catalog.ts';
export { IndicatorInputError, IndicatorParamsError } from './errors.ts';
export { Dema, Ema, Kama, Sma, Tema, Trima, Wma } from './indicators/moving-averages.ts';
export { Aroon, Cci, Macd, Mfi, Mom, Roc, Rsi, Stoch, StochRsi, Willr } from './indicators/oscillators.ts';
export { Adx, Ichimoku, LinReg, Sar } from './indicators/trend.ts';
export { Atr, Bbands, Donchian, Keltner, Natr, StdDev, TrueRange } from './indicators/volatility.ts';
export { Obv, Vwap } from './indicators/volume.ts';
export {
  createIndicator,
  type IndicatorParams,
  isIndicatorName,
  parseIndicatorParams,
} from './registry.ts';
export { type IndicatorName, indicatorNames, type StreamingIndicator } from './types.ts';
export { WindowMax, WindowMin } from './window-extremes.ts';
