/**
 * Building blocks of the venue trade-frame scanners: strict readers of the JSON subset the venues
 * actually send (no whitespace, no escapes, no nesting where a scanner does not expect it). Each reader
 * takes the index where a value starts and returns the index just past it, or -1 when the text is not
 * in that subset. -1 never means "invalid JSON": it means "not for the fast path", and the caller falls
 * back to `JSON.parse`. Whatever a reader accepts is exactly what `JSON.parse` would read there, so a
 * scanner built from them accepts only frames `JSON.parse` accepts, with the same values.
 */

/** The integer read by the last successful `uintEnd` (module state: no allocation per field). */
export const scanned = { int: 0 };

/**
 * Past the end of a JSON string whose opening quote is at `at`, or -1. Strings with an escape (`\`) or
 * a raw control character (which JSON forbids) are not taken: their text would differ from the slice.
 * The content is `text.slice(at + 1, end - 1)`.
 */
export function stringEnd(text: string, at: number): number {
  if (text.charCodeAt(at) !== 34) return -1;
  const n = text.length;
  for (let i = at + 1; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) return i + 1;
    if (c === 92 || c < 32) return -1;
  }
  return -1;
}

/**
 * Past the end of a non-negative JSON integer of at most 15 digits without a leading zero (so a safe
 * integer, and `String(value)` gives back its text), or -1. Its value is left in `scanned.int`.
 */
export function uintEnd(text: string, at: number): number {
  // charCodeAt past the end is NaN: every test below is written so that NaN fails it.
  let c = text.charCodeAt(at);
  if (!(c >= 48 && c <= 57)) return -1;
  let v = c - 48;
  let i = at + 1;
  if (v === 0) {
    c = text.charCodeAt(i);
    // `0` alone; `01`, `0.5`, `0e1` are left to JSON.parse.
    if ((c >= 48 && c <= 57) || c === 46 || c === 101 || c === 69) return -1;
    scanned.int = 0;
    return i;
  }
  for (c = text.charCodeAt(i); c >= 48 && c <= 57; c = text.charCodeAt(++i)) v = v * 10 + (c - 48);
  if (i - at > 15 || c === 46 || c === 101 || c === 69) return -1;
  scanned.int = v;
  return i;
}

/** Past the end of a JSON number (the full grammar: sign, fraction, exponent), or -1. */
export function numberEnd(text: string, at: number): number {
  let i = at;
  if (text.charCodeAt(i) === 45) i++; // -
  let c = text.charCodeAt(i);
  if (c === 48) {
    i++;
  } else if (c >= 49 && c <= 57) {
    do c = text.charCodeAt(++i);
    while (c >= 48 && c <= 57);
  } else return -1;
  c = text.charCodeAt(i);
  if (c === 46) {
    const from = ++i;
    for (c = text.charCodeAt(i); c >= 48 && c <= 57; c = text.charCodeAt(++i));
    if (i === from) return -1;
  }
  if (c === 101 || c === 69) {
    c = text.charCodeAt(++i);
    if (c === 43 || c === 45) c = text.charCodeAt(++i);
    const from = i;
    for (; c >= 48 && c <= 57; c = text.charCodeAt(++i));
    if (i === from) return -1;
  }
  return i;
}

/** Past the end of a JSON string, number, `true`, `false` or `null` at `at`, or -1 (objects, arrays, anything else). */
export function primitiveEnd(text: string, at: number): number {
  const c = text.charCodeAt(at);
  if (c === 34) return stringEnd(text, at);
  if (c === 116) return text.startsWith('true', at) ? at + 4 : -1;
  if (c === 102) return text.startsWith('false', at) ? at + 5 : -1;
  if (c === 110) return text.startsWith('null', at) ? at + 4 : -1;
  return numberEnd(text, at);
}

/**
 * Past the end of a JSON object at `at` whose values are all primitives (e.g. OKX's `arg`), or -1.
 * Keys may repeat (a caller that reads a key must look for repeats itself).
 */
export function flatObjectEnd(text: string, at: number): number {
  if (text.charCodeAt(at) !== 123) return -1;
  let i = at + 1;
  if (text.charCodeAt(i) === 125) return i + 1;
  for (;;) {
    i = stringEnd(text, i);
    if (i < 0 || text.charCodeAt(i) !== 58) return -1;
    i = primitiveEnd(text, i + 1);
    if (i < 0) return -1;
    const c = text.charCodeAt(i);
    if (c === 125) return i + 1;
    if (c !== 44) return -1;
    i++;
  }
}

/** Whether the key whose opening quote is at `at` and which ends (past its closing quote) at `end` is `name`. */
export function keyIs(text: string, at: number, end: number, name: string): boolean {
  return end - at - 2 === name.length && text.startsWith(name, at + 1);
}

/** `isDecimal` of `text.slice(from, to)` without the slice. */
export function isDecimalAt(text: string, from: number, to: number): boolean {
  const n = to - from;
  if (n <= 0 || n > 49) return false;
  let dot = false;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (dot || i === from || i === to - 1) return false;
      dot = true;
    } else if (!(c >= 48 && c <= 57)) return false;
  }
  return true;
}

/** `isDigits` of `text.slice(from, to)` without the slice. */
export function isDigitsAt(text: string, from: number, to: number): boolean {
  const n = to - from;
  if (n <= 0 || n > 20) return false;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (!(c >= 48 && c <= 57)) return false;
  }
  return true;
}

/** `Number(text.slice(from, to))` for a run of digits (already checked), without the slice when it is exact. */
export function digitsValueAt(text: string, from: number, to: number): number {
  if (to - from > 15) return Number(text.slice(from, to));
  let v = 0;
  for (let i = from; i < to; i++) v = v * 10 + (text.charCodeAt(i) - 48);
  return v;
}
