import type { Market } from '../market/market.ts';
import type { MalformedKind, SimLimits, SimTiming, Venue } from '../types.ts';
import type { Connection } from './connection.ts';
import type { TickWriter } from './tick-writer.ts';

/** Mutable counters behind `stats()`, per venue. */
export interface Counters {
  tradesSent: Record<Venue, number>;
  pingsReceived: Record<Venue, number>;
  pongsReceived: Record<Venue, number>;
}

/** What every venue protocol is handed. */
export interface ProtocolContext {
  market: Market;
  clock: { now(): number };
  timing: SimTiming;
  limits: SimLimits;
  writer: TickWriter;
  counters: Counters;
  /** Monotonic ms: heartbeats and fault windows run on real time, not the injected clock. */
  monotonic(): number;
}

export interface HttpReply {
  status: number;
  body: string;
}

/**
 * One venue's wire protocol: which URLs it serves, how it answers requests, and how it encodes the
 * market's trades each tick. Adding a venue means adding one of these.
 */
export interface VenueProtocol {
  readonly venue: Venue;
  /** An upgrade to `path` (after the venue prefix): null to accept, or the HTTP status to refuse with. */
  checkUpgrade(path: string, query: URLSearchParams): number | null;
  onOpen(conn: Connection, query: URLSearchParams, now: number): void;
  onMessage(conn: Connection, text: string, now: number): void;
  onPing(conn: Connection, payload: Buffer, now: number): void;
  onPong(conn: Connection, payload: Buffer, now: number): void;
  onClose(conn: Connection): void;
  /** Encode this tick's trades and quotes and write them to subscribers. */
  publish(): void;
  /** Heartbeats and idle limits for one connection; called a few times per shortest timing constant. */
  housekeep(conn: Connection, now: number): void;
  /** The venue's shutdown notice, if it has one; returns false when it has none (the caller drops). */
  shutdownNotice(conn: Connection, now: number): boolean;
  malformedFrame(conn: Connection, kind: MalformedKind): string;
  /** The REST routes: the instrument list. Null when the path is not one of this venue's. */
  rest(path: string, query: URLSearchParams): HttpReply | null;
}

/** Subscribers of one topic: `raw` get the bare message, `wrapped` the Binance combined envelope. */
export class Topic {
  readonly raw = new Set<Connection>();
  readonly wrapped = new Set<Connection>();

  get empty(): boolean {
    return this.raw.size === 0 && this.wrapped.size === 0;
  }

  add(conn: Connection): void {
    (conn.combined ? this.wrapped : this.raw).add(conn);
  }

  delete(conn: Connection): void {
    this.raw.delete(conn);
    this.wrapped.delete(conn);
  }
}

/** Write a packed buffer to every member of `subs`; count the trades that went out. */
export function fanOut(
  writer: TickWriter,
  subs: Set<Connection>,
  frames: Buffer,
  trades: number,
  counters: Counters,
  venue: Venue,
): void {
  let delivered = 0;
  for (const conn of subs) if (writer.write(conn, frames)) delivered += 1;
  counters.tradesSent[venue] += delivered * trades;
}

/** A one-entry cache: consecutive trades mostly share a price, so each price is formatted once. */
export class CachedFormat {
  #units = -1;
  #text = '';
  readonly #decimals: number;
  readonly #format: (units: number, decimals: number) => string;

  constructor(decimals: number, format: (units: number, decimals: number) => string) {
    this.#decimals = decimals;
    this.#format = format;
  }

  text(units: number): string {
    if (units !== this.#units) {
      this.#units = units;
      this.#text = this.#format(units, this.#decimals);
    }
    return this.#text;
  }
}

/** Connection ids shaped like the venues' (hex, stable per process run). */
export function connectionId(n: number): string {
  return (Math.imul(n + 1, 0x9e3779b1) >>> 0).toString(16).padStart(8, '0');
}
