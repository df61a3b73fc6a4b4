/**
 * Bybit v5 public spot WebSocket frame parser (bybit-exchange.github.io/docs/v5, 2026): `publicTrade.<sym>`
 * (`T`, `s`, `S` taker side, `v`, `p`, `i` trade id, `BT`, `seq` cross sequence; `L` on derivatives
 * only), `orderbook.1.<sym>` (always a snapshot; `u` 1 means the book service restarted), acks
 * `{"success":...,"op":"subscribe"}`, pongs (`ret_msg:"pong"` / `op:"pong"`). Key order is not relied on.
 */
import type { Trade } from '@qt/shared';
import type { VenueMessage } from '../venue-adapter.ts';
import { isDecimal, isNonNegativeInt, isRecord } from '../wire-helpers.ts';
import { scanBybitTrades } from './bybit-trade-scanner.ts';

const venue = 'bybit';

export function parseBybitFrame(
  text: string,
  receiveTime: number,
  canonical: (venueSymbol: string) => string | null,
): VenueMessage {
  return scanBybitTrades(text, receiveTime, canonical) ?? parseBybitJson(text, receiveTime, canonical);
}

/** The general path: `JSON.parse`, then the frame's shape (the scanner's reference in tests). */
export function parseBybitJson(
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
  const topic = msg.topic;
  if (typeof topic === 'string') {
    if (topic.startsWith('publicTrade.')) return parseTrades(msg.data, receiveTime, canonical);
    if (topic.startsWith('orderbook.1.')) return parseBook(msg, receiveTime, canonical);
    return { kind: 'unknown' };
  }
  const op = msg.op;
  if (op === 'pong') return { kind: 'pong' };
  if (typeof msg.success === 'boolean') {
    const requestId = typeof msg.req_id === 'string' && msg.req_id !== '' ? msg.req_id : null;
    const retMsg = typeof msg.ret_msg === 'string' ? msg.ret_msg : '';
    if (!msg.success) return { kind: 'error', requestId, code: 'success:false', message: retMsg };
    if (op === 'ping' || retMsg === 'pong') return { kind: 'pong' };
    if (op === 'subscribe' || op === 'unsubscribe') return { kind: 'ack', requestId };
  }
  return { kind: 'unknown' };
}

function parseTrades(
  data: unknown,
  receiveTime: number,
  canonical: (s: string) => string | null,
): VenueMessage {
  if (!Array.isArray(data)) return { kind: 'malformed', reason: 'publicTrade: data not an array' };
  const n = data.length;
  const trades: Trade[] = new Array(n);
  const ids: number[] = new Array(n * 2);
  for (let i = 0; i < n; i++) {
    const d = data[i];
    if (!isRecord(d)) return { kind: 'malformed', reason: 'publicTrade: item not an object' };
    const { T, s, S, v, p, i: id, seq } = d;
    if (typeof s !== 'string' || typeof id !== 'string' || id === '' || !isDecimal(p) || !isDecimal(v)) {
      return { kind: 'malformed', reason: 'publicTrade: bad s/i/p/v' };
    }
    if (!isNonNegativeInt(T) || (S !== 'Buy' && S !== 'Sell'))
      return { kind: 'malformed', reason: 'publicTrade: bad T/S' };
    const symbol = canonical(s);
    if (symbol === null) return { kind: 'malformed', reason: `publicTrade: unknown symbol ${s}` };
    trades[i] = {
      venue,
      symbol,
      venueSymbol: s,
      tradeId: id,
      price: p,
      quantity: v,
      takerSide: S === 'Buy' ? 'buy' : 'sell',
      exchangeTime: T,
      receiveTime,
    };
    const cross = isNonNegativeInt(seq) ? seq : Number.NaN;
    ids[2 * i] = cross;
    ids[2 * i + 1] = cross;
  }
  return { kind: 'trades', trades, ids };
}

function parseBook(
  msg: Record<string, unknown>,
  receiveTime: number,
  canonical: (s: string) => string | null,
): VenueMessage {
  const d = msg.data;
  const ts = msg.ts;
  if (!isRecord(d) || !isNonNegativeInt(ts)) return { kind: 'malformed', reason: 'orderbook.1: bad data/ts' };
  const { s, b, a, u } = d;
  if (typeof s !== 'string' || !Array.isArray(b) || !Array.isArray(a)) {
    return { kind: 'malformed', reason: 'orderbook.1: bad s/b/a' };
  }
  const bid = b[0];
  const ask = a[0];
  if (bid === undefined || ask === undefined) return { kind: 'ignored' };
  if (!Array.isArray(bid) || !Array.isArray(ask) || !isDecimal(bid[0]) || !isDecimal(bid[1])) {
    return { kind: 'malformed', reason: 'orderbook.1: bad level' };
  }
  if (!isDecimal(ask[0]) || !isDecimal(ask[1]))
    return { kind: 'malformed', reason: 'orderbook.1: bad level' };
  const symbol = canonical(s);
  if (symbol === null) return { kind: 'malformed', reason: `orderbook.1: unknown symbol ${s}` };
  return {
    kind: 'quote',
    quote: {
      venue,
      symbol,
      bidPrice: bid[0],
      bidSize: bid[1],
      askPrice: ask[0],
      askSize: ask[1],
      exchangeTime: ts,
      receiveTime,
      ...(isNonNegativeInt(u) ? { updateId: String(u) } : {}),
    },
  };
}
