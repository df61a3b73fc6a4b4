import type { Clock } from '@qt/shared';
import WebSocket, { type RawData } from 'ws';
import type { Subscription } from '../venues/venue-adapter.ts';
import { SlidingWindowLimiter } from './connect-limiter.ts';

export interface SessionListener {
  onOpen(session: SocketSession): void;
  onText(session: SocketSession, text: string): void;
  onClose(session: SocketSession, code: number, reason: string): void;
}

export interface SessionOptions {
  readonly url: string;
  readonly endpoint: string;
  readonly clock: Clock;
  readonly handshakeTimeoutMs: number;
  readonly maxOutgoingPerSecond: number;
  readonly subscribeRequestsPerHour: number | null;
}

interface Outgoing {
  readonly text: string;
  readonly isSubscribe: boolean;
}

/**
 * One WebSocket: open, paced sends, activity tracking, close. Reconnect policy lives in the connection
 * that owns it; a session is never reopened.
 */
export class SocketSession {
  readonly url: string;
  readonly endpoint: string;
  /** Requests sent and not yet answered, by request id. */
  readonly pendingAcks = new Map<string, readonly Subscription[]>();
  /** Engine-clock time of the last frame of any kind (data, ping, pong). */
  lastActivityAt: number;
  lastPingSentAt: number;
  openedAt: number | null = null;
  live = false;
  /** Why it failed, when we know better than the close code (a refused handshake, a timeout). */
  lastFailure: string | null = null;
  /** Why we closed it ourselves (stale), reported instead of the close code. */
  closedBecause: string | null = null;
  /** Whether it delivered market data yet (the reconnect backoff starts over when it does). */
  deliveredData = false;
  /** Set while a replaced socket drains before its close (owned by the connection). */
  drainTimer: NodeJS.Timeout | null = null;

  readonly #ws: WebSocket;
  readonly #clock: Clock;
  readonly #listener: SessionListener;
  readonly #minGapMs: number;
  readonly #subscribeLimiter: SlidingWindowLimiter | null;
  readonly #queue: Outgoing[] = [];
  #sendTimer: NodeJS.Timeout | null = null;
  #closeTimer: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(options: SessionOptions, listener: SessionListener) {
    this.url = options.url;
    this.endpoint = options.endpoint;
    this.#clock = options.clock;
    this.#listener = listener;
    this.#minGapMs = Math.ceil(1000 / options.maxOutgoingPerSecond);
    this.#subscribeLimiter =
      options.subscribeRequestsPerHour === null
        ? null
        : new SlidingWindowLimiter(
            { max: options.subscribeRequestsPerHour, windowMs: 3_600_000 },
            options.clock,
          );
    this.lastActivityAt = options.clock.now();
    this.lastPingSentAt = this.lastActivityAt;

    // `autoPong` (default) answers server ping frames with the payload copied, as Binance requires.
    const ws = new WebSocket(options.url, {
      handshakeTimeout: options.handshakeTimeoutMs,
      perMessageDeflate: false,
    });
    this.#ws = ws;
    ws.on('open', () => {
      this.openedAt = this.#clock.now();
      this.lastActivityAt = this.openedAt;
      this.#listener.onOpen(this);
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      this.lastActivityAt = this.#clock.now();
      // Frames that arrive after our close frame went out are still delivered: a replaced socket's late
      // trades are real (the owner's sequencer drops what the new socket already brought).
      this.#listener.onText(this, isBinary ? '' : rawToString(data));
    });
    ws.on('ping', () => {
      this.lastActivityAt = this.#clock.now();
    });
    ws.on('pong', () => {
      this.lastActivityAt = this.#clock.now();
    });
    ws.on('error', (err: Error) => {
      this.lastFailure = err.message;
    });
    ws.on('close', (code: number, reason: Buffer) => {
      this.#finish();
      this.#listener.onClose(this, code, reason.toString());
    });
  }

  get isOpen(): boolean {
    return this.#ws.readyState === WebSocket.OPEN;
  }

  /** Queues a frame, sent no faster than the venue's per-connection message rate. */
  send(text: string, isSubscribe = false): void {
    if (this.#closed) return;
    this.#queue.push({ text, isSubscribe });
    if (this.#sendTimer === null) this.#drain();
  }

  /** Closes with a close frame; a peer that does not answer within `timeoutMs` is cut. */
  close(code = 1000, reason = '', timeoutMs = 1000): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#clearSendTimer();
    if (this.#ws.readyState === WebSocket.CONNECTING) {
      this.#ws.terminate();
      return;
    }
    this.#ws.close(code, reason);
    this.#closeTimer = setTimeout(() => this.#ws.terminate(), timeoutMs);
  }

  /** Drops the socket at once (a stale peer would not answer a close frame). */
  terminate(): void {
    this.#closed = true;
    this.#clearSendTimer();
    this.#ws.terminate();
  }

  /** Resolves once the socket has closed. */
  closed(): Promise<void> {
    if (this.#ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => this.#ws.once('close', () => resolve()));
  }

  #drain(): void {
    this.#sendTimer = null;
    const next = this.#queue[0];
    if (next === undefined || this.#closed || !this.isOpen) return;
    if (next.isSubscribe && this.#subscribeLimiter !== null) {
      const wait = this.#subscribeLimiter.reserve();
      if (wait > 0) {
        this.#sendTimer = setTimeout(() => this.#drain(), wait);
        return;
      }
    }
    this.#queue.shift();
    this.#ws.send(next.text);
    // Keep the pacing gap even when the queue is empty now, so a later `send` cannot go early.
    this.#sendTimer = setTimeout(() => this.#drain(), this.#minGapMs);
  }

  #clearSendTimer(): void {
    if (this.#sendTimer !== null) clearTimeout(this.#sendTimer);
    this.#sendTimer = null;
  }

  #finish(): void {
    this.#closed = true;
    this.#clearSendTimer();
    if (this.#closeTimer !== null) clearTimeout(this.#closeTimer);
    this.#closeTimer = null;
  }
}

function rawToString(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
