import type { Instrument, KnownVenue, Quote, Trade } from '@qt/shared';
import type { BinanceDepthEvent, BybitOrderbookMessage, OkxBooksMessage } from '../books/book-parsers.ts';

/**
 * What a connection carries for a symbol: its trades, its best bid/ask, its L2 depth (Binance
 * `@depth@100ms`, OKX `books`, Bybit `orderbook.50`), or several of them.
 */
export type MarketChannel = 'trades' | 'quotes' | 'depth';

/** One depth frame, parsed in its venue's own terms: the venue's book synchroniser takes it as is. */
export type DepthFrame =
  | { readonly venue: 'binance'; readonly event: BinanceDepthEvent }
  | { readonly venue: 'okx'; readonly message: OkxBooksMessage }
  | { readonly venue: 'bybit'; readonly message: BybitOrderbookMessage };

/** One venue stream we want: a canonical symbol (`BTC-USDT`) on one channel. */
export interface Subscription {
  readonly symbol: string;
  readonly channel: MarketChannel;
}

/** A control message to send, with the id the venue echoes in its answer (when it echoes one). */
export interface OutgoingRequest {
  readonly requestId: string | null;
  readonly text: string;
  readonly subscriptions: readonly Subscription[];
}

/**
 * One decoded frame. Trades come as a batch per frame (one callback per frame downstream, no per-trade
 * scheduling). `ids` holds two numbers per trade, flat: the first and last venue trade ids the trade
 * covers (Binance trade: t,t; Binance aggTrade: f,l; OKX `trades`: tradeId-count+1, tradeId), or for
 * venues without sequential ids (Bybit) the cross sequence twice, NaN when absent.
 */
export type VenueMessage =
  | { readonly kind: 'trades'; readonly trades: Trade[]; readonly ids: number[] }
  | { readonly kind: 'quote'; readonly quote: Quote }
  /** A depth message of a canonical symbol (see `DepthFrame`). */
  | { readonly kind: 'depth'; readonly symbol: string; readonly depth: DepthFrame }
  | { readonly kind: 'ack'; readonly requestId: string | null }
  | {
      readonly kind: 'error';
      readonly requestId: string | null;
      readonly code: string;
      readonly message: string;
    }
  | { readonly kind: 'pong' }
  | { readonly kind: 'shutdown'; readonly message: string }
  /** Understood, but carries nothing to emit (e.g. a book snapshot with an empty side). */
  | { readonly kind: 'ignored' }
  | { readonly kind: 'unknown' }
  | { readonly kind: 'malformed'; readonly reason: string };

/** How the client keeps the connection alive. */
export type HeartbeatRule =
  /** The server pings with WebSocket frames and the client answers with pongs (`ws` does this itself). */
  | { readonly kind: 'server-ping'; readonly serverIntervalMs: number }
  /** The client sends `text` every `intervalMs`, or only after `intervalMs` of silence when `whenIdle`. */
  | {
      readonly kind: 'client-ping';
      readonly intervalMs: number;
      readonly whenIdle: boolean;
      readonly text: string;
    };

/** The venue's published limits that the feed must stay within. */
export interface VenueLimits {
  /** Streams (channel x symbol) one connection may carry. */
  readonly maxSubscriptionsPerConnection: number;
  /** Messages the client may send per second per connection (control, pings, pongs). */
  readonly maxOutgoingPerSecond: number;
  /** Subscribe/unsubscribe requests per hour per connection, where the venue caps them. */
  readonly subscribeRequestsPerHour: number | null;
  /** Connection attempts per window per IP. */
  readonly connectAttempts: { readonly max: number; readonly windowMs: number };
  /** The venue cuts a connection after this long; null when it does not. */
  readonly maxConnectionLifetimeMs: number | null;
}

/**
 * A venue's public market-data wire protocol: endpoints, symbols, requests, heartbeat, limits and the frame
 * parser. Stateless apart from a symbol cache, so one adapter can serve every connection of a feed.
 */
export interface VenueAdapter {
  readonly venue: KnownVenue;
  /** WebSocket bases (scheme, host, port, optional prefix); the adapter appends its own paths. */
  readonly defaultWsEndpoints: readonly string[];
  /** REST bases for instruments, in the order to try them. */
  readonly defaultRestEndpoints: readonly string[];
  readonly limits: VenueLimits;
  readonly heartbeat: HeartbeatRule;
  /** Silence after which an open socket is declared stale, given the heartbeat rule. */
  readonly defaultStaleAfterMs: number;
  /**
   * Whether trade ids are consecutive per symbol (gaps detectable) or only unique (duplicates only).
   * See `src/sequence/trade-sequencer.ts`.
   */
  readonly sequencing: 'consecutive' | 'unique';

  toVenueSymbol(symbol: string): string;
  /** The canonical symbol of a venue symbol; null when it cannot be split into base and quote. */
  toCanonicalSymbol(venueSymbol: string): string | null;
  /** Teaches the adapter symbols whose base/quote split is known (from instruments or configuration). */
  registerSymbols(symbols: readonly string[]): void;

  /** Subscriptions that must share a URL path are grouped by this key (OKX public vs business). */
  pathOf(subscription: Subscription): string;
  /**
   * The URL to open for `subscriptions` at `base`, and those of them the URL does not already carry
   * (to be subscribed with `subscribeRequests`).
   */
  connectUrl(base: string, subscriptions: readonly Subscription[]): { url: string; pending: Subscription[] };
  subscribeRequests(subscriptions: readonly Subscription[], nextId: () => number): OutgoingRequest[];
  unsubscribeRequests(subscriptions: readonly Subscription[], nextId: () => number): OutgoingRequest[];

  /** Decodes one text frame; never throws. */
  parse(text: string, receiveTime: number): VenueMessage;

  /** The instruments URL at a REST base, and the parser of its JSON answer. */
  instrumentsUrl(restBase: string): string;
  parseInstruments(body: unknown): Instrument[];
}
