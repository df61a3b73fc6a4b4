import { invalidRequest } from '../errors.ts';

/** A decoded Stripe request: nested objects and arrays of strings, as `qs` would build them. */
export type FormValue = string | FormValue[] | { [key: string]: FormValue };
export type Params = { [key: string]: FormValue };

// Bounds so a hostile body cannot build a huge or deep structure (the body itself is capped by size).
const maxDepth = 8;
const maxIndex = 1_000;

function segments(key: string): string[] {
  const open = key.indexOf('[');
  if (open <= 0) return [key];
  const out = [key.slice(0, open)];
  const re = /\[([^\]]*)\]/gy;
  re.lastIndex = open;
  let m: RegExpExecArray | null = re.exec(key);
  let end = open;
  while (m) {
    out.push(m[1] ?? '');
    end = re.lastIndex;
    m = re.exec(key);
  }
  if (end !== key.length) throw invalidRequest(`Invalid parameter name: ${key}`, key);
  return out;
}

function isIndex(segment: string): boolean {
  return segment === '' || /^\d+$/.test(segment);
}

/**
 * Decodes `application/x-www-form-urlencoded` with Stripe's bracket notation: `metadata[k]=v`,
 * `items[0][price]=p` (the SDK's indexed arrays) and `expand[]=x` (curl style). Sparse indices are
 * compacted in index order, as Stripe does.
 */
export function parseForm(text: string): Params {
  const root: Params = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const path = segments(key);
    if (path.length > maxDepth) throw invalidRequest(`Parameter nested too deeply: ${key}`, key);
    let node: Params | FormValue[] = root;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i] as string;
      const last = i === path.length - 1;
      const next = path[i + 1];
      const make = (): FormValue => (last ? value : next !== undefined && isIndex(next) ? [] : {});
      if (Array.isArray(node)) {
        if (!isIndex(seg)) throw invalidRequest(`Invalid array parameter: ${key}`, key);
        const idx = seg === '' ? node.length : Number(seg);
        if (idx > maxIndex) throw invalidRequest(`Array index too large: ${key}`, key);
        if (last) node[idx] = value;
        else node[idx] ??= make();
        const child: FormValue | undefined = node[idx];
        if (!last) {
          if (typeof child === 'string') throw invalidRequest(`Conflicting parameter: ${key}`, key);
          node = child as Params | FormValue[];
        }
      } else {
        if (last) {
          node[seg] = value;
        } else {
          node[seg] ??= make();
          const child: FormValue | undefined = node[seg];
          if (typeof child === 'string') throw invalidRequest(`Conflicting parameter: ${key}`, key);
          node = child as Params | FormValue[];
        }
      }
    }
  }
  return compact(root) as Params;
}

function compact(value: FormValue): FormValue {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.filter((v) => v !== undefined).map(compact);
  const out: Params = {};
  for (const [k, v] of Object.entries(value)) out[k] = compact(v);
  return out;
}
