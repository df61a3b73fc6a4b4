/**
 * Small checks shared by the parsers. They run once per trade, so they are loops over char codes
 * rather than regular expressions or allocations.
 */

/** A plain decimal as venues print them: digits, optionally one dot and more digits (no sign, no exponent). */
export function isDecimal(s: unknown): s is string {
  if (typeof s !== 'string') return false;
  const n = s.length;
  if (n === 0 || n > 49) return false;
  let dot = false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (dot || i === 0 || i === n - 1) return false;
      dot = true;
    } else if (c < 48 || c > 57) return false;
  }
  return true;
}

/** A string of decimal digits (OKX sends ids and times as strings). */
export function isDigits(s: unknown): s is string {
  if (typeof s !== 'string') return false;
  const n = s.length;
  if (n === 0 || n > 20) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

export function isNonNegativeInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * `"0.01000000"` -> `"0.01"`, `"1.00"` -> `"1"`: venues pad tick and lot sizes to their display precision;
 * the instrument keeps the value, not the padding.
 */
export function trimDecimal(s: string): string {
  if (!s.includes('.')) return s;
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 48) end--;
  if (s.charCodeAt(end - 1) === 46) end--;
  return s.slice(0, end);
}

/** Quote assets tried, longest first, when a venue glues base and quote together (`BTCUSDT`). */
const quoteAssets = [
  'FDUSD',
  'USDT',
  'USDC',
  'TUSD',
  'BUSD',
  'USDE',
  'EUR',
  'TRY',
  'BRL',
  'JPY',
  'GBP',
  'BTC',
  'ETH',
  'BNB',
  'DAI',
  'USD',
] as const;

/**
 * Splits a glued venue symbol by its quote suffix. A guess: venues that glue symbols are taught the real
 * split from their instruments (`registerSymbols`), and this only covers symbols nobody registered.
 */
export function splitGluedSymbol(venueSymbol: string): string | null {
  const upper = venueSymbol.toUpperCase();
  for (const q of quoteAssets) {
    if (upper.length > q.length && upper.endsWith(q)) return `${upper.slice(0, -q.length)}-${q}`;
  }
  return null;
}

/** Canonical `BTC-USDT` -> `BTCUSDT`. */
export function glueSymbol(symbol: string): string {
  return symbol.replace('-', '');
}

/** The first characters of a frame, for logs. */
export function sampleOf(text: string, max = 200): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
