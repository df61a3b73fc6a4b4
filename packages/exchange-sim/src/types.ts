/** The three venues the simulator speaks; the names are also the URL prefixes. */
export const venues = ['binance', 'okx', 'bybit'] as const;
export type Venue = (typeof venues)[number];

/**
 * Heartbeat and lifetime constants, in real milliseconds. The defaults are the venues' documented values;
 * tests shrink them.
 */
export interface SimTiming {
  /** Binance: the server sends a WebSocket ping frame this often. */
  binancePingIntervalMs: number;
  /** Binance: a connection whose last ping has not been answered (pong with the same payload) for this long is cut. */
  binancePongTimeoutMs: number;
  /** OKX: a connection from which nothing was received for this long is closed (code 4004). */
  okxIdleTimeoutMs: number;
  /** Bybit: a connection with neither client messages nor data pushed for this long is cut. */
  bybitIdleTimeoutMs: number;
  /** Bybit: `orderbook.1` is re-sent with the same `u` when nothing changed for this long. */
  bybitBookResendMs: number;
  /** After a shutdown notice (Binance `serverShutdown`, OKX 64008) the server closes the socket after this delay. */
  shutdownCloseDelayMs: number;
  /** Every venue cuts a connection after this age (Binance documents 24 h). */
  maxConnectionAgeMs: number;
}

/** Request limits, per connection. */
export interface SimLimits {
  /** Binance: incoming messages (text, ping, pong) per second; more closes the socket with 1008. */
  binanceMessagesPerSecond: number;
  /** Binance: streams per connection. */
  binanceMaxStreams: number;
  /** OKX: subscribe/unsubscribe requests per hour per connection (error 60014 beyond). */
  okxRequestsPerHour: number;
  /** OKX: bytes in one request. */
  okxMaxRequestBytes: number;
  /** Bybit: args in one subscribe request on spot. */
  bybitMaxArgs: number;
  /** Bybit: total characters of a connection's subscribed args. */
  bybitMaxArgsChars: number;
  /** A socket whose unsent bytes exceed this is cut, as a venue drops a slow consumer. */
  maxBufferedBytes: number;
  /** Binance REST: request weight per IP per minute (`historicalTrades` costs 25). */
  binanceRestWeightPerMinute: number;
  /** Binance REST: how long a 418 ban lasts (calling again while told to wait by a 429), ms. */
  binanceRestBanMs: number;
  /** OKX REST: `history-trades` requests per IP per 2 s. */
  okxHistoryRequestsPer2s: number;
  /** Bybit REST: requests per IP per 5 s. */
  bybitRestRequestsPer5s: number;
}

export interface ExchangeSimOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 = any free port (default). With several endpoints, endpoint i listens on port + i (unless 0). */
  port?: number;
  /** Listening servers sharing one market (for failover tests); default 1. */
  endpoints?: number;
  /** Canonical BASE-QUOTE symbols; default a list of 12 common USDT pairs. */
  symbols?: string[];
  /** Trades per second per venue per symbol on average; default 5. */
  tradesPerSecond?: number;
  /** Same seed, same market: the same trades (prices, sizes, sides, ids) in the same order. Default 1. */
  seed?: number;
  /** Clock for the timestamps in frames (E, T, ts). Default Date.now. */
  clock?: { now(): number };
  /** Annualised volatility of the price process; default 0.6. */
  volatility?: number;
  /** How often the market is stepped and frames flushed, ms; default 5. */
  tickMs?: number;
  /** When true no timer runs: call `step(ms)` to move the market (deterministic tests). */
  manual?: boolean;
  timing?: Partial<SimTiming>;
  limits?: Partial<SimLimits>;
  /** Trades kept per venue per symbol for the REST trade history (oldest forgotten first); default 10,000. */
  restHistoryTrades?: number;
}

/** One trade of the simulator's record (ground truth), decimals without trailing zeros. */
export interface SimTrade {
  tradeId: string;
  price: string;
  quantity: string;
  takerSide: 'buy' | 'sell';
  /** The frame time the sockets printed for it (or would have, when withheld), ms. */
  exchangeTime: number;
}

export interface EndpointUrls {
  /** ws base: + '/ws/<stream>' (raw), '/ws' (raw, live SUBSCRIBE), '/stream?streams=a/b' (combined). */
  binance: { ws: string; rest: string };
  /** ws base: + '/ws/v5/public' (trades, bbo-tbt, books), '/ws/v5/business' (trades-all). */
  okx: { ws: string; rest: string };
  /** ws base: + '/v5/public/spot'. */
  bybit: { ws: string; rest: string };
}

export interface SimInstrument {
  symbol: string;
  venueSymbol: string;
  base: string;
  quote: string;
  tickSize: string;
  lotSize: string;
  minNotional: string;
}

export type MalformedKind = 'garbage' | 'truncated' | 'unknown-event';

export interface ExchangeSimFaults {
  /** Close the venue's sockets: abruptly (TCP destroy, the client sees 1006) or with `code`. */
  dropConnections(venue: Venue, opts?: { endpoint?: number; code?: number }): void;
  /** Keep the sockets open but send nothing at all (no data, acks, pings or pongs) for `ms`. */
  goSilent(venue: Venue, ms: number, opts?: { endpoint?: number }): void;
  /** Reject WebSocket upgrades with HTTP 503 for `ms`. */
  refuseConnections(venue: Venue, ms: number, opts?: { endpoint?: number }): void;
  /** Send each of the next `count` trades of the symbol twice (same ids). */
  duplicateTrades(venue: Venue, symbol: string, count: number): void;
  /** Advance the symbol's trade id by `count` without sending those trades (a gap). */
  skipTradeIds(venue: Venue, symbol: string, count: number): void;
  /**
   * A repairable gap: the next `count` trades of the symbol happen (the REST history has them) but are
   * not sent on any socket. (`skipTradeIds` makes ids that never existed: a gap REST cannot repair.)
   */
  withholdTrades(venue: Venue, symbol: string, count: number): void;
  /** Answer every trade-history request of the venue with its rate-limit refusal (429; Bybit 403) for `ms`. */
  throttleRest(venue: Venue, ms: number): void;
  /**
   * The next `count` candle-history requests of the venue (klines / history-candles / kline) are answered
   * `status` instead (default 429, with `Retry-After: retryAfterSeconds`, default 1; a 5xx has none).
   */
  failHistory(venue: Venue, count: number, status?: number, retryAfterSeconds?: number): void;
  /** Binance public archive (`/data/...`): the next `count` (default 1) CHECKSUM files name a wrong SHA-256. */
  corruptArchiveChecksum(count?: number): void;
  /** One bad frame on every socket of the venue. */
  sendMalformed(venue: Venue, kind?: MalformedKind): void;
  /**
   * Binance `serverShutdown` / OKX 64008 notice, then close after `timing.shutdownCloseDelayMs`; Bybit: drop.
   * `lateFramesMs`: from the notice on (the notice included) the socket's frames leave that much later (a
   * lagging server, so a replacement socket runs ahead of it); the close waits until they are all written.
   */
  sendShutdownNotice(venue: Venue, opts?: { lateFramesMs?: number }): void;
  /**
   * The venue restarts the symbol's trade ids (a server restart): the next trade gets `nextId` (default 1)
   * and ids count up from there.
   */
  resetTradeIds(venue: Venue, symbol: string, nextId?: number): void;
  /**
   * Bybit's cross sequence `seq` restarts from 1 (as seen when a new connection's `seq` starts over), for
   * one symbol or all. Other venues have no such sequence in their trades (RangeError).
   */
  resetSequence(venue: Venue, symbol?: string): void;
  /** Trades per second per venue per symbol from now on. */
  setRate(tradesPerSecond: number): void;
  /**
   * Order books: the next `count` depth messages of the symbol are not sent, though their update ids are
   * used up (Binance `@depth@100ms` events, OKX `books` updates, Bybit `orderbook.50` deltas): a sequence gap.
   */
  skipBookUpdates(venue: Venue, symbol: string, count?: number): void;
  /** Order books, OKX only: the next `count` `books` updates carry a wrong checksum (RangeError elsewhere). */
  corruptBookChecksum(venue: Venue, symbol: string, count?: number): void;
  /** Order books: no depth message for the symbol for `ms` while its book keeps changing (a stale book). */
  stallBook(venue: Venue, symbol: string, ms: number): void;
  /** Order books, Bybit only: a service restart, the next `orderbook.50` message is a snapshot with `u` = 1. */
  restartBook(venue: Venue, symbol: string): void;
}

export interface ExchangeSimStats {
  /** Open WebSocket connections per venue. */
  connections: Record<string, number>;
  /** Trade records written to sockets per venue, summed over sockets (what clients receive). */
  tradesSent: Record<string, number>;
  /** Client heartbeats per venue: Binance ping frames, OKX text `ping`, Bybit `op:ping`. */
  pingsReceived: Record<string, number>;
  /** Binance pong frames received (answers to the server's pings). */
  pongsReceived: Record<string, number>;
  /** Trades the market generated per venue (independent of subscribers). */
  tradesGenerated: Record<string, number>;
  /** REST trade-history requests per venue, and those refused for the rate limit (429/403) or a ban (418). */
  restRequests: Record<string, number>;
  restThrottled: Record<string, number>;
  restBanned: Record<string, number>;
  /** Candle-history requests answered per venue (any status), and the refusals among them. */
  historyRequests: Record<string, number>;
  historyRefused: Record<string, number>;
  /** Binance public archive requests (`/data/...`): zips and CHECKSUM files served, 404s. */
  archive: { requests: number; zips: number; checksums: number; notFound: number };
}

export interface ExchangeSim {
  /** One per endpoint. */
  urls: EndpointUrls[];
  instruments(venue: Venue): SimInstrument[];
  faults: ExchangeSimFaults;
  stats(): ExchangeSimStats;
  /**
   * Ground truth: the trades of the REST history of (venue, symbol) with fromId <= id <= toId, oldest
   * first (within the last `restHistoryTrades`).
   */
  historyTrades(venue: Venue, symbol: string, fromId: number, toId: number): SimTrade[];
  /** Manual mode: move the market by `ms` and flush the frames. Also usable alongside the timer. */
  step(ms: number): void;
  stop(): Promise<void>;
}
