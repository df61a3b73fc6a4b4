import type { TradeBatch } from '@qt/shared';

/**
 * A hand-written `tradeBatchSchema` check for the hot topic (`market.trades.*`): the same rules as the
 * zod schema, as loops over char codes, with no allocation. It only ever says yes to a batch the schema
 * accepts (property-tested against zod); when it says no, the codec asks zod, which gives the verdict
 * and the reason. So it can only make the common case cheaper, never change an answer.
 *
 * Written for values from `JSON.parse` (plain objects, own data properties); anything else that it does
 * not recognise as a valid batch (inherited keys, accessors, a different prototype) goes to zod too.
 */
export function isValidTradeBatch(value: unknown): value is TradeBatch {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const b = value as Record<string, unknown>;
  const venue = b.venue;
  const symbol = b.symbol;
  const trades = b.trades;
  if (!isVenueId(venue) || !isCanonicalSymbol(symbol) || !Array.isArray(trades)) return false;
  if (keyCount(b) !== 3) return false;
  const n = trades.length;
  if (n < 1 || n > 5_000) return false;
  for (let i = 0; i < n; i++) {
    const t = trades[i];
    if (typeof t !== 'object' || t === null || Array.isArray(t)) return false;
    const r = t as Record<string, unknown>;
    // The batch's refinement: every trade carries the batch venue and symbol (so theirs are valid too).
    if (r.venue !== venue || r.symbol !== symbol) return false;
    const venueSymbol = r.venueSymbol;
    const tradeId = r.tradeId;
    if (typeof venueSymbol !== 'string' || venueSymbol.length < 1 || venueSymbol.length > 40) return false;
    if (typeof tradeId !== 'string' || tradeId.length < 1 || tradeId.length > 64) return false;
    if (!isDecimalString(r.price) || !isDecimalString(r.quantity)) return false;
    const side = r.takerSide;
    if (side !== 'buy' && side !== 'sell') return false;
    if (!isTime(r.exchangeTime) || !isTime(r.receiveTime)) return false;
    if (keyCount(r) !== 9) return false;
  }
  return true;
}

/** Own and inherited enumerable keys (a plain object from JSON.parse has only its own). */
function keyCount(o: object): number {
  let n = 0;
  for (const k in o) {
    if (!Object.hasOwn(o, k)) return -1;
    n++;
  }
  return n;
}

/** `z.number().int().nonnegative()`: a safe integer >= 0. */
function isTime(v: unknown): boolean {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** `/^-?\d{1,30}(\.\d{1,18})?$/` */
function isDecimalString(v: unknown): boolean {
  if (typeof v !== 'string') return false;
  const n = v.length;
  let i = v.charCodeAt(0) === 45 ? 1 : 0;
  const intFrom = i;
  while (i < n && isDigit(v.charCodeAt(i))) i++;
  const intLen = i - intFrom;
  if (intLen < 1 || intLen > 30) return false;
  if (i === n) return true;
  if (v.charCodeAt(i) !== 46) return false;
  const fracFrom = ++i;
  while (i < n && isDigit(v.charCodeAt(i))) i++;
  const fracLen = i - fracFrom;
  return i === n && fracLen >= 1 && fracLen <= 18;
}

/** `/^[a-z][a-z0-9_-]{1,31}$/` */
function isVenueId(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  const n = v.length;
  if (n < 2 || n > 32) return false;
  const c0 = v.charCodeAt(0);
  if (!(c0 >= 97 && c0 <= 122)) return false;
  for (let i = 1; i < n; i++) {
    const c = v.charCodeAt(i);
    if (!((c >= 97 && c <= 122) || isDigit(c) || c === 95 || c === 45)) return false;
  }
  return true;
}

/** `/^[A-Z0-9]{1,20}-[A-Z0-9]{1,20}$/` */
function isCanonicalSymbol(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  const n = v.length;
  const dash = v.indexOf('-');
  if (dash < 1 || dash > 20 || n - dash - 1 < 1 || n - dash - 1 > 20) return false;
  for (let i = 0; i < n; i++) {
    if (i === dash) continue;
    const c = v.charCodeAt(i);
    if (!((c >= 65 && c <= 90) || isDigit(c))) return false;
  }
  return true;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
