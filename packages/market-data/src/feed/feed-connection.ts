import type { Clock, FeedState, FeedStatus, Quote, Trade } from '@qt/shared';
import type { TradeGap, TradeIdReset, TradeSequencer } from '../sequence/trade-sequencer.ts';
import type { DepthFrame, Subscription, VenueAdapter, VenueMessage } from '../venues/venue-adapter.ts';
import { sampleOf } from '../venues/wire-helpers.ts';
import { Backoff } from './backoff.ts';
import type { ConnectLimiter } from './connect-limiter.ts';
import type { FeedEvent } from './feed-events.ts';
import type { ResolvedFeedOptions } from './feed-options.ts';
import type { Logger } from './logger.ts';
import { SocketSession } from './socket-session.ts';

/** What every connection of a feed shares. */
export interface FeedContext {
  readonly adapter: VenueAdapter;
  readonly endpoints: readonly string[];
  readonly clock: Clock;
  readonly logger: Logger;
  readonly options: ResolvedFeedOptions;
  readonly connectLimiter: ConnectLimiter;
  /** One per feed: duplicates across overlapping sockets are caught whichever socket brings them. */
  readonly sequencer: TradeSequencer;
  readonly onTrades: (trades: Trade[]) => void;
  readonly onQuote: (quote: Quote) => void;
  /** Depth frames of the current socket only (see `#onText`). */
  readonly onDepth: (symbol: string, depth: DepthFrame, receiveTime: number) => void;
  readonly onEvent: (event: FeedEvent) => void;
  readonly nextRequestId: () => number;
}

const rateSeconds = 5;
/** At most one sample of bad frames per connection in this period, with the count since the last. */
const badFrameLogEveryMs = 10_000;

/**
 * One logical connection: a fixed set of subscriptions kept flowing over a succession of sockets.
 * Drops and refusals move to the next endpoint after a jittered backoff (which starts over once a socket
 * delivers market data); a stale socket is cut and replaced; before the venue's lifetime cut or on a
 * shutdown notice a replacement opens first, and once it is live the old socket keeps delivering for
 * `overlapDrainMs` and is then closed, its frames read until it really closes (overlap: the feed's
 * sequencer drops the doubled trades and keeps the ones only the old socket still had in flight).
 */
export class FeedConnection {
  readonly id: string;
  readonly #ctx: FeedContext;
  /** Grows at run time (`addSubscriptions`); never shrinks, so a prefix length says what a socket has. */
  readonly #subscriptions: Subscription[];
  readonly #symbols: string[];
  /** How many of `#subscriptions` each socket was asked for (in its URL or by a subscribe request). */
  readonly #sentUpTo = new WeakMap<SocketSession, number>();
  /** Sockets whose open handler ran (their later subscriptions go as requests, not in the URL). */
  readonly #opened = new WeakSet<SocketSession>();
  readonly #backoff: Backoff;

  #state: FeedState = 'connecting';
  #since: number;
  #endpointIndex = 0;
  #current: SocketSession | null = null;
  /** The replacement opened by a rotation, until it is live. */
  #next: SocketSession | null = null;
  /** Replaced sockets still delivering until they close (see `overlapDrainMs`). */
  readonly #draining = new Set<SocketSession>();
  #stopped = false;
  #started = false;

  #reconnectTimer: NodeJS.Timeout | null = null;
  #rotateTimer: NodeJS.Timeout | null = null;
  #checkTimer: NodeJS.Timeout | null = null;
  readonly #ackTimers = new Map<SocketSession, NodeJS.Timeout>();

  #reconnects = 0;
  #gaps = 0;
  #duplicates = 0;
  #malformed = 0;
  #lastError: string | null = null;
  #lagMs: number | null = null;
  readonly #lastDataAt = new Map<string, number>();
  #silent = new Set<string>();
  /**
   * Symbols the silence check has still to look at in this live period, each with the time from which it
   * should have delivered: all of them from going live, a symbol added at run time from when it was added.
   */
  #silenceDue = new Map<string, number>();
  #badSinceLog = 0;
  #lastBadLogAt = Number.NEGATIVE_INFINITY;
  readonly #rateBuckets = new Array<number>(rateSeconds).fill(0);
  #rateSecond = 0;

  constructor(ctx: FeedContext, id: string, subscriptions: readonly Subscription[]) {
    this.#ctx = ctx;
    this.id = id;
    this.#subscriptions = [...subscriptions];
    this.#symbols = [...new Set(subscriptions.map((s) => s.symbol))];
    this.#since = ctx.clock.now();
    this.#backoff = new Backoff({
      initialMs: ctx.options.backoffInitialMs,
      maxMs: ctx.options.backoffMaxMs,
      random: ctx.options.random,
    });
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#checkTimer = setInterval(() => this.#check(), this.#ctx.options.checkIntervalMs);
    this.#connect(false);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of [this.#reconnectTimer, this.#rotateTimer]) if (t !== null) clearTimeout(t);
    if (this.#checkTimer !== null) clearInterval(this.#checkTimer);
    for (const t of this.#ackTimers.values()) clearTimeout(t);
    this.#ackTimers.clear();
    const sessions = [this.#current, this.#next, ...this.#draining].filter(
      (s): s is SocketSession => s !== null,
    );
    for (const s of sessions) s.close(1000, 'client stopping');
    await Promise.all(sessions.map((s) => s.closed()));
    this.#current = null;
    this.#next = null;
    this.#draining.clear();
    this.#setState('stopped');
  }

  /** Symbols whose trades this connection carries. */
  tradeSymbols(): string[] {
    return [...new Set(this.#subscriptions.filter((s) => s.channel === 'trades').map((s) => s.symbol))];
  }

  /** True when this connection carries `sub`. */
  carries(sub: Subscription): boolean {
    return this.#subscriptions.some((s) => s.symbol === sub.symbol && s.channel === sub.channel);
  }

  /**
   * Unsubscribe and subscribe `subs` again on the current socket (a book known wrong: OKX and Bybit send
   * a fresh snapshot on subscribe). The answers are not waited for (the socket is live already); false
   * when no socket is open, in which case the reconnect subscribes anyway. Sends go through the socket's
   * pacing and the venue's hourly subscribe cap like any other request.
   */
  resubscribe(subs: readonly Subscription[]): boolean {
    const session = this.#current;
    if (this.#stopped || session === null || !session.isOpen || !session.live) return false;
    const { adapter, nextRequestId } = this.#ctx;
    for (const r of adapter.unsubscribeRequests(subs, nextRequestId)) session.send(r.text, true);
    for (const r of adapter.subscribeRequests(subs, nextRequestId)) session.send(r.text, true);
    return true;
  }

  /** Subscriptions this connection can still take (the venue's per-connection cap, for one URL path). */
  capacityFor(path: string, perConnection: number): number {
    const first = this.#subscriptions[0];
    if (first !== undefined && this.#ctx.adapter.pathOf(first) !== path) return 0;
    return Math.max(0, perConnection - this.#subscriptions.length);
  }

  /**
   * Adds subscriptions at run time (a market followed after start): kept for every later socket, and
   * requested at once on the sockets already open (the current one and a replacement being opened). A
   * socket still connecting asks for them in its open handler. The answers are not waited for: a venue
   * refusal is logged like any other, and a new symbol that stays silent for `noDataAfterMs` from now is
   * reported by the silence check like the ones subscribed at the start (`symbolsSilent`).
   */
  addSubscriptions(subs: readonly Subscription[]): void {
    const fresh = subs.filter((sub) => !this.carries(sub));
    if (fresh.length === 0 || this.#stopped) return;
    this.#subscriptions.push(...fresh);
    const now = this.#ctx.clock.now();
    for (const sub of fresh) {
      if (this.#symbols.includes(sub.symbol)) continue;
      this.#symbols.push(sub.symbol);
      // Checked from now (a socket not live yet checks every symbol from when it goes live).
      if (this.#state === 'live') this.#silenceDue.set(sub.symbol, now);
    }
    const { adapter, nextRequestId } = this.#ctx;
    for (const session of [this.#current, this.#next]) {
      if (session === null || !this.#opened.has(session) || !session.isOpen) continue;
      const from = this.#sentUpTo.get(session) ?? 0;
      const requests = adapter.subscribeRequests(this.#subscriptions.slice(from), nextRequestId);
      for (const r of requests) {
        if (r.requestId !== null) session.pendingAcks.set(r.requestId, r.subscriptions);
        session.send(r.text, true);
      }
      this.#sentUpTo.set(session, this.#subscriptions.length);
    }
  }

  /** A trade-id gap of one of this connection's symbols was reported (counted here, then emitted). */
  gapReported(gap: TradeGap): void {
    this.#gaps++;
    this.#emit({ type: 'gapDetected', connectionId: this.id, gap });
  }

  /** Symbols subscribed here that have delivered nothing since the socket went live (or since added). */
  silentSymbols(): string[] {
    return [...this.#silent];
  }

  status(): FeedStatus {
    this.#rollRate(this.#ctx.clock.now());
    let messages = 0;
    for (const n of this.#rateBuckets) messages += n;
    return {
      venue: this.#ctx.adapter.venue,
      connectionId: this.id,
      state: this.#state,
      endpoint: this.#ctx.endpoints[this.#endpointIndex] ?? '',
      since: this.#since,
      symbols: this.#symbols,
      lagMs: this.#lagMs,
      messageRate: messages / rateSeconds,
      reconnects: this.#reconnects,
      gaps: this.#gaps,
      duplicates: this.#duplicates,
      malformed: this.#malformed,
      lastError: this.#lastError,
    };
  }

  // ---- lifecycle -------------------------------------------------------------------------------

  #connect(asRotation: boolean): void {
    if (this.#stopped) return;
    const wait = this.#ctx.connectLimiter.reserve();
    if (wait > 0) {
      this.#ctx.logger.warn(
        { connectionId: this.id, waitMs: wait },
        'connection attempts at the venue limit; waiting',
      );
      this.#reconnectTimer = setTimeout(() => this.#open(asRotation), wait);
    } else {
      this.#open(asRotation);
    }
  }

  #open(asRotation: boolean): void {
    this.#reconnectTimer = null;
    if (this.#stopped) return;
    const { adapter, options, clock } = this.#ctx;
    const endpoint = this.#ctx.endpoints[this.#endpointIndex] as string;
    const { url, pending } = adapter.connectUrl(endpoint, this.#subscriptions);
    const session = new SocketSession(
      {
        url,
        endpoint,
        clock,
        handshakeTimeoutMs: options.handshakeTimeoutMs,
        maxOutgoingPerSecond: adapter.limits.maxOutgoingPerSecond,
        subscribeRequestsPerHour: adapter.limits.subscribeRequestsPerHour,
      },
      {
        onOpen: (s) => this.#onOpen(s, pending),
        onText: (s, text) => this.#onText(s, text),
        onClose: (s, code, reason) => this.#onClose(s, code, reason),
      },
    );
    this.#sentUpTo.set(session, this.#subscriptions.length);
    if (asRotation) this.#next = session;
    else this.#current = session;
  }

  #onOpen(session: SocketSession, pending: readonly Subscription[]): void {
    if (this.#stopped) return;
    this.#ctx.logger.info({ connectionId: this.id, endpoint: session.endpoint }, 'feed socket open');
    if (session === this.#current && this.#state !== 'stale') this.#setState('subscribing');
    // Subscriptions added while this socket was connecting were in neither its URL nor `pending`.
    const addedMeanwhile = this.#subscriptions.slice(
      this.#sentUpTo.get(session) ?? this.#subscriptions.length,
    );
    this.#opened.add(session);
    this.#sentUpTo.set(session, this.#subscriptions.length);
    const requests = this.#ctx.adapter.subscribeRequests(
      [...pending, ...addedMeanwhile],
      this.#ctx.nextRequestId,
    );
    for (const r of requests) {
      if (r.requestId !== null) session.pendingAcks.set(r.requestId, r.subscriptions);
      session.send(r.text, true);
    }
    if (session.pendingAcks.size === 0) {
      this.#markLive(session);
      return;
    }
    const timer = setTimeout(() => {
      this.#ackTimers.delete(session);
      if (session.live || session.pendingAcks.size === 0) return;
      this.#lastError = `no answer to ${session.pendingAcks.size} subscribe request(s)`;
      this.#ctx.logger.warn(
        { connectionId: this.id, pending: [...session.pendingAcks.keys()] },
        this.#lastError,
      );
      this.#markLive(session);
    }, this.#ctx.options.ackTimeoutMs);
    this.#ackTimers.set(session, timer);
  }

  #markLive(session: SocketSession): void {
    if (session.live || this.#stopped) return;
    session.live = true;
    const timer = this.#ackTimers.get(session);
    if (timer !== undefined) clearTimeout(timer);
    this.#ackTimers.delete(session);
    if (session === this.#next) {
      const old = this.#current;
      this.#current = session;
      this.#next = null;
      if (old !== null) this.#drain(old);
      this.#ctx.logger.info(
        { connectionId: this.id, endpoint: session.endpoint },
        'feed socket replaced (overlap)',
      );
    }
    if (session !== this.#current) return;
    const now = this.#ctx.clock.now();
    this.#silenceDue = new Map(this.#symbols.map((sym) => [sym, now]));
    this.#silent = new Set();
    this.#setState('live');
    const rotateAfter = this.#ctx.options.rotateAfterMs;
    if (this.#rotateTimer !== null) clearTimeout(this.#rotateTimer);
    this.#rotateTimer = null;
    if (rotateAfter !== null) {
      const openedAt = session.openedAt ?? now;
      this.#rotateTimer = setTimeout(
        () => this.#rotate('connection lifetime'),
        Math.max(0, openedAt + rotateAfter - now),
      );
    }
  }

  /**
   * The replaced socket may still hold frames the new one will never send (trades from before the new
   * subscription, delayed on a lagging server): read it for `overlapDrainMs`, then close it; frames that
   * arrive until it really closes still count.
   */
  #drain(old: SocketSession): void {
    this.#draining.add(old);
    old.drainTimer = setTimeout(() => old.close(1000, 'replaced'), this.#ctx.options.overlapDrainMs);
  }

  /** Opens a replacement on the next endpoint; the current socket closes once it is live. */
  #rotate(reason: string): void {
    this.#rotateTimer = null;
    if (this.#stopped || this.#next !== null || this.#current === null) return;
    this.#ctx.logger.info({ connectionId: this.id, reason }, 'opening a replacement feed socket');
    this.#reconnects++;
    this.#advanceEndpoint();
    this.#connect(true);
  }

  #onClose(session: SocketSession, code: number, reason: string): void {
    const timer = this.#ackTimers.get(session);
    if (timer !== undefined) clearTimeout(timer);
    this.#ackTimers.delete(session);
    if (session.drainTimer !== null) clearTimeout(session.drainTimer);
    if (this.#draining.delete(session)) return;
    if (this.#stopped) return;
    const why =
      session.closedBecause ??
      (session.openedAt === null
        ? `connect to ${session.endpoint} failed: ${session.lastFailure ?? `close ${code}`}`
        : `socket closed: ${code}${reason ? ` ${reason}` : ''}`);
    if (session === this.#next) {
      // The replacement failed; the current socket carries on and the rotation is retried.
      this.#next = null;
      this.#lastError = why;
      this.#ctx.logger.warn({ connectionId: this.id, code, reason }, `replacement failed: ${why}`);
      this.#rotateTimer = setTimeout(
        () => this.#rotate('retry after a failed replacement'),
        this.#backoff.next(),
      );
      return;
    }
    if (session !== this.#current) return;
    this.#current = null;
    if (this.#next !== null) {
      // The old socket went first (e.g. the venue cut it after its notice): the replacement takes over.
      this.#current = this.#next;
      this.#next = null;
      this.#lastError = why;
      if (this.#state !== 'stale') this.#setState('reconnecting');
      return;
    }
    this.#lastError = why;
    const level = code === 1008 || code === 4008 || code === 4009 ? 'error' : 'warn';
    this.#ctx.logger[level]({ connectionId: this.id, endpoint: session.endpoint, code, reason }, why);
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#rotateTimer !== null) clearTimeout(this.#rotateTimer);
    this.#rotateTimer = null;
    this.#reconnects++;
    this.#advanceEndpoint();
    if (this.#state !== 'stale') this.#setState('reconnecting');
    const delay = this.#backoff.next();
    this.#reconnectTimer = setTimeout(() => this.#connect(false), delay);
  }

  #advanceEndpoint(): void {
    this.#endpointIndex = (this.#endpointIndex + 1) % this.#ctx.endpoints.length;
  }

  // ---- periodic checks ---------------------------------------------------------------------------

  #check(): void {
    if (this.#stopped) return;
    const now = this.#ctx.clock.now();
    const o = this.#ctx.options;
    for (const s of [this.#current, this.#next]) {
      if (s === null || !s.isOpen || o.heartbeatIntervalMs === null) continue;
      const idleSince = o.heartbeatWhenIdle ? Math.max(s.lastActivityAt, s.lastPingSentAt) : s.lastPingSentAt;
      if (now - idleSince >= o.heartbeatIntervalMs) {
        s.lastPingSentAt = now;
        s.send(o.heartbeatText);
      }
    }
    const current = this.#current;
    if (current?.isOpen && now - current.lastActivityAt > o.staleAfterMs) {
      this.#lastError = `stale: nothing received for ${now - current.lastActivityAt} ms`;
      this.#ctx.logger.warn({ connectionId: this.id, endpoint: current.endpoint }, this.#lastError);
      this.#setState('stale');
      current.closedBecause = this.#lastError;
      current.terminate();
      return;
    }
    if (this.#state === 'live' && this.#silenceDue.size > 0) {
      // Each symbol is looked at once per live period, `noDataAfterMs` after it should have started.
      const silent: string[] = [];
      for (const [sym, from] of this.#silenceDue) {
        if (now - from < o.noDataAfterMs) continue;
        this.#silenceDue.delete(sym);
        if ((this.#lastDataAt.get(sym) ?? -1) < from) silent.push(sym);
      }
      if (silent.length > 0) {
        for (const sym of silent) this.#silent.add(sym);
        this.#ctx.logger.warn(
          { connectionId: this.id, symbols: silent },
          'subscribed symbols deliver no data (unknown to the venue, or not trading)',
        );
        this.#emit({ type: 'symbolsSilent', connectionId: this.id, symbols: silent });
      }
    }
  }

  // ---- frames ------------------------------------------------------------------------------------

  #onText(session: SocketSession, text: string): void {
    if (this.#stopped) return;
    const now = session.lastActivityAt;
    this.#countMessage(now);
    const msg = this.#ctx.adapter.parse(text, now);
    switch (msg.kind) {
      case 'trades':
        this.#onTrades(session, msg, now);
        return;
      case 'quote':
        this.#sawData(session, msg.quote.symbol, now);
        this.#deliver(() => this.#ctx.onQuote(msg.quote));
        return;
      case 'depth':
        // A book follows one socket's sequence: frames of a replacement still subscribing or of a socket
        // being drained would interleave two chains (a false gap at best). Only the current socket's count.
        if (session !== this.#current) return;
        this.#sawData(session, msg.symbol, now);
        this.#deliver(() => this.#ctx.onDepth(msg.symbol, msg.depth, now));
        return;
      case 'ack':
        this.#settle(session, msg.requestId);
        return;
      case 'error': {
        this.#lastError = `venue error ${msg.code}: ${msg.message}`;
        const subs = msg.requestId === null ? undefined : session.pendingAcks.get(msg.requestId);
        this.#ctx.logger.warn(
          {
            connectionId: this.id,
            code: msg.code,
            requestId: msg.requestId,
            symbols: subs?.map((s) => s.symbol),
          },
          this.#lastError,
        );
        this.#emit({
          type: 'venueErrorReceived',
          connectionId: this.id,
          code: msg.code,
          message: msg.message,
        });
        this.#settle(session, msg.requestId);
        return;
      }
      case 'shutdown':
        this.#ctx.logger.warn(
          { connectionId: this.id, message: msg.message },
          'venue announced a disconnect',
        );
        this.#emit({ type: 'shutdownNoticeReceived', connectionId: this.id, message: msg.message });
        if (session === this.#current) this.#rotate('shutdown notice');
        return;
      case 'pong':
      case 'ignored':
        return;
      case 'unknown':
      case 'malformed':
        this.#onBadFrame(msg, text, now);
        return;
    }
  }

  #onTrades(session: SocketSession, msg: Extract<VenueMessage, { kind: 'trades' }>, now: number): void {
    const { trades } = msg;
    const last = trades[trades.length - 1];
    if (last === undefined) return;
    const kept = this.#ctx.sequencer.accept(trades, msg.ids, this.#onGap, now, this.#onReset);
    this.#duplicates += trades.length - kept.length;
    this.#sawData(session, last.symbol, now);
    this.#lagMs = now - last.exchangeTime;
    if (kept.length > 0) this.#deliver(() => this.#ctx.onTrades(kept));
  }

  /** A request answered (ack or error); the socket is live once none is left. */
  #settle(session: SocketSession, requestId: string | null): void {
    if (requestId !== null) session.pendingAcks.delete(requestId);
    else {
      const first = session.pendingAcks.keys().next();
      if (!first.done) session.pendingAcks.delete(first.value);
    }
    if (session.pendingAcks.size === 0) this.#markLive(session);
  }

  readonly #onGap = (gap: TradeGap): void => this.gapReported(gap);

  readonly #onReset = (reset: TradeIdReset): void => {
    this.#ctx.logger.warn(
      { connectionId: this.id, symbol: reset.symbol, lastId: reset.lastId, firstId: reset.firstId },
      'venue restarted its trade ids: sequence re-based on the new ids',
    );
    this.#emit({ type: 'tradeIdsReset', connectionId: this.id, reset });
  };

  #sawData(session: SocketSession, symbol: string, now: number): void {
    // Market data proves the endpoint works: the next reconnect starts from the shortest delay again.
    // (Waiting for a long healthy spell instead let delays grow to the cap when a venue cuts every ~10 s.)
    if (!session.deliveredData) {
      session.deliveredData = true;
      if (session === this.#current) this.#backoff.reset();
    }
    this.#lastDataAt.set(symbol, now);
    if (this.#silent.size > 0 && this.#silent.delete(symbol)) {
      this.#ctx.logger.info({ connectionId: this.id, symbol }, 'silent symbol delivers data again');
    }
  }

  #onBadFrame(msg: VenueMessage, text: string, now: number): void {
    this.#malformed++;
    this.#badSinceLog++;
    if (now - this.#lastBadLogAt < badFrameLogEveryMs) return;
    this.#ctx.logger.warn(
      {
        connectionId: this.id,
        kind: msg.kind,
        reason: msg.kind === 'malformed' ? msg.reason : undefined,
        count: this.#badSinceLog,
        sample: sampleOf(text),
      },
      msg.kind === 'malformed' ? 'malformed frame ignored' : 'unknown frame ignored',
    );
    this.#lastBadLogAt = now;
    this.#badSinceLog = 0;
  }

  // ---- helpers -----------------------------------------------------------------------------------

  #deliver(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#ctx.logger.error({ connectionId: this.id, err }, 'feed consumer threw; the feed carries on');
    }
  }

  #emit(event: FeedEvent): void {
    this.#deliver(() => this.#ctx.onEvent(event));
  }

  #setState(state: FeedState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.#since = this.#ctx.clock.now();
    this.#emit({ type: 'stateChanged', status: this.status() });
  }

  #countMessage(now: number): void {
    this.#rollRate(now);
    const i = this.#rateSecond % rateSeconds;
    this.#rateBuckets[i] = (this.#rateBuckets[i] ?? 0) + 1;
  }

  #rollRate(now: number): void {
    const second = Math.floor(now / 1000);
    if (second === this.#rateSecond) return;
    const steps = Math.min(rateSeconds, second - this.#rateSecond);
    for (let k = 1; k <= steps; k++) this.#rateBuckets[(this.#rateSecond + k) % rateSeconds] = 0;
    this.#rateSecond = second;
  }
}
