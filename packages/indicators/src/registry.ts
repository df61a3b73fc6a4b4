import { z } from 'zod';
import { type IndicatorParamSpec, indicatorCatalog } from './catalog.ts';
import { IndicatorParamsError } from './errors.ts';
import { Dema, Ema, Kama, Sma, Tema, Trima, Wma } from './indicators/moving-averages.ts';
import { Aroon, Cci, Macd, Mfi, Mom, Roc, Rsi, Stoch, StochRsi, Willr } from './indicators/oscillators.ts';
import { Adx, Ichimoku, LinReg, Sar } from './indicators/trend.ts';
import { Atr, Bbands, Donchian, Keltner, Natr, StdDev, TrueRange } from './indicators/volatility.ts';
import { Obv, Vwap } from './indicators/volume.ts';
import { type IndicatorName, indicatorNames, type StreamingIndicator } from './types.ts';

export type IndicatorParams = Record<string, number>;

function paramSchema(kind: string, p: IndicatorParamSpec) {
  const range = `${p.integer ? 'an integer' : 'a number'} between ${p.min} and ${p.max}`;
  const message = `Indicator "${kind}": ${p.name} must be ${range}.`;
  let s = z.number({ error: message }).min(p.min, { error: message }).max(p.max, { error: message });
  if (p.integer) s = s.int({ error: message });
  return s.default(p.default);
}

function schemaFor(kind: IndicatorName) {
  const spec = indicatorCatalog[kind];
  const shape = Object.fromEntries(spec.params.map((p) => [p.name, paramSchema(kind, p)]));
  const base = z.strictObject(shape);
  if (kind === 'macd') {
    return base.refine((v) => (v.fast as number) < (v.slow as number), {
      error: 'Indicator "macd": fast must be smaller than slow.',
    });
  }
  return base;
}

const schemas = new Map(indicatorNames.map((k) => [k, schemaFor(k)]));

const factories: { readonly [K in IndicatorName]: (p: IndicatorParams) => StreamingIndicator } = {
  sma: (p) => new Sma(p.period),
  ema: (p) => new Ema(p.period),
  wma: (p) => new Wma(p.period),
  dema: (p) => new Dema(p.period),
  tema: (p) => new Tema(p.period),
  trima: (p) => new Trima(p.period),
  kama: (p) => new Kama(p.period),
  rsi: (p) => new Rsi(p.period),
  macd: (p) => new Macd(p.fast, p.slow, p.signal),
  bbands: (p) => new Bbands(p.period, p.nbDevUp, p.nbDevDn),
  atr: (p) => new Atr(p.period),
  natr: (p) => new Natr(p.period),
  trange: () => new TrueRange(),
  adx: (p) => new Adx(p.period),
  stoch: (p) => new Stoch(p.fastK, p.slowK, p.slowD),
  stochrsi: (p) => new StochRsi(p.period, p.fastK, p.fastD),
  cci: (p) => new Cci(p.period),
  roc: (p) => new Roc(p.period),
  mom: (p) => new Mom(p.period),
  willr: (p) => new Willr(p.period),
  obv: () => new Obv(),
  vwap: (p) => new Vwap(p.anchorMs),
  mfi: (p) => new Mfi(p.period),
  donchian: (p) => new Donchian(p.period),
  keltner: (p) => new Keltner(p.period, p.atrPeriod, p.multiplier),
  sar: (p) => new Sar(p.acceleration, p.maximum),
  ichimoku: (p) => new Ichimoku(p.tenkan, p.kijun, p.senkouB, p.displacement),
  stddev: (p) => new StdDev(p.period, p.nbDev),
  linreg: (p) => new LinReg(p.period),
  aroon: (p) => new Aroon(p.period),
};

export function isIndicatorName(kind: string): kind is IndicatorName {
  return Object.hasOwn(indicatorCatalog, kind);
}

/**
 * Validates `params` against the catalog (unknown names, non-numbers, out-of-range or fractional periods are
 * refused) and fills in the defaults. Throws IndicatorParamsError.
 */
export function parseIndicatorParams(kind: string, params: unknown = {}): IndicatorParams {
  if (!isIndicatorName(kind)) {
    throw new IndicatorParamsError(
      `Unknown indicator "${kind}". Known indicators: ${indicatorNames.join(', ')}.`,
      { kind },
    );
  }
  const parsed = (schemas.get(kind) as z.ZodType<IndicatorParams>).safeParse(params);
  if (!parsed.success) {
    const reasons = parsed.error.issues.map((i) =>
      i.code === 'unrecognized_keys'
        ? `Indicator "${kind}" has no parameter ${i.keys.map((k) => `"${k}"`).join(', ')} (it takes: ${
            indicatorCatalog[kind].params.map((p) => p.name).join(', ') || 'none'
          }).`
        : i.message,
    );
    throw new IndicatorParamsError(reasons.join(' '), { kind, issues: parsed.error.issues });
  }
  return parsed.data;
}

/** Builds a streaming indicator by registry name; see `indicatorCatalog` for the parameters of each. */
export function createIndicator(kind: IndicatorName, params?: IndicatorParams): StreamingIndicator {
  const valid = parseIndicatorParams(kind, params ?? {});
  return factories[kind](valid);
}
