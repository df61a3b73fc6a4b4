import { type StrategyExampleView, type StrategyParams, strategyParams } from '@qt/shared';

export type ParamSpec = StrategyExampleView['params'][number];

/**
 * One row of the parameters form, as typed. `spec` is set for an example's declared parameter (its name
 * is fixed and its range checked); free rows (uploaded modules declare nothing) have neither.
 */
export interface ParamRow {
  key: string;
  name: string;
  value: string;
  spec: ParamSpec | null;
}

let nextKey = 0;
const rowKey = () => `p${++nextKey}`;

/**
 * The form's starting rows: every declared parameter (with `current` values where a deployment already
 * has some, else its default), then any other values `current` carries as free rows.
 */
export function initialParamRows(specs: readonly ParamSpec[], current: Record<string, number>): ParamRow[] {
  const rows: ParamRow[] = specs.map((spec) => ({
    key: rowKey(),
    name: spec.name,
    value: String(current[spec.name] ?? spec.default),
    spec,
  }));
  for (const [name, value] of Object.entries(current)) {
    if (!specs.some((s) => s.name === name))
      rows.push({ key: rowKey(), name, value: String(value), spec: null });
  }
  return rows;
}

export function freeParamRow(): ParamRow {
  return { key: rowKey(), name: '', value: '', spec: null };
}

export type ParsedParams =
  | { ok: true; params: StrategyParams }
  | { ok: false; errors: Record<string, string>; message: string };

/** A plain decimal or exponent number, nothing `Number()` would also take ("", "0x1f", " ", "Infinity"). */
const numeric = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

/**
 * Turns the rows into the `params` the engine takes, checked as the API's schema checks them plus each
 * declared range. Errors are keyed by row key so the form shows each beside its field. A free row left
 * entirely blank is ignored (the form always offers one to fill in).
 */
export function parseParams(rows: readonly ParamRow[]): ParsedParams {
  const errors: Record<string, string> = {};
  const params: Record<string, number> = {};
  for (const row of rows) {
    const name = row.name.trim();
    const text = row.value.trim();
    if (!row.spec && name === '' && text === '') continue;
    if (name === '') {
      errors[row.key] = 'Give the parameter a name.';
      continue;
    }
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,31}$/.test(name)) {
      errors[row.key] = 'A name is letters, digits and _ (up to 32), not starting with a digit.';
      continue;
    }
    if (name in params) {
      errors[row.key] = `${name} is set twice.`;
      continue;
    }
    const value = Number(text);
    if (!numeric.test(text) || !Number.isFinite(value)) {
      errors[row.key] = `${name} must be a number, like 10 or 0.5.`;
      continue;
    }
    const { spec } = row;
    if (spec?.min != null && value < spec.min) {
      errors[row.key] = `${name} must be at least ${spec.min}.`;
      continue;
    }
    if (spec?.max != null && value > spec.max) {
      errors[row.key] = `${name} must be at most ${spec.max}.`;
      continue;
    }
    params[name] = value;
  }
  const firstError = Object.values(errors)[0];
  if (firstError) return { ok: false, errors, message: firstError };
  const checked = strategyParams.safeParse(params);
  if (!checked.success) {
    const message = checked.error.issues[0]?.message ?? 'The parameters are not valid.';
    return { ok: false, errors: {}, message };
  }
  return { ok: true, params: checked.data };
}

/** The example a strategy was made from (`source` is `example:<name>` on its versions), if any. */
export function exampleOf(
  source: string | undefined,
  examples: readonly StrategyExampleView[],
): StrategyExampleView | null {
  if (!source?.startsWith('example:')) return null;
  const name = source.slice('example:'.length);
  return examples.find((e) => e.name === name) ?? null;
}

/** `fast=10 slow=30`: a deployment's parameters in one short line. */
export function paramsText(params: Record<string, number>): string {
  const entries = Object.entries(params);
  return entries.length ? entries.map(([k, v]) => `${k}=${v}`).join(' ') : '—';
}
