import { createIndicator, type IndicatorName, type StreamingIndicator } from '@qt/indicators';
import { HostError, IndicatorKind } from '../abi.ts';

/** At most this many indicators per strategy; ind_create beyond it returns ERR_TOO_MANY. */
export const MAX_INDICATORS = 256;

type ParamsOf = (p1: number, p2: number, p3: number) => Record<string, number | undefined>;

/** ABI kind -> the indicators package's name and parameter names (abi.ts IndicatorKind documents p1..p3). */
const KINDS: Readonly<Record<number, readonly [IndicatorName, ParamsOf]>> = {
  [IndicatorKind.sma]: ['sma', (p1) => ({ period: p1 })],
  [IndicatorKind.ema]: ['ema', (p1) => ({ period: p1 })],
  [IndicatorKind.rsi]: ['rsi', (p1) => ({ period: p1 })],
  [IndicatorKind.macd]: ['macd', (p1, p2, p3) => ({ fast: p1, slow: p2, signal: p3 })],
  [IndicatorKind.bbands]: ['bbands', (p1, p2) => ({ period: p1, nbDevUp: p2, nbDevDn: p2 })],
  [IndicatorKind.atr]: ['atr', (p1) => ({ period: p1 })],
  [IndicatorKind.stddev]: ['stddev', (p1) => ({ period: p1 })],
};

/**
 * A strategy's indicators, by handle (1, 2, 3...), computed on the host by @qt/indicators: the same
 * code the charts and the alert engine use, so a strategy and its chart never disagree.
 */
export class IndicatorTable {
  private readonly list: StreamingIndicator[] = [];

  create(kind: number, p1: number, p2: number, p3: number): number {
    const entry = KINDS[kind];
    if (entry === undefined) return HostError.ERR_BAD_INDICATOR;
    if (this.list.length >= MAX_INDICATORS) return HostError.ERR_TOO_MANY;
    const [name, paramsOf] = entry;
    // NaN means "the default": leave the parameter out and the package fills it in.
    const params: Record<string, number> = {};
    for (const [k, v] of Object.entries(paramsOf(p1, p2, p3)))
      if (v !== undefined && !Number.isNaN(v)) params[k] = v;
    try {
      this.list.push(createIndicator(name, params));
    } catch {
      return HostError.ERR_BAD_INDICATOR; // out-of-range or fractional period, fast >= slow...
    }
    return this.list.length;
  }

  /** NaN for an unknown handle, like an indicator still warming up: the module must check either way. */
  update(handle: number, high: number, low: number, close: number, volume: number): number {
    const ind = this.list[handle - 1];
    return ind === undefined ? Number.NaN : ind.push(high, low, close, volume);
  }

  value(handle: number, output: number): number {
    const ind = this.list[handle - 1];
    if (ind === undefined || !(output >= 0 && output < ind.outputs.length)) return Number.NaN;
    return ind.value(output);
  }
}
