import type { Duplex } from 'node:stream';
import WebSocket from 'ws';
import type { Venue } from '../types.ts';
import { packTextFrames } from './ws-frames.ts';

/** Per endpoint and venue: the deadlines (monotonic ms) the faults set. */
export interface EndpointFaults {
  silentUntil: Record<Venue, number>;
  refuseUntil: Record<Venue, number>;
}

/** One client socket and the protocol state the venues keep for it. */
export class Connection {
  readonly id: string;
  readonly venue: Venue;
  readonly endpoint: number;
  readonly ws: WebSocket;
  /** The raw TCP socket, for writing pre-encoded frames and for abrupt drops. */
  readonly socket: Duplex;
  readonly faults: EndpointFaults;
  /** The URL path after the venue prefix, e.g. '/ws/v5/business'. */
  readonly path: string;
  readonly openedAt: number;
  lastReceivedAt: number;
  lastSentAt: number;
  /** Venue-specific subscription keys (Binance stream names, OKX `channel:instId`, Bybit topics). */
  readonly topics = new Set<string>();
  /** Binance: combined-stream connection (messages wrapped in {"stream","data"}). */
  combined = false;
  /** Binance heartbeat: the payload of the unanswered ping, and when it was sent. */
  pendingPing: string | null = null;
  pingSentAt = 0;
  nextPingAt = 0;
  /** Rate windows: start of the current window and messages in it. */
  windowStart = 0;
  windowCount = 0;
  /** OKX: subscribe/unsubscribe requests in the current hour. */
  requestWindowStart = 0;
  requestCount = 0;
  /** Bybit: characters of subscribed args. */
  argsChars = 0;
  /** The tick during which this socket was last corked by the writer. */
  corkedTick = -1;
  /** A close is scheduled or under way: send no more data. */
  closing = false;
  /** Late-frames fault: every frame leaves this long after it was due (a lagging server). */
  lagMs = 0;
  /** Data frames held by `lagMs`, oldest first, with the monotonic time they go out. */
  readonly delayed: Array<{ at: number; frames: Buffer }> = [];

  constructor(
    id: string,
    venue: Venue,
    endpoint: number,
    ws: WebSocket,
    socket: Duplex,
    faults: EndpointFaults,
    path: string,
    now: number,
  ) {
    this.id = id;
    this.venue = venue;
    this.endpoint = endpoint;
    this.ws = ws;
    this.socket = socket;
    this.faults = faults;
    this.path = path;
    this.openedAt = now;
    this.lastReceivedAt = now;
    this.lastSentAt = now;
  }

  silent(now: number): boolean {
    return this.faults.silentUntil[this.venue] > now;
  }

  get open(): boolean {
    return !this.closing && this.ws.readyState === WebSocket.OPEN;
  }

  /** A control or reply message (acks, pongs, errors); nothing goes out while the venue is silent. */
  send(text: string, now: number): void {
    if (!this.open || this.silent(now)) return;
    if (this.lagMs > 0) {
      // A lagging server lags on everything it sends, its shutdown notice included.
      this.delayed.push({ at: now + this.lagMs, frames: packTextFrames([text], 1) });
      return;
    }
    this.ws.send(text);
    this.lastSentAt = now;
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.closing = true;
    this.ws.close(code, reason);
  }

  /** Drop the TCP connection without a close frame: the client sees 1006. */
  drop(): void {
    this.closing = true;
    this.socket.destroy();
  }
}
