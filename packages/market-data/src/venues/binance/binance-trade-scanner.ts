import type { Trade } from '@qt/shared';
import { isDecimal } from '../wire-helpers.ts';

/**
 * The hot path for the frame that dominates the stream, `@trade`: reads the six fields it needs with
 * `indexOf` instead of building the whole object with `JSON.parse`. Binance keys are unique single
 * letters and the values read are integers, booleans and plain decimal strings, so a key pattern such as
 * `"p":"` cannot occur inside another value. Each field read is validated, and the frame must end as a
 * complete one does; anything unexpected returns null and the caller falls back to `JSON.parse`.
 */
export function scanBinanceTrade(
  text: string,
  receiveTime: number,
  canonical: (venueSymbol: string) => string | null,
): Trade | null {
  if (text.charCodeAt(text.length - 1) !== 125 || text.indexOf('"e":"trade"') < 0) return null;
  const s = stringAfter(text, '"s":"');
  const p = stringAfter(text, '"p":"');
  const q = stringAfter(text, '"q":"');
  const tradeId = digitsAfter(text, '"t":');
  const tradeTime = digitsAfter(text, '"T":');
  if (s === null || p === null || q === null || tradeId === null || tradeTime === null) return null;
  const mAt = text.indexOf('"m":');
  if (mAt < 0) return null;
  const m = text.charCodeAt(mAt + 4);
  if ((m !== 116 && m !== 102) || !isDecimal(p) || !isDecimal(q)) return null; // t(rue) / f(alse)
  const symbol = canonical(s);
  if (symbol === null) return null;
  return {
    venue: 'binance',
    symbol,
    venueSymbol: s,
    tradeId,
    price: p,
    quantity: q,
    // `m`: the buyer is the maker, so the taker sold.
    takerSide: m === 116 ? 'sell' : 'buy',
    exchangeTime: Number(tradeTime),
    receiveTime,
  };
}

function stringAfter(text: string, key: string): string | null {
  const at = text.indexOf(key);
  if (at < 0) return null;
  const start = at + key.length;
  const end = text.indexOf('"', start);
  if (end < 0 || end - start > 48) return null;
  return text.slice(start, end);
}

/** The digits of a non-negative integer value after `key` (at most 15, so it is a safe integer). */
function digitsAfter(text: string, key: string): string | null {
  const at = text.indexOf(key);
  if (at < 0) return null;
  const start = at + key.length;
  let i = start;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) break;
    i++;
  }
  const next = text.charCodeAt(i);
  if (i === start || i - start > 15 || (next !== 44 && next !== 125)) return null;
  return text.slice(start, i);
}
