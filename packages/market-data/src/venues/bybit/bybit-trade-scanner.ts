import type { Trade } from '@qt/shared';
import { isDecimalAt, keyIs, primitiveEnd, scanned, stringEnd, uintEnd } from '../json-scan.ts';
import type { VenueMessage } from '../venue-adapter.ts';

const T_TIME = 1;
const SYM = 2;
const SIDE = 4;
const VOL = 8;
const PRICE = 16;
const ID = 32;
const SEQ = 64;
const REQUIRED = T_TIME | SYM | SIDE | VOL | PRICE | ID;

/**
 * The hot path for `publicTrade.<symbol>` frames (`{"topic":..,"type":..,"ts":..,"data":[{..},..]}`): one
 * left-to-right pass that checks the whole syntax and reads the fields while it goes. It takes only the
 * JSON subset Bybit sends (no whitespace, no escapes, `topic` before `data`, primitive values in each
 * item, each field it reads present once, integers as plain digits, at least one item) and returns null
 * for anything else, including any item the general parser would call malformed: the caller then falls
 * back to `JSON.parse`, so the answer is always the general parser's.
 */
export function scanBybitTrades(
  text: string,
  receiveTime: number,
  canonical: (venueSymbol: string) => string | null,
): VenueMessage | null {
  if (text.charCodeAt(0) !== 123) return null;
  let i = 1;
  let haveTopic = false;
  let trades: Trade[] | null = null;
  let ids: number[] | null = null;
  for (;;) {
    const k = i;
    const kEnd = stringEnd(text, k);
    if (kEnd < 0 || text.charCodeAt(kEnd) !== 58) return null;
    const v = kEnd + 1;
    if (keyIs(text, k, kEnd, 'topic')) {
      if (haveTopic || !text.startsWith('"publicTrade.', v)) return null;
      haveTopic = true;
      i = stringEnd(text, v);
    } else if (keyIs(text, k, kEnd, 'data')) {
      if (!haveTopic || trades !== null) return null;
      trades = [];
      ids = [];
      i = scanItems(text, v, receiveTime, canonical, trades, ids);
    } else {
      i = primitiveEnd(text, v);
    }
    if (i < 0) return null;
    const c = text.charCodeAt(i);
    if (c === 125) break;
    if (c !== 44) return null;
    i++;
  }
  if (i + 1 !== text.length || trades === null || ids === null) return null;
  return { kind: 'trades', trades, ids };
}

/** Reads the `data` array at `at` into `trades` and `ids`; past its end, or -1. */
function scanItems(
  text: string,
  at: number,
  receiveTime: number,
  canonical: (venueSymbol: string) => string | null,
  trades: Trade[],
  ids: number[],
): number {
  if (text.charCodeAt(at) !== 91) return -1;
  let i = at + 1;
  let lastSym = '';
  let lastSymbol = '';
  for (;;) {
    if (text.charCodeAt(i) !== 123) return -1;
    i++;
    let seen = 0;
    let time = 0;
    let seq = Number.NaN;
    let buy = false;
    let sFrom = 0;
    let sTo = 0;
    let vFrom = 0;
    let vTo = 0;
    let pFrom = 0;
    let pTo = 0;
    let idFrom = 0;
    let idTo = 0;
    for (;;) {
      const k = i;
      const kEnd = stringEnd(text, k);
      if (kEnd < 0 || text.charCodeAt(kEnd) !== 58) return -1;
      const v = kEnd + 1;
      let bit = 0;
      if (kEnd - k === 3) {
        const c = text.charCodeAt(k + 1);
        if (c === 84) {
          // T
          i = uintEnd(text, v);
          time = scanned.int;
          bit = T_TIME;
        } else if (c === 83) {
          // S
          if (text.startsWith('"Buy"', v)) {
            buy = true;
            i = v + 5;
          } else if (text.startsWith('"Sell"', v)) {
            buy = false;
            i = v + 6;
          } else return -1;
          bit = SIDE;
        } else if (c === 115 || c === 118 || c === 112 || c === 105) {
          // s, v, p, i
          i = stringEnd(text, v);
          const from = v + 1;
          const to = i - 1;
          if (c === 115) {
            sFrom = from;
            sTo = to;
            bit = SYM;
          } else if (c === 118) {
            vFrom = from;
            vTo = to;
            bit = VOL;
          } else if (c === 112) {
            pFrom = from;
            pTo = to;
            bit = PRICE;
          } else {
            idFrom = from;
            idTo = to;
            bit = ID;
          }
        } else {
          i = primitiveEnd(text, v);
        }
      } else if (keyIs(text, k, kEnd, 'seq')) {
        i = uintEnd(text, v);
        seq = scanned.int;
        bit = SEQ;
      } else {
        i = primitiveEnd(text, v);
      }
      if (i < 0 || (seen & bit) !== 0) return -1;
      seen |= bit;
      const c = text.charCodeAt(i);
      if (c === 125) break;
      if (c !== 44) return -1;
      i++;
    }
    i++; // past the item's closing brace
    if ((seen & REQUIRED) !== REQUIRED || idTo === idFrom) return -1;
    if (!isDecimalAt(text, pFrom, pTo) || !isDecimalAt(text, vFrom, vTo)) return -1;
    // Items of a frame share their symbol: one lookup per frame.
    let venueSymbol: string;
    let symbol: string;
    if (sTo - sFrom === lastSym.length && lastSym !== '' && text.startsWith(lastSym, sFrom)) {
      venueSymbol = lastSym;
      symbol = lastSymbol;
    } else {
      venueSymbol = text.slice(sFrom, sTo);
      const canon = canonical(venueSymbol);
      if (canon === null) return -1;
      symbol = canon;
      lastSym = venueSymbol;
      lastSymbol = canon;
    }
    trades.push({
      venue: 'bybit',
      symbol,
      venueSymbol,
      tradeId: text.slice(idFrom, idTo),
      price: text.slice(pFrom, pTo),
      quantity: text.slice(vFrom, vTo),
      takerSide: buy ? 'buy' : 'sell',
      exchangeTime: time,
      receiveTime,
    });
    ids.push(seq, seq);
    const c = text.charCodeAt(i);
    if (c === 93) return i + 1;
    if (c !== 44) return -1;
    i++;
  }
}
