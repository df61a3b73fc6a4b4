import type { StrategyExampleView } from '@qt/shared';
import { describe, expect, it } from 'vitest';
import {
  exampleOf,
  freeParamRow,
  initialParamRows,
  type ParamSpec,
  paramsText,
  parseParams,
} from './strategy-params';

const fast: ParamSpec = { name: 'fast', default: 10, min: 1, max: 200, description: 'fast period' };
const slow: ParamSpec = { name: 'slow', default: 30, min: 2, max: null, description: 'slow period' };

function withValues(values: Record<string, string>) {
  return initialParamRows([fast, slow], {}).map((r) => ({ ...r, value: values[r.name] ?? r.value }));
}

describe('initialParamRows', () => {
  it('starts from the declared defaults, overridden by current values, then extra free rows', () => {
    const rows = initialParamRows([fast, slow], { slow: 50, quantity: 0.5 });
    expect(rows.map((r) => [r.name, r.value, r.spec?.name ?? null])).toEqual([
      ['fast', '10', 'fast'],
      ['slow', '50', 'slow'],
      ['quantity', '0.5', null],
    ]);
    expect(new Set(rows.map((r) => r.key)).size).toBe(3);
  });
});

describe('parseParams', () => {
  it('turns the rows into named numbers', () => {
    expect(parseParams(withValues({ fast: '5', slow: '2.5e1' }))).toEqual({
      ok: true,
      params: { fast: 5, slow: 25 },
    });
  });

  it('refuses a value outside the declared range, naming the bound', () => {
    const rows = withValues({ fast: '0' });
    const parsed = parseParams(rows);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.errors[rows[0]?.key ?? '']).toBe('fast must be at least 1.');
    expect(parseParams(withValues({ fast: '201' }))).toMatchObject({ message: 'fast must be at most 200.' });
  });

  it('refuses text that Number() would quietly accept', () => {
    for (const bad of ['', ' ', '0x10', 'Infinity', '1,5', '10abc']) {
      expect(parseParams(withValues({ fast: bad })).ok, bad).toBe(false);
    }
  });

  it('checks free rows: names, duplicates, and ignores a blank one', () => {
    const base = initialParamRows([], {});
    const named = (name: string, value: string) => ({ ...freeParamRow(), name, value });
    expect(parseParams([...base, freeParamRow()])).toEqual({ ok: true, params: {} });
    expect(parseParams([named('qty', '1')])).toEqual({ ok: true, params: { qty: 1 } });
    expect(parseParams([named('9lives', '1')])).toMatchObject({ ok: false });
    expect(parseParams([named('', '1')])).toMatchObject({ message: 'Give the parameter a name.' });
    expect(parseParams([named('qty', '1'), named('qty', '2')])).toMatchObject({
      message: 'qty is set twice.',
    });
  });

  it('applies the API schema limit of 32 parameters', () => {
    const rows = Array.from({ length: 33 }, (_, i) => ({ ...freeParamRow(), name: `p${i}`, value: '1' }));
    expect(parseParams(rows)).toMatchObject({ ok: false, message: 'at most 32 parameters' });
  });
});

describe('exampleOf', () => {
  const examples: StrategyExampleView[] = [
    { name: 'sma-crossover', title: 'SMA crossover', description: '', params: [fast, slow] },
  ];

  it('finds the example a version was built from', () => {
    expect(exampleOf('example:sma-crossover', examples)?.title).toBe('SMA crossover');
  });

  it('has none for an upload or an unknown example', () => {
    expect(exampleOf('upload', examples)).toBeNull();
    expect(exampleOf('example:gone', examples)).toBeNull();
    expect(exampleOf(undefined, examples)).toBeNull();
  });
});

describe('paramsText', () => {
  it('lists parameters in one line, or a dash for none', () => {
    expect(paramsText({ fast: 10, slow: 30 })).toBe('fast=10 slow=30');
    expect(paramsText({})).toBe('—');
  });
});
