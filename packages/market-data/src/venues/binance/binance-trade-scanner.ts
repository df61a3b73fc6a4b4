import type { Trade } from '@qt/shared';
import { isDecimalAt, keyIs, primitiveEnd, scanned, stringEnd, uintEnd } from '../json-scan.ts';

/** The trade id (`t`) of the last trade `scanBinanceTrade` returned, as a number. */
export const scannedTrade = { id: 0 };

const E = 1;
const S = 2;
const T_ID = 4;
const P = 8;
const Q = 16;
const T_TIME = 32;
const M = 64;
const ALL = 127;

/**
 * The hot path for the frame that dominates the stream, `@trade`, combined (`{"stream":..,"data":{..}}`)
 * or raw: one left-to-right pass over the frame that checks its whole syntax and reads the fields while
 * it goes, instead of building the object with `JSON.parse`. It takes only the JSON subset Binance
 * sends (no whitespace, no escapes, primitive values in the payload, each field it reads present once)
 * and an `e` of `trade`; for anything else it returns null and the caller falls back to `JSON.parse`, so
 * it never accepts a frame `JSON.parse` + `parsePayload` would reject, and returns what they would.
 */
export function scanBinanceTrade(
  text: string,
  receiveTime: number,
  canonical: (venueSymbol: string) => string | null,
): Trade | null {
  if (text.charCodeAt(0) !== 123) return null;
  let i: number;
  let combined = false;
  if (text.startsWith('"stream":"', 1)) {
    // {"stream":"<name>","data":{...}}
    i = stringEnd(text, 10);
    if (i < 0 || !text.startsWith(',"data":{', i)) return null;
    i += 8;
    combined = true;
  } else {
    i = 0;
  }
  // The payload object at i.
  let seen = 0;
  let sFrom = 0;
  let sTo = 0;
  let pFrom = 0;
  let pTo = 0;
  let qFrom = 0;
  let qTo = 0;
  let id = 0;
  let idFrom = 0;
  let idTo = 0;
  let time = 0;
  let m = false;
  i++;
  for (;;) {
    const k = i;
    const kEnd = stringEnd(text, k);
    if (kEnd < 0 || text.charCodeAt(kEnd) !== 58) return null;
    const v = kEnd + 1;
    let bit = 0;
    if (kEnd - k === 3) {
      const c = text.charCodeAt(k + 1);
      if (c === 101) {
        // e
        if (!text.startsWith('"trade"', v)) return null;
        i = v + 7;
        bit = E;
      } else if (c === 115 || c === 112 || c === 113) {
        // s, p, q
        i = stringEnd(text, v);
        if (i < 0) return null;
        if (c === 115) {
          sFrom = v + 1;
          sTo = i - 1;
          bit = S;
        } else if (c === 112) {
          pFrom = v + 1;
          pTo = i - 1;
          bit = P;
        } else {
          qFrom = v + 1;
          qTo = i - 1;
          bit = Q;
        }
      } else if (c === 116 || c === 84) {
        // t, T
        i = uintEnd(text, v);
        if (i < 0) return null;
        if (c === 116) {
          id = scanned.int;
          idFrom = v;
          idTo = i;
          bit = T_ID;
        } else {
          time = scanned.int;
          bit = T_TIME;
        }
      } else if (c === 109) {
        // m
        if (text.startsWith('true', v)) {
          m = true;
          i = v + 4;
        } else if (text.startsWith('false', v)) {
          m = false;
          i = v + 5;
        } else return null;
        bit = M;
      } else {
        i = primitiveEnd(text, v);
      }
    } else {
      // A raw (non-combined) frame with `id` or `code` is read as an answer or an error by the parser.
      if (!combined && (keyIs(text, k, kEnd, 'id') || keyIs(text, k, kEnd, 'code'))) return null;
      i = primitiveEnd(text, v);
    }
    if (i < 0 || (seen & bit) !== 0) return null;
    seen |= bit;
    const c = text.charCodeAt(i);
    if (c === 125) break;
    if (c !== 44) return null;
    i++;
  }
  // i is the payload's closing brace; the combined frame closes once more.
  if (combined) {
    if (text.charCodeAt(i + 1) !== 125 || i + 2 !== text.length) return null;
  } else if (i + 1 !== text.length) return null;
  if (seen !== ALL || !isDecimalAt(text, pFrom, pTo) || !isDecimalAt(text, qFrom, qTo)) return null;
  const s = text.slice(sFrom, sTo);
  const symbol = canonical(s);
  if (symbol === null) return null;
  scannedTrade.id = id;
  return {
    venue: 'binance',
    symbol,
    venueSymbol: s,
    // Plain digits without a leading zero: the text is String(id).
    tradeId: text.slice(idFrom, idTo),
    price: text.slice(pFrom, pTo),
    quantity: text.slice(qFrom, qTo),
    // `m`: the buyer is the maker, so the taker sold.
    takerSide: m ? 'sell' : 'buy',
    exchangeTime: time,
    receiveTime,
  };
}
