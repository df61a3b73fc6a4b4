import type { StreamingIndicator } from '@qt/indicators';

/**
 * Exact snapshots of @qt/indicators instances, so the evaluator's state survives a restart bit for bit:
 * an EMA or RSI carries its whole history in a few running values, and replaying a bounded tail of candles
 * would not reproduce them (the seed would differ), so a crossing could fire or not depending on a
 * restart. The indicator classes keep their state in plain numeric fields, typed arrays and nested
 * indicator objects (no closures, no #private fields); this walks those. Strings and plain arrays are
 * configuration (`kind`, `outputs`) and are left alone. `test/indicator-state.test.ts` proves the round
 * trip for every indicator the alerts use: a restored instance continues exactly like the original.
 */
export type EncodedValue =
  | number
  | boolean
  | { n: string }
  | { ta: string; v: EncodedValue[] }
  | { [key: string]: EncodedValue };

function encodeNumber(x: number): number | { n: string } {
  if (Number.isFinite(x) && !Object.is(x, -0)) return x;
  return { n: Object.is(x, -0) ? '-0' : String(x) };
}

function decodeNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  const s = (v as { n: string }).n;
  return s === '-0' ? -0 : Number(s);
}

type TypedArray = Float64Array | Float32Array | Int32Array | Uint32Array | Int16Array | Uint8Array;

function isTypedArray(v: unknown): v is TypedArray {
  return ArrayBuffer.isView(v) && !(v instanceof DataView);
}

function encodeObject(obj: object): Record<string, EncodedValue> {
  const out: Record<string, EncodedValue> = {};
  for (const [key, value] of Object.entries(obj)) {
    if (typeof value === 'number') out[key] = encodeNumber(value);
    else if (typeof value === 'boolean') out[key] = value;
    else if (isTypedArray(value)) {
      out[key] = { ta: value.constructor.name, v: Array.from(value as ArrayLike<number>, encodeNumber) };
    } else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      out[key] = encodeObject(value);
    }
  }
  return out;
}

function applyObject(target: Record<string, unknown>, state: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(state)) {
    const current = target[key];
    if (typeof current === 'number') target[key] = decodeNumber(value);
    else if (typeof current === 'boolean') target[key] = value;
    else if (isTypedArray(current)) {
      const encoded = (value as { v: unknown[] }).v;
      if (encoded.length !== current.length) throw new Error(`indicator state: ${key} length differs`);
      for (let i = 0; i < encoded.length; i++) current[i] = decodeNumber(encoded[i]);
    } else if (current !== null && typeof current === 'object') {
      applyObject(current as Record<string, unknown>, value as Record<string, unknown>);
    }
  }
}

export function captureIndicator(ind: StreamingIndicator): Record<string, EncodedValue> {
  return encodeObject(ind);
}

/** Writes a captured state into a fresh instance built with the same kind and parameters. */
export function restoreIndicator(ind: StreamingIndicator, state: Record<string, EncodedValue>): void {
  applyObject(ind as unknown as Record<string, unknown>, state);
}

export { decodeNumber, encodeNumber };
