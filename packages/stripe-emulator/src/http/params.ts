import { invalidRequest, missingParam, unknownParam } from '../errors.ts';
import type { FormValue, Params } from './form.ts';

/** Typed readers over a decoded form. Stripe sends an empty string to mean "unset this field". */

export function allow(params: Params, keys: readonly string[], prefix = ''): void {
  for (const key of Object.keys(params)) {
    if (key !== 'expand' && !keys.includes(key)) throw unknownParam(prefix ? `${prefix}[${key}]` : key);
  }
}

export function str(params: Params, key: string, param = key): string | undefined {
  const v = params[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw invalidRequest(`Invalid string: ${param}`, param);
  return v;
}

export function requiredStr(params: Params, key: string, param = key): string {
  const v = str(params, key, param);
  if (v === undefined || v === '') throw missingParam(param);
  return v;
}

export function int(params: Params, key: string, param = key): number | undefined {
  const v = str(params, key, param);
  if (v === undefined || v === '') return undefined;
  if (!/^-?\d{1,15}$/.test(v)) {
    throw invalidRequest(`Invalid integer: ${v}`, param, 'parameter_invalid_integer');
  }
  return Number(v);
}

export function bool(params: Params, key: string, param = key): boolean | undefined {
  const v = str(params, key, param);
  if (v === undefined || v === '') return undefined;
  if (v !== 'true' && v !== 'false') throw invalidRequest(`Invalid boolean: ${v}`, param);
  return v === 'true';
}

export function obj(params: Params, key: string, param = key): Params | undefined {
  const v = params[key];
  if (v === undefined || v === '') return undefined;
  if (typeof v === 'string' || Array.isArray(v)) throw invalidRequest(`Invalid object: ${param}`, param);
  return v;
}

export function arr(params: Params, key: string, param = key): FormValue[] | undefined {
  const v = params[key];
  if (v === undefined || v === '') return undefined;
  if (!Array.isArray(v)) throw invalidRequest(`Invalid array: ${param}`, param);
  return v;
}

export function strArr(params: Params, key: string, param = key): string[] | undefined {
  const v = arr(params, key, param);
  if (v === undefined) return undefined;
  return v.map((x, i) => {
    if (typeof x !== 'string') throw invalidRequest(`Invalid string: ${param}[${i}]`, `${param}[${i}]`);
    return x;
  });
}

export function objArr(params: Params, key: string, param = key): Params[] | undefined {
  const v = arr(params, key, param);
  if (v === undefined) return undefined;
  return v.map((x, i) => {
    if (typeof x === 'string' || Array.isArray(x)) {
      throw invalidRequest(`Invalid object: ${param}[${i}]`, `${param}[${i}]`);
    }
    return x;
  });
}

export function oneOf<T extends string>(
  params: Params,
  key: string,
  values: readonly T[],
  param = key,
): T | undefined {
  const v = str(params, key, param);
  if (v === undefined || v === '') return undefined;
  if (!(values as readonly string[]).includes(v)) {
    throw invalidRequest(`Invalid ${param}: must be one of ${values.join(', ')}`, param);
  }
  return v as T;
}

const maxMetadataKeys = 50;

/**
 * Applies Stripe's metadata update rules: keys merge into what is there, a key set to '' is removed,
 * and `metadata=''` clears everything. Limits as Stripe's: 50 keys, 40-character keys, 500-character values.
 */
export function applyMetadata(current: Record<string, string>, params: Params): Record<string, string> {
  const v = params.metadata;
  if (v === undefined) return current;
  if (v === '') return {};
  if (typeof v === 'string' || Array.isArray(v)) throw invalidRequest('Invalid metadata', 'metadata');
  const next = { ...current };
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string') throw invalidRequest(`Invalid metadata[${k}]`, `metadata[${k}]`);
    if (k.length > 40) throw invalidRequest('Metadata keys can be at most 40 characters.', `metadata[${k}]`);
    if (val.length > 500)
      throw invalidRequest('Metadata values can be at most 500 characters.', `metadata[${k}]`);
    if (val === '') delete next[k];
    else next[k] = val;
  }
  if (Object.keys(next).length > maxMetadataKeys) {
    throw invalidRequest(`Metadata can have at most ${maxMetadataKeys} keys.`, 'metadata');
  }
  return next;
}

/** A string field that '' clears to null. */
export function nullable(params: Params, key: string, current: string | null): string | null {
  const v = str(params, key);
  if (v === undefined) return current;
  return v === '' ? null : v;
}
