import { describe, expect, it } from 'vitest';
import {
  computeIndicator,
  createIndicator,
  IndicatorInputError,
  type IndicatorName,
  IndicatorParamsError,
  Macd,
  Sma,
  Stoch,
  Vwap,
} from '../src/index.ts';

function refusal(fn: () => unknown): IndicatorParamsError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(IndicatorParamsError);
    return err as IndicatorParamsError;
  }
  throw new Error('expected an IndicatorParamsError, nothing was thrown');
}

describe('parameter validation', () => {
  it('refuses an unknown indicator kind and lists the known ones', () => {
    const err = refusal(() => createIndicator('supertrend' as IndicatorName));
    expect(err.message).toContain('Unknown indicator "supertrend"');
    expect(err.message).toContain('sma');
    expect(err.code).toBe('VALIDATION_FAILED');
  });

  it.each([
    [{ period: 1 }, 'between 2 and 100000'],
    [{ period: 0 }, 'between 2 and 100000'],
    [{ period: -5 }, 'between 2 and 100000'],
    [{ period: 14.5 }, 'an integer'],
    [{ period: 100_001 }, 'between 2 and 100000'],
    [{ period: Number.NaN }, 'period must be'],
    [{ period: '14' as unknown as number }, 'period must be'],
  ])('refuses sma %o with a clear message', (params, text) => {
    const err = refusal(() => createIndicator('sma', params));
    expect(err.message).toContain('Indicator "sma": period must be');
    expect(err.message).toContain(text);
  });

  it('refuses a parameter the indicator does not take', () => {
    const err = refusal(() => createIndicator('rsi', { period: 14, length: 3 }));
    expect(err.message).toContain('no parameter "length"');
  });

  it('refuses a MACD whose fast period is not below its slow period', () => {
    expect(refusal(() => createIndicator('macd', { fast: 26, slow: 12, signal: 9 })).message).toContain(
      'fast must be smaller than slow',
    );
    expect(() => new Macd(26, 26, 9)).toThrow(IndicatorParamsError);
  });

  it('refuses bad periods in the class constructors too', () => {
    expect(() => new Sma(1)).toThrow(IndicatorParamsError);
    expect(() => new Sma(2.5)).toThrow(/integer between 2/);
    expect(() => new Stoch(5, 0, 3)).toThrow(/slowK/);
  });

  it('fills in the documented defaults', () => {
    expect(createIndicator('macd').lookback).toBe(25 + 8);
    expect(createIndicator('rsi').lookback).toBe(14);
    expect(createIndicator('stoch').lookback).toBe(4 + 2 + 2);
    expect(createIndicator('ichimoku').lookback).toBe(51 + 26);
    expect(createIndicator('bbands', { period: 20 }).lookback).toBe(19);
  });
});

describe('input validation', () => {
  it('refuses an HLC indicator without high/low, and misaligned series', () => {
    expect(() => computeIndicator('atr', {}, { close: [1, 2, 3] })).toThrow(IndicatorInputError);
    expect(() => computeIndicator('sma', { period: 2 }, { close: [1, 2, 3], high: [1, 2] })).toThrow(
      /aligned/,
    );
    expect(() => computeIndicator('obv', {}, { close: [1, 2], high: [1, 2], low: [1, 2] })).toThrow(/volume/);
  });

  it('refuses an anchored VWAP bar without a time', () => {
    expect(() => new Vwap(60_000).update(2, 1, 1.5, 10)).toThrow(IndicatorInputError);
    expect(() =>
      computeIndicator('vwap', { anchorMs: 60_000 }, { close: [1], high: [1], low: [1], volume: [1] }),
    ).toThrow(/time series/);
  });
});
