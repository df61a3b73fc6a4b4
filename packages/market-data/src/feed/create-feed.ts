import type { Clock, FeedStatus, Quote, Trade } from '@qt/shared';
import { type SequenceStats, type TradeGap, TradeSequencer } from '../sequence/trade-sequencer.ts';
import type { DepthFrame, MarketChannel, Subscription, VenueAdapter } from '../venues/venue-adapter.ts';
import { SlidingWindowLimiter } from './connect-limiter.ts';
import { FeedConnection } from './feed-connection.ts';
import type { FeedEvent } from './feed-events.ts';
import { type FeedOptions, resolveFeedOptions } from './feed-options.ts';
import { type Logger, silentLogger } from './logger.ts';

export interface CreateFeedParams {
  adapter: VenueAdapter;
  /** Canonical symbols (`BTC-USDT`); validate them against the venue's instruments first. */
  symbols: readonly string[];
  /** Default both. */
  channels?: readonly MarketChannel[];
  /** WebSocket bases tried in order, wrapping around; default the adapter's public endpoints. */
  endpoints?: readonly string[];
  clock: Clock;
  logger?: Logger;
  options?: FeedOptions;
  /** Called once per frame with the frame's trades, duplicates already dropped. Keep it synchronous. */
  onTrades?: (trades: Trade[]) => void;
  onQuote?: (quote: Quote) => void;
  /**
   * Depth frames (channel `depth`), parsed in the venue's terms for its book synchroniser, from each
   * connection's current socket only. Keep it synchronous. A socket change shows as `stateChanged`.
   */
  onDepth?: (symbol: string, depth: DepthFrame, receiveTime: number) => void;
  onEvent?: (event: FeedEvent) => void;
}

export interface Feed {
  /** Opens every connection; returns at once (progress shows in `status()` and `stateChanged`). */
  start(): void;
  /** Closes every socket and cancels every timer. */
  stop(): Promise<void>;
  /** One entry per connection. */
  status(): FeedStatus[];
  /** Symbols subscribed but silent since their socket went live or since added (see `symbolsSilent`). */
  silentSymbols(): string[];
  /** Gap and duplicate counts over the whole feed. */
  sequenceStats(): SequenceStats;
  /**
   * Unsubscribe and subscribe one stream again on the connection that carries it (a fresh book snapshot
   * on OKX and Bybit). False when no connection carries it or its socket is not live (a reconnect
   * subscribes anyway).
   */
  resubscribe(symbol: string, channel: MarketChannel): boolean;
  /**
   * Follows more symbols at run time on the feed's channels: each goes to a connection with room on the
   * same URL path (subscribed on its open socket at once), or to a new connection (opened now if the
   * feed runs). Returns the symbols that were new to the feed. Validate them against the venue's
   * instruments first, as for `symbols`.
   */
  addSymbols(symbols: readonly string[]): string[];
}

/**
 * A venue's public market data for a set of symbols, over as many sockets as the venue's per-connection
 * limits require, kept alive across drops, stale sockets, lifetime cuts and shutdown notices.
 */
export function createFeed(params: CreateFeedParams): Feed {
  const { adapter, clock } = params;
  const endpoints = params.endpoints ?? adapter.defaultWsEndpoints;
  if (endpoints.length === 0) throw new RangeError('a feed needs at least one endpoint');
  const options = resolveFeedOptions(adapter, params.options);
  adapter.registerSymbols(params.symbols);
  const sequencer = new TradeSequencer({
    mode: adapter.sequencing,
    window: options.duplicateWindow,
    gapGraceMs: options.gapGraceMs,
  });
  let requestId = 0;
  const noop = () => {};
  const ctx = {
    adapter,
    endpoints,
    clock,
    logger: params.logger ?? silentLogger,
    options,
    connectLimiter:
      params.options?.connectLimiter ?? new SlidingWindowLimiter(adapter.limits.connectAttempts, clock),
    sequencer,
    onTrades: params.onTrades ?? noop,
    onQuote: params.onQuote ?? noop,
    onDepth: params.onDepth ?? noop,
    onEvent: params.onEvent ?? noop,
    nextRequestId: () => ++requestId,
  };
  const channels = params.channels ?? ['trades', 'quotes'];
  const groups = splitSubscriptions(
    adapter,
    [...new Set(params.symbols)],
    channels,
    options.maxSubscriptionsPerConnection,
  );
  const connections = groups.map((subs, i) => new FeedConnection(ctx, `${adapter.venue}-${i + 1}`, subs));
  const known = new Set(params.symbols);
  let started = false;
  // A symbol's trades come over one connection: its gaps are counted and reported there.
  const bySymbol = new Map<string, FeedConnection>();
  for (const c of connections) for (const s of c.tradeSymbols()) bySymbol.set(s, c);
  const reportGap = (gap: TradeGap) => (bySymbol.get(gap.symbol) ?? connections[0])?.gapReported(gap);
  let gapTimer: NodeJS.Timeout | null = null;

  return {
    start: () => {
      started = true;
      gapTimer ??= setInterval(
        () => sequencer.reportDueGaps(clock.now(), reportGap),
        options.checkIntervalMs,
      );
      for (const c of connections) c.start();
    },
    stop: async () => {
      started = false;
      if (gapTimer !== null) clearInterval(gapTimer);
      gapTimer = null;
      await Promise.all(connections.map((c) => c.stop()));
      // Gaps still in their grace period are real as far as anyone will know: report them.
      sequencer.reportDueGaps(Number.POSITIVE_INFINITY, reportGap);
    },
    status: () => connections.map((c) => c.status()),
    silentSymbols: () => connections.flatMap((c) => c.silentSymbols()),
    sequenceStats: () => sequencer.stats(),
    resubscribe: (symbol, channel) => {
      const sub: Subscription = { symbol, channel };
      const c = connections.find((conn) => conn.carries(sub));
      return c?.resubscribe([sub]) ?? false;
    },
    addSymbols: (symbols) => {
      const fresh = [...new Set(symbols)].filter((s) => !known.has(s));
      if (fresh.length === 0) return [];
      adapter.registerSymbols(fresh);
      const per = options.maxSubscriptionsPerConnection;
      for (const list of splitSubscriptions(adapter, fresh, channels, Number.MAX_SAFE_INTEGER)) {
        const path = adapter.pathOf(list[0] as Subscription);
        let rest = list;
        // A symbol's channels stay on one connection (its trades and quotes share the socket's fate).
        while (rest.length > 0) {
          const symbol = (rest[0] as Subscription).symbol;
          const mine = rest.filter((s) => s.symbol === symbol);
          rest = rest.filter((s) => s.symbol !== symbol);
          let conn = connections.find((c) => c.capacityFor(path, per) >= mine.length);
          if (conn === undefined) {
            conn = new FeedConnection(ctx, `${adapter.venue}-${connections.length + 1}`, mine);
            connections.push(conn);
            if (started) conn.start();
          } else conn.addSubscriptions(mine);
          // Only the connection carrying its trades: on OKX the quotes go over another path, hence
          // another connection, which would otherwise take the symbol's gap reports.
          if (mine.some((s) => s.channel === 'trades')) bySymbol.set(symbol, conn);
        }
      }
      for (const s of fresh) known.add(s);
      return fresh;
    },
  };
}

/**
 * Subscriptions grouped by the URL path they need (OKX public vs business), a symbol's channels kept
 * together, then cut into connections of at most `perConnection`.
 */
export function splitSubscriptions(
  adapter: VenueAdapter,
  symbols: readonly string[],
  channels: readonly MarketChannel[],
  perConnection: number,
): Subscription[][] {
  const byPath = new Map<string, Subscription[]>();
  for (const symbol of symbols) {
    for (const channel of channels) {
      const sub: Subscription = { symbol, channel };
      const path = adapter.pathOf(sub);
      const list = byPath.get(path);
      if (list === undefined) byPath.set(path, [sub]);
      else list.push(sub);
    }
  }
  const out: Subscription[][] = [];
  for (const list of byPath.values()) {
    for (let i = 0; i < list.length; i += perConnection) out.push(list.slice(i, i + perConnection));
  }
  return out;
}
