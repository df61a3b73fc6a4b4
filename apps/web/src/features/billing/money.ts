/**
 * Money on screen. Amounts arrive as integer minor units (cents) and are split into whole and fraction
 * digits with bigint arithmetic: no binary float ever touches a price, fee or balance.
 */

/** Currencies without a minor unit (Stripe's list, the ones a dashboard might plausibly meet). */
const ZERO_DECIMAL = new Set(['jpy', 'krw', 'vnd', 'clp', 'pyg', 'ugx', 'xaf', 'xof', 'bif', 'djf', 'gnf']);
const SYMBOLS: Record<string, string> = { usd: '$', eur: '€', gbp: '£', jpy: '¥' };

function group(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** `4900, 'usd'` → `$49.00`; `-250, 'eur'` → `-€2.50`; an unknown currency is suffixed with its code. */
export function formatCents(cents: number, currency: string): string {
  if (!Number.isSafeInteger(cents)) throw new RangeError(`not an integer amount of minor units: ${cents}`);
  const code = currency.toLowerCase();
  const negative = cents < 0;
  const abs = BigInt(Math.abs(cents));
  let text: string;
  if (ZERO_DECIMAL.has(code)) text = group(abs.toString());
  else text = `${group((abs / 100n).toString())}.${(abs % 100n).toString().padStart(2, '0')}`;
  const symbol = SYMBOLS[code];
  const body = symbol ? `${symbol}${text}` : `${text} ${code.toUpperCase()}`;
  return negative ? `-${body}` : body;
}

/** A price with its interval: `$49.00 / month`, or `Free` for zero with no interval. */
export function formatPrice(cents: number, currency: string, interval: 'month' | 'year' | null): string {
  if (cents === 0 && interval === null) return 'Free';
  const amount = formatCents(cents, currency);
  return interval ? `${amount} / ${interval}` : amount;
}

export type ParsedDollars = { ok: true; cents: number } | { ok: false; message: string };

/** The largest amount a form accepts (the marketplace's cap is $10,000.00; this only guards the parse). */
const MAX_WHOLE_DIGITS = 9;

/**
 * What a person typed as a dollar amount → integer cents, from the digits of the string (`"49.9"` →
 * 4990, `"1,200"` → 120000, `"$5"` → 500). More than two decimals, signs, exponents and anything else
 * is refused rather than rounded: a price is never guessed.
 */
export function parseDollars(text: string): ParsedDollars {
  const cleaned = text
    .trim()
    .replace(/^\$/, '')
    .replace(/,(?=\d{3}(\D|$))/g, '');
  const m = /^(\d+)(?:\.(\d{0,2}))?$/.exec(cleaned);
  if (!m) {
    if (/^\d*\.\d{3,}$/.test(cleaned)) return { ok: false, message: 'At most two decimals (cents).' };
    return { ok: false, message: 'Enter an amount like 19 or 19.99.' };
  }
  const whole = (m[1] ?? '0').replace(/^0+(?=\d)/, '');
  if (whole.length > MAX_WHOLE_DIGITS) return { ok: false, message: 'That amount is too large.' };
  const frac = (m[2] ?? '').padEnd(2, '0');
  const cents = BigInt(whole) * 100n + BigInt(frac);
  return { ok: true, cents: Number(cents) };
}

/** The monthly equivalent of a recurring price, whole cents rounded down (for comparing yearly with monthly). */
export function monthlyCents(cents: number, interval: 'month' | 'year'): number {
  return interval === 'month' ? cents : Number(BigInt(cents) / 12n);
}
