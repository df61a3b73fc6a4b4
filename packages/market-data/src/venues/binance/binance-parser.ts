/**
 * Binance Spot WebSocket Streams frame parser.
 * Follows binance-spot-api-docs `web-socket-streams.md` as of 2026 (trade without `b`/`a`, removed in
 * 2025; `serverShutdown` event; ping every 20 s) and accepts the 2023-12-04 frames (with `b`/`a`) too.
 * Times are ms (the connector never asks for `timeUnit=MICROSECOND`).
 */
import type { Trade } from '@qt/shared';
import type { VenueMessage } from '../venue-adapter.ts';
import { isDecimal, isNonNegativeInt, isRecord } from '../wire-helpers.ts';
import { scanBinanceTrade, scannedTrade } from './binance-trade-scanner.ts';

const venue = 'binance';

export function parseBinanceFrame(
  text: string,
  receiveTime: number,
  canonical: (venueSymbol: string) => string | null,
): VenueMessage {
  const fast = scanBinanceTrade(text, receiveTime, canonical);
  if (fast !== null) {
    const id = scannedTrade.id;
    return { kind: 'trades', trades: [fast], ids: [id, id] };
  }
  return parseBinanceJson(text, receiveTime, canonical);
}

/** The general path: `JSON.parse`, then the frame's shape (the scanner's reference in tests). */
export function parseBinanceJson(
  text: string,
  receiveTime: number,
  canonical: (venueSymbol: string) => string | null,
): VenueMessage {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return { kind: 'malformed', reason: 'invalid JSON' };
  }
  if (!isRecord(msg)) return { kind: 'malformed', reason: 'not a JSON object' };
  const data = msg.data;
  // Combined stream: {"stream":"btcusdt@trade","data":{...}}
  if (typeof msg.stream === 'string' && isRecord(data))
    return parsePayload(msg.stream, data, receiveTime, canonical);
  if ('id' in msg) {
    const requestId = msg.id === null || msg.id === undefined ? null : String(msg.id);
    const error = msg.error;
    if (isRecord(error)) {
      return { kind: 'error', requestId, code: String(error.code), message: String(error.msg ?? '') };
    }
    if (typeof msg.code === 'number') {
      return { kind: 'error', requestId, code: String(msg.code), message: String(msg.msg ?? '') };
    }
    if ('result' in msg) return { kind: 'ack', requestId };
  }
  // The older error shape has no id: {"code": 2, "msg": "Invalid request: ..."}
  if (typeof msg.code === 'number' && typeof msg.msg === 'string') {
    return { kind: 'error', requestId: null, code: String(msg.code), message: msg.msg };
  }
  // Raw stream (`/ws/<stream>`): the payload itself.
  return parsePayload('', msg, receiveTime, canonical);
}

function parsePayload(
  stream: string,
  d: Record<string, unknown>,
  receiveTime: number,
  canonical: (venueSymbol: string) => string | null,
): VenueMessage {
  const e = d.e;
  if (e === 'trade') {
    const { s, t, p, q, T, m } = d;
    if (typeof s !== 'string' || !isNonNegativeInt(t) || !isDecimal(p) || !isDecimal(q)) {
      return { kind: 'malformed', reason: 'trade: bad s/t/p/q' };
    }
    if (!isNonNegativeInt(T) || typeof m !== 'boolean')
      return { kind: 'malformed', reason: 'trade: bad T/m' };
    const symbol = canonical(s);
    if (symbol === null) return { kind: 'malformed', reason: `trade: unknown symbol ${s}` };
    const trade: Trade = {
      venue,
      symbol,
      venueSymbol: s,
      tradeId: String(t),
      price: p,
      quantity: q,
      // `m`: the buyer is the maker, so the taker sold.
      takerSide: m ? 'sell' : 'buy',
      exchangeTime: T,
      receiveTime,
    };
    return { kind: 'trades', trades: [trade], ids: [t, t] };
  }
  if (e === 'aggTrade') {
    const { s, a, p, q, f, l, T, m } = d;
    if (typeof s !== 'string' || !isNonNegativeInt(a) || !isDecimal(p) || !isDecimal(q)) {
      return { kind: 'malformed', reason: 'aggTrade: bad s/a/p/q' };
    }
    if (
      !isNonNegativeInt(f) ||
      !isNonNegativeInt(l) ||
      l < f ||
      !isNonNegativeInt(T) ||
      typeof m !== 'boolean'
    ) {
      return { kind: 'malformed', reason: 'aggTrade: bad f/l/T/m' };
    }
    const symbol = canonical(s);
    if (symbol === null) return { kind: 'malformed', reason: `aggTrade: unknown symbol ${s}` };
    const trade: Trade = {
      venue,
      symbol,
      venueSymbol: s,
      tradeId: String(a),
      price: p,
      quantity: q,
      takerSide: m ? 'sell' : 'buy',
      exchangeTime: T,
      receiveTime,
    };
    // Gaps are tracked on the underlying trade ids, which `f`..`l` cover without holes.
    return { kind: 'trades', trades: [trade], ids: [f, l] };
  }
  if (e === 'serverShutdown') return { kind: 'shutdown', message: 'serverShutdown' };
  // bookTicker has no `e`: known by its stream name, or by its shape on a raw stream.
  if (e === undefined && (stream.endsWith('@bookTicker') || (stream === '' && 'u' in d && 'B' in d))) {
    const { s, u, b, B, a, A } = d;
    if (typeof s !== 'string' || !isNonNegativeInt(u))
      return { kind: 'malformed', reason: 'bookTicker: bad s/u' };
    if (!isDecimal(b) || !isDecimal(B) || !isDecimal(a) || !isDecimal(A)) {
      return { kind: 'malformed', reason: 'bookTicker: bad prices' };
    }
    const symbol = canonical(s);
    if (symbol === null) return { kind: 'malformed', reason: `bookTicker: unknown symbol ${s}` };
    return {
      kind: 'quote',
      quote: {
        venue,
        symbol,
        bidPrice: b,
        bidSize: B,
        askPrice: a,
        askSize: A,
        // The spot bookTicker carries no time: the receive time stands in for it.
        exchangeTime: receiveTime,
        receiveTime,
        updateId: String(u),
      },
    };
  }
  return { kind: 'unknown' };
}
