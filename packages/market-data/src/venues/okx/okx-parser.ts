/**
 * OKX API v5 public WebSocket frame parser (okx.com/docs-v5, 2025): `trades` (aggregated per taker
 * order and price: `tradeId` is the last id, `count` how many it covers), `trades-all` (one trade each,
 * no `count`), `bbo-tbt`; events `subscribe`/`unsubscribe`/`error`/`notice` (64008: service upgrade);
 * the text `pong`. Values are strings except `seqId`; extra fields (`source`, ...) are tolerated.
 */
import type { Trade } from '@qt/shared';
import type { VenueMessage } from '../venue-adapter.ts';
import { isDecimal, isDigits, isRecord } from '../wire-helpers.ts';
import { scanOkxTrades } from './okx-trade-scanner.ts';

const venue = 'okx';

export function parseOkxFrame(
  text: string,
  receiveTime: number,
  canonical: (instId: string) => string | null,
): VenueMessage {
  return scanOkxTrades(text, receiveTime, canonical) ?? parseOkxJson(text, receiveTime, canonical);
}

/** The general path: `JSON.parse`, then the frame's shape (the scanner's reference in tests). */
export function parseOkxJson(
  text: string,
  receiveTime: number,
  canonical: (instId: string) => string | null,
): VenueMessage {
  if (text === 'pong') return { kind: 'pong' };
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return { kind: 'malformed', reason: 'invalid JSON' };
  }
  if (!isRecord(msg)) return { kind: 'malformed', reason: 'not a JSON object' };
  const arg = msg.arg;
  const data = msg.data;
  if (Array.isArray(data) && isRecord(arg) && msg.event === undefined) {
    const channel = arg.channel;
    if (channel === 'trades' || channel === 'trades-all') return parseTrades(data, receiveTime, canonical);
    if (channel === 'bbo-tbt') return parseBbo(arg.instId, data, receiveTime, canonical);
    return { kind: 'unknown' };
  }
  const event = msg.event;
  if (typeof event !== 'string') return { kind: 'unknown' };
  const requestId = typeof msg.id === 'string' && msg.id !== '' ? msg.id : null;
  if (event === 'subscribe' || event === 'unsubscribe') return { kind: 'ack', requestId };
  if (event === 'error')
    return { kind: 'error', requestId, code: String(msg.code ?? ''), message: String(msg.msg ?? '') };
  if (event === 'notice' && String(msg.code) === '64008')
    return { kind: 'shutdown', message: String(msg.msg ?? '') };
  return { kind: 'unknown' };
}

function parseTrades(
  data: unknown[],
  receiveTime: number,
  canonical: (instId: string) => string | null,
): VenueMessage {
  const n = data.length;
  const trades: Trade[] = new Array(n);
  const ids: number[] = new Array(n * 2);
  for (let i = 0; i < n; i++) {
    const d = data[i];
    if (!isRecord(d)) return { kind: 'malformed', reason: 'trades: item not an object' };
    const { instId, tradeId, px, sz, side, ts, count } = d;
    if (
      typeof instId !== 'string' ||
      !isDigits(tradeId) ||
      !isDecimal(px) ||
      !isDecimal(sz) ||
      !isDigits(ts)
    ) {
      return { kind: 'malformed', reason: 'trades: bad instId/tradeId/px/sz/ts' };
    }
    if (side !== 'buy' && side !== 'sell') return { kind: 'malformed', reason: 'trades: bad side' };
    let covered = 1;
    if (count !== undefined) {
      if (!isDigits(count) || count === '0') return { kind: 'malformed', reason: 'trades: bad count' };
      covered = Number(count);
    }
    const symbol = canonical(instId);
    if (symbol === null) return { kind: 'malformed', reason: `trades: not a spot instId ${instId}` };
    const last = Number(tradeId);
    trades[i] = okxTrade(symbol, instId, tradeId, px, sz, side, ts, receiveTime);
    ids[2 * i] = last - covered + 1;
    ids[2 * i + 1] = last;
  }
  return { kind: 'trades', trades, ids };
}

/** One OKX trade row (`trades`/`trades-all` frames, REST history-trades), its fields already checked. */
export function okxTrade(
  symbol: string,
  instId: string,
  tradeId: string,
  px: string,
  sz: string,
  side: 'buy' | 'sell',
  ts: string,
  receiveTime: number,
): Trade {
  return {
    venue,
    symbol,
    venueSymbol: instId,
    tradeId,
    price: px,
    quantity: sz,
    takerSide: side,
    exchangeTime: Number(ts),
    receiveTime,
  };
}

function parseBbo(
  instId: unknown,
  data: unknown[],
  receiveTime: number,
  canonical: (instId: string) => string | null,
): VenueMessage {
  const d = data[0];
  if (typeof instId !== 'string' || !isRecord(d))
    return { kind: 'malformed', reason: 'bbo-tbt: bad instId/data' };
  const { asks, bids, ts, seqId } = d;
  if (!isDigits(ts) || !Array.isArray(asks) || !Array.isArray(bids)) {
    return { kind: 'malformed', reason: 'bbo-tbt: bad ts/asks/bids' };
  }
  const ask = asks[0];
  const bid = bids[0];
  if (ask === undefined || bid === undefined) return { kind: 'ignored' };
  if (!Array.isArray(ask) || !Array.isArray(bid) || !isDecimal(ask[0]) || !isDecimal(ask[1])) {
    return { kind: 'malformed', reason: 'bbo-tbt: bad level' };
  }
  if (!isDecimal(bid[0]) || !isDecimal(bid[1])) return { kind: 'malformed', reason: 'bbo-tbt: bad level' };
  const symbol = canonical(instId);
  if (symbol === null) return { kind: 'malformed', reason: `bbo-tbt: not a spot instId ${instId}` };
  return {
    kind: 'quote',
    quote: {
      venue,
      symbol,
      bidPrice: bid[0],
      bidSize: bid[1],
      askPrice: ask[0],
      askSize: ask[1],
      exchangeTime: Number(ts),
      receiveTime,
      ...(typeof seqId === 'number' ? { updateId: String(seqId) } : {}),
    },
  };
}
