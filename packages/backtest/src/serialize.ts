/**
 * Canonical JSON of a result: object keys sorted, decimals already strings, numbers through one fixed
 * formatter (integers as they are, other numbers at 12 significant digits, so a last-bit difference of
 * Math.pow across platforms cannot change the bytes; non-finite as null). Same result -> same bytes.
 */
export function serializeResult(result: unknown): string {
  const out: string[] = [];
  write(result, out);
  return out.join('');
}

export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return 'null';
  if (Number.isSafeInteger(n)) return String(n);
  const s = String(Number(n.toPrecision(12)));
  return s === '-0' ? '0' : s;
}

function write(v: unknown, out: string[]): void {
  if (v === null || v === undefined) {
    out.push('null');
    return;
  }
  switch (typeof v) {
    case 'string':
      out.push(JSON.stringify(v));
      return;
    case 'number':
      out.push(formatNumber(v));
      return;
    case 'boolean':
      out.push(v ? 'true' : 'false');
      return;
    case 'bigint':
      out.push(JSON.stringify(v.toString()));
      return;
    case 'object':
      break;
    default:
      throw new TypeError(`cannot serialize a ${typeof v}`);
  }
  if (Array.isArray(v)) {
    out.push('[');
    for (let i = 0; i < v.length; i++) {
      if (i > 0) out.push(',');
      write(v[i], out);
    }
    out.push(']');
    return;
  }
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort();
  out.push('{');
  keys.forEach((k, i) => {
    if (i > 0) out.push(',');
    out.push(JSON.stringify(k), ':');
    write(o[k], out);
  });
  out.push('}');
}
