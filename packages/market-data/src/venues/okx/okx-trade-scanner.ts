import type { Trade } from '@qt/shared';
import {
  digitsValueAt,
  flatObjectEnd,
  isDecimalAt,
  isDigitsAt,
  keyIs,
  primitiveEnd,
  stringEnd,
} from '../json-scan.ts';
import type { VenueMessage } from '../venue-adapter.ts';

const INST = 1;
const ID = 2;
const PX = 4;
const SZ = 8;
const SIDE = 16;
const TS = 32;
const COUNT = 64;
const REQUIRED = INST | ID | PX | SZ | SIDE | TS;

/**
 * The hot path for `trades` / `trades-all` frames (`{"arg":{"channel":..},"data":[{..},..]}`): one
 * left-to-right pass that checks the whole syntax and reads the fields while it goes. It takes only the
 * JSON subset OKX sends (no whitespace, no escapes, `arg` before `data`, primitive values in `arg` and
 * in each item, each field it reads present once, at least one item) and returns null for anything
 * else, including any item the general parser would call malformed: the caller then falls back to
 * `JSON.parse`, so the answer is always the general parser's.
 */
export function scanOkxTrades(
  text: string,
  receiveTime: number,
  canonical: (instId: string) => string | null,
): VenueMessage | null {
  if (text.charCodeAt(0) !== 123) return null;
  let i = 1;
  let haveArg = false;
  let trades: Trade[] | null = null;
  let ids: number[] | null = null;
  for (;;) {
    const k = i;
    const kEnd = stringEnd(text, k);
    if (kEnd < 0 || text.charCodeAt(kEnd) !== 58) return null;
    const v = kEnd + 1;
    if (keyIs(text, k, kEnd, 'arg')) {
      if (haveArg) return null;
      haveArg = true;
      i = flatObjectEnd(text, v);
      if (i < 0 || !tradesChannel(text, v)) return null;
    } else if (keyIs(text, k, kEnd, 'data')) {
      if (!haveArg || trades !== null) return null;
      trades = [];
      ids = [];
      i = scanItems(text, v, receiveTime, canonical, trades, ids);
      if (i < 0) return null;
    } else if (keyIs(text, k, kEnd, 'event')) {
      return null;
    } else {
      i = primitiveEnd(text, v);
      if (i < 0) return null;
    }
    const c = text.charCodeAt(i);
    if (c === 125) break;
    if (c !== 44) return null;
    i++;
  }
  if (i + 1 !== text.length || trades === null || ids === null) return null;
  return { kind: 'trades', trades, ids };
}

/** Whether the flat `arg` object at `at` (already checked) has one `channel`, `trades` or `trades-all`. */
function tradesChannel(text: string, at: number): boolean {
  let i = at + 1;
  let found = false;
  if (text.charCodeAt(i) === 125) return false;
  for (;;) {
    const k = i;
    const kEnd = stringEnd(text, k);
    const v = kEnd + 1;
    if (keyIs(text, k, kEnd, 'channel')) {
      if (found) return false;
      found = true;
      if (!text.startsWith('"trades"', v) && !text.startsWith('"trades-all"', v)) return false;
    }
    i = primitiveEnd(text, v);
    if (text.charCodeAt(i) === 125) return found;
    i++;
  }
}

/** Reads the `data` array at `at` into `trades` and `ids`; past its end, or -1. */
function scanItems(
  text: string,
  at: number,
  receiveTime: number,
  canonical: (instId: string) => string | null,
  trades: Trade[],
  ids: number[],
): number {
  if (text.charCodeAt(at) !== 91) return -1;
  let i = at + 1;
  let lastInst = '';
  let lastSymbol = '';
  for (;;) {
    if (text.charCodeAt(i) !== 123) return -1;
    i++;
    let seen = 0;
    let instFrom = 0;
    let instTo = 0;
    let idFrom = 0;
    let idTo = 0;
    let pxFrom = 0;
    let pxTo = 0;
    let szFrom = 0;
    let szTo = 0;
    let sideFrom = 0;
    let sideTo = 0;
    let tsFrom = 0;
    let tsTo = 0;
    let countFrom = 0;
    let countTo = 0;
    for (;;) {
      const k = i;
      const kEnd = stringEnd(text, k);
      if (kEnd < 0 || text.charCodeAt(kEnd) !== 58) return -1;
      const v = kEnd + 1;
      const len = kEnd - k - 2;
      const c0 = text.charCodeAt(k + 1);
      let bit = 0;
      if (len === 6 && c0 === 105 && text.startsWith('instId', k + 1)) bit = INST;
      else if (len === 7 && c0 === 116 && text.startsWith('tradeId', k + 1)) bit = ID;
      else if (len === 2) {
        const c1 = text.charCodeAt(k + 2);
        if (c0 === 112 && c1 === 120) bit = PX;
        else if (c0 === 115 && c1 === 122) bit = SZ;
        else if (c0 === 116 && c1 === 115) bit = TS;
      } else if (len === 4 && c0 === 115 && text.startsWith('side', k + 1)) bit = SIDE;
      else if (len === 5 && c0 === 99 && text.startsWith('count', k + 1)) bit = COUNT;
      if (bit === 0) {
        i = primitiveEnd(text, v);
      } else {
        if ((seen & bit) !== 0) return -1;
        seen |= bit;
        // Every field read here is a string; its content is [v + 1, i - 1).
        i = stringEnd(text, v);
        if (i < 0) return -1;
        const from = v + 1;
        const to = i - 1;
        if (bit === INST) {
          instFrom = from;
          instTo = to;
        } else if (bit === ID) {
          idFrom = from;
          idTo = to;
        } else if (bit === PX) {
          pxFrom = from;
          pxTo = to;
        } else if (bit === SZ) {
          szFrom = from;
          szTo = to;
        } else if (bit === TS) {
          tsFrom = from;
          tsTo = to;
        } else if (bit === SIDE) {
          sideFrom = from;
          sideTo = to;
        } else {
          countFrom = from;
          countTo = to;
        }
      }
      if (i < 0) return -1;
      const c = text.charCodeAt(i);
      if (c === 125) break;
      if (c !== 44) return -1;
      i++;
    }
    i++; // past the item's closing brace
    if ((seen & REQUIRED) !== REQUIRED) return -1;
    if (!isDigitsAt(text, idFrom, idTo) || !isDigitsAt(text, tsFrom, tsTo)) return -1;
    if (!isDecimalAt(text, pxFrom, pxTo) || !isDecimalAt(text, szFrom, szTo)) return -1;
    const sideLen = sideTo - sideFrom;
    let side: 'buy' | 'sell';
    if (sideLen === 3 && text.startsWith('buy', sideFrom)) side = 'buy';
    else if (sideLen === 4 && text.startsWith('sell', sideFrom)) side = 'sell';
    else return -1;
    let covered = 1;
    if ((seen & COUNT) !== 0) {
      // The general parser's rule: digits, and not the text `0`.
      if (!isDigitsAt(text, countFrom, countTo)) return -1;
      if (countTo - countFrom === 1 && text.charCodeAt(countFrom) === 48) return -1;
      covered = digitsValueAt(text, countFrom, countTo);
    }
    // Items of a frame share their instId: one lookup per frame.
    let instId: string;
    let symbol: string;
    if (instTo - instFrom === lastInst.length && lastInst !== '' && text.startsWith(lastInst, instFrom)) {
      instId = lastInst;
      symbol = lastSymbol;
    } else {
      instId = text.slice(instFrom, instTo);
      const canon = canonical(instId);
      if (canon === null) return -1;
      symbol = canon;
      lastInst = instId;
      lastSymbol = canon;
    }
    const tradeId = text.slice(idFrom, idTo);
    const last = digitsValueAt(text, idFrom, idTo);
    trades.push({
      venue: 'okx',
      symbol,
      venueSymbol: instId,
      tradeId,
      price: text.slice(pxFrom, pxTo),
      quantity: text.slice(szFrom, szTo),
      takerSide: side,
      exchangeTime: digitsValueAt(text, tsFrom, tsTo),
      receiveTime,
    });
    ids.push(last - covered + 1, last);
    const c = text.charCodeAt(i);
    if (c === 93) return i + 1;
    if (c !== 44) return -1;
    i++;
  }
}
