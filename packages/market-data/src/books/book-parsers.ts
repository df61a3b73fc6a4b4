import { AppError } from '@qt/shared';
import { isDecimal, isDigits, isRecord } from '../venues/wire-helpers.ts';

/**
 * Parsers for the venues' depth messages: JSON text in, typed values out, every field checked (levels
 * are pairs of plain decimal strings). A frame that is not a depth message gives null; a depth message
 * with a wrong shape throws `VALIDATION_FAILED` naming the field. Doc versions: Binance Spot WebSocket
 * Streams and REST `GET /api/v3/depth` (2025), OKX v5 `books` (2025), Bybit v5 `orderbook` (2025).
 */

export type Level = readonly [price: string, quantity: string];

/** Binance `depthUpdate` (stream `<symbol>@depth` or `<symbol>@depth@100ms`). */
export interface BinanceDepthEvent {
  symbol: string;
  eventTime: number;
  /** `U`: first update id in the event. */
  firstId: number;
  /** `u`: last update id in the event. */
  lastId: number;
  bids: Level[];
  asks: Level[];
}

/** Binance `GET /api/v3/depth` body. */
export interface BinanceDepthSnapshot {
  lastUpdateId: number;
  bids: Level[];
  asks: Level[];
}

/** OKX `books` push (one entry of `data`). */
export interface OkxBooksMessage {
  instId: string;
  action: 'snapshot' | 'update';
  ts: number;
  checksum: number;
  seqId: number;
  prevSeqId: number;
  bids: Level[];
  asks: Level[];
}

/** Bybit `orderbook.<depth>.<symbol>` push. */
export interface BybitOrderbookMessage {
  symbol: string;
  depth: number;
  type: 'snapshot' | 'delta';
  ts: number;
  u: number;
  seq: number;
  bids: Level[];
  asks: Level[];
}

function bad(venue: string, what: string): AppError {
  return new AppError('VALIDATION_FAILED', `Malformed ${venue} depth message: ${what}.`, {
    venue,
    field: what,
  });
}

function json(text: string, venue: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw bad(venue, 'not JSON');
  }
}

const int = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/** `[[price, size, ...extra], ...]`: the first two entries must be decimals (OKX adds two more fields). */
function levels(v: unknown, venue: string, field: string): Level[] {
  if (!Array.isArray(v)) throw bad(venue, field);
  const out: Level[] = new Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const l = v[i];
    if (!Array.isArray(l) || !isDecimal(l[0]) || !isDecimal(l[1])) throw bad(venue, `${field}[${i}]`);
    out[i] = [l[0], l[1]];
  }
  return out;
}

/** A raw (`/ws/<stream>`) or combined (`{"stream","data"}`) Binance frame; null when not a depth update. */
export function parseBinanceDepthEvent(text: string): BinanceDepthEvent | null {
  let msg = json(text, 'binance');
  if (isRecord(msg) && typeof msg.stream === 'string' && isRecord(msg.data)) msg = msg.data;
  if (!isRecord(msg) || msg.e !== 'depthUpdate') return null;
  if (typeof msg.s !== 'string') throw bad('binance', 's');
  if (!int(msg.E)) throw bad('binance', 'E');
  if (!int(msg.U)) throw bad('binance', 'U');
  if (!int(msg.u) || msg.u < msg.U) throw bad('binance', 'u');
  return {
    symbol: msg.s,
    eventTime: msg.E,
    firstId: msg.U,
    lastId: msg.u,
    bids: levels(msg.b, 'binance', 'b'),
    asks: levels(msg.a, 'binance', 'a'),
  };
}

export function parseBinanceDepthSnapshot(text: string): BinanceDepthSnapshot {
  const msg = json(text, 'binance');
  if (!isRecord(msg)) throw bad('binance', 'body');
  if (!int(msg.lastUpdateId)) throw bad('binance', 'lastUpdateId');
  return {
    lastUpdateId: msg.lastUpdateId,
    bids: levels(msg.bids, 'binance', 'bids'),
    asks: levels(msg.asks, 'binance', 'asks'),
  };
}

/** An OKX public frame; null when it is not a `books` push (acks, errors, other channels, `pong`). */
export function parseOkxBooks(text: string): OkxBooksMessage | null {
  if (text === 'pong') return null;
  const msg = json(text, 'okx');
  if (!isRecord(msg) || !isRecord(msg.arg) || msg.arg.channel !== 'books' || msg.event !== undefined)
    return null;
  const instId = msg.arg.instId;
  if (typeof instId !== 'string') throw bad('okx', 'arg.instId');
  if (msg.action !== 'snapshot' && msg.action !== 'update') throw bad('okx', 'action');
  if (!Array.isArray(msg.data) || msg.data.length !== 1 || !isRecord(msg.data[0])) throw bad('okx', 'data');
  const d = msg.data[0];
  if (!isDigits(d.ts)) throw bad('okx', 'ts');
  if (!int(d.checksum)) throw bad('okx', 'checksum');
  if (!int(d.seqId)) throw bad('okx', 'seqId');
  if (!int(d.prevSeqId)) throw bad('okx', 'prevSeqId');
  return {
    instId,
    action: msg.action,
    ts: Number(d.ts),
    checksum: d.checksum,
    seqId: d.seqId,
    prevSeqId: d.prevSeqId,
    bids: levels(d.bids, 'okx', 'bids'),
    asks: levels(d.asks, 'okx', 'asks'),
  };
}

const bybitTopic = /^orderbook\.(\d{1,4})\.([A-Z0-9]{1,40})$/;

/** A Bybit public frame; null when it is not an `orderbook.<depth>.<symbol>` push. */
export function parseBybitOrderbook(text: string): BybitOrderbookMessage | null {
  const msg = json(text, 'bybit');
  if (!isRecord(msg) || typeof msg.topic !== 'string') return null;
  const m = bybitTopic.exec(msg.topic);
  if (!m) return null;
  if (msg.type !== 'snapshot' && msg.type !== 'delta') throw bad('bybit', 'type');
  if (!int(msg.ts)) throw bad('bybit', 'ts');
  const d = msg.data;
  if (!isRecord(d)) throw bad('bybit', 'data');
  if (d.s !== m[2]) throw bad('bybit', 'data.s');
  if (!int(d.u) || d.u < 1) throw bad('bybit', 'data.u');
  if (!int(d.seq)) throw bad('bybit', 'data.seq');
  return {
    symbol: m[2] as string,
    depth: Number(m[1]),
    type: msg.type,
    ts: msg.ts,
    u: d.u,
    seq: d.seq,
    bids: levels(d.b, 'bybit', 'b'),
    asks: levels(d.a, 'bybit', 'a'),
  };
}
