import type { Trade, TradeBatch } from '@qt/shared';
import { isValidTradeBatch } from './trade-batch-check.ts';

/**
 * The compact wire form of a `TradeBatch` (topic `market.trades`), about a third of its JSON and two to
 * three times cheaper to encode and decode, because the batch's venue, symbol and venue symbol are
 * written once and each trade is one line of six fields instead of an object with nine keys:
 *
 *   T1|<venue>|<symbol>|<venueSymbol>
 *   <tradeId>|<price>|<quantity>|<b or s>|<exchangeTime>|<receiveTime>
 *   ...                                                    (lines separated by "\n")
 *
 * `T` can never start a JSON text, so a reader tells the two forms apart by the first byte and messages
 * stored as JSON before this form existed still decode. The writer only uses it for a batch that its
 * schema accepts and whose free-text fields (tradeId, venueSymbol) hold no separator, and whose trades
 * share one venue symbol; anything else goes as JSON, so the reader's verdict on a message never depends
 * on the form it travelled in. One message is still one batch (one stream sequence), whatever its form.
 */
export const COMPACT_TRADES_PREFIX = 'T1|';
/** tradeBatchSchema's upper bound on trades per batch. */
const MAX_TRADES = 5_000;
/** The first byte of the compact form ('T'). */
export const COMPACT_TRADES_FIRST_BYTE = 0x54;

/** The compact text of a batch, or undefined when the batch must travel as JSON (see above). */
export function encodeCompactTradeBatch(value: unknown): string | undefined {
  if (!isValidTradeBatch(value)) return undefined;
  const trades = value.trades;
  const venueSymbol = (trades[0] as Trade).venueSymbol;
  if (hasSeparator(venueSymbol)) return undefined;
  let text = `${COMPACT_TRADES_PREFIX}${value.venue}|${value.symbol}|${venueSymbol}`;
  for (let i = 0; i < trades.length; i++) {
    const t = trades[i] as Trade;
    if (t.venueSymbol !== venueSymbol || hasSeparator(t.tradeId)) return undefined;
    text += `\n${t.tradeId}|${t.price}|${t.quantity}|${t.takerSide === 'buy' ? 'b' : 's'}|${t.exchangeTime}|${t.receiveTime}`;
  }
  return text;
}

export type CompactDecoded = { ok: true; value: TradeBatch } | { ok: false; reason: string };

/**
 * Parses the compact text into the plain value its JSON form would have parsed to. Only the layout is
 * checked here (fields per line, integer times); the caller runs the topic's schema check on the result,
 * exactly as on a JSON message, so a value is accepted or rejected by the same rules either way.
 */
export function decodeCompactTradeBatch(text: string): CompactDecoded {
  if (!text.startsWith(COMPACT_TRADES_PREFIX)) return { ok: false, reason: 'not a compact trade batch' };
  const end = text.length;
  let lineEnd = text.indexOf('\n');
  if (lineEnd < 0) lineEnd = end;
  const head = text.slice(COMPACT_TRADES_PREFIX.length, lineEnd).split('|');
  if (head.length !== 3) return { ok: false, reason: 'compact trade batch: bad header' };
  const venue = head[0] as string;
  const symbol = head[1] as string;
  const venueSymbol = head[2] as string;
  const trades: Trade[] = [];
  let p = lineEnd + 1;
  let line = 1;
  while (p <= end && lineEnd < end) {
    lineEnd = text.indexOf('\n', p);
    if (lineEnd < 0) lineEnd = end;
    const a = fieldEnd(text, p, lineEnd);
    const b = fieldEnd(text, a + 1, lineEnd);
    const c = fieldEnd(text, b + 1, lineEnd);
    const d = fieldEnd(text, c + 1, lineEnd);
    const e = fieldEnd(text, d + 1, lineEnd);
    // Exactly six fields: five separators found in the line and a sixth field after the fifth.
    if (e >= lineEnd || fieldEnd(text, e + 1, lineEnd) !== lineEnd) {
      return { ok: false, reason: `compact trade batch: line ${line} does not have 6 fields` };
    }
    const side = text.slice(c + 1, d);
    const exchangeTime = digits(text, d + 1, e);
    const receiveTime = digits(text, e + 1, lineEnd);
    if (exchangeTime < 0 || receiveTime < 0) {
      return { ok: false, reason: `compact trade batch: line ${line} has a time that is not an integer` };
    }
    trades.push({
      venue,
      symbol,
      venueSymbol,
      tradeId: text.slice(p, a),
      price: text.slice(a + 1, b),
      quantity: text.slice(b + 1, c),
      takerSide: (side === 'b' ? 'buy' : side === 's' ? 'sell' : side) as Trade['takerSide'],
      exchangeTime,
      receiveTime,
    });
    p = lineEnd + 1;
    line++;
    // The schema's bound, checked early so a hostile message cannot make us build a million objects.
    if (trades.length > MAX_TRADES)
      return { ok: false, reason: `compact trade batch: more than ${MAX_TRADES} trades` };
  }
  return { ok: true, value: { venue, symbol, trades } };
}

/** Index of the next '|' in [from, lineEnd), or lineEnd when there is none. */
function fieldEnd(text: string, from: number, lineEnd: number): number {
  if (from > lineEnd) return lineEnd;
  const i = text.indexOf('|', from);
  return i < 0 || i > lineEnd ? lineEnd : i;
}

/** A non-negative decimal integer of 1-16 digits in [from, to), or -1. */
function digits(text: string, from: number, to: number): number {
  const n = to - from;
  if (n < 1 || n > 16) return -1;
  let v = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

function hasSeparator(s: string): boolean {
  return s.includes('|') || s.includes('\n');
}
