import type {
  CandlesInput,
  CandlesPage,
  Depth,
  DepthInput,
  FeedStatus,
  FollowInput,
  FollowResult,
  Instrument,
  InstrumentsInput,
  Kline,
  LiveCandlesInput,
  LiveTradesInput,
  Quote,
  RecentTradesInput,
  Ticker,
  Trade,
} from '../index.ts';

/**
 * What the API needs from the market-data pipeline. The engine implements it (storage joined with the
 * live aggregator, the feeds' status, the bus for live pushes); the API only translates. Market data is
 * the same for every tenant, so no tenant argument: access needs the `read` scope.
 */
export interface MarketPort {
  /** Throws MARKET_UNKNOWN_INSTRUMENT for a (venue, symbol) the engine does not serve. */
  candles(input: CandlesInput): Promise<CandlesPage>;
  recentTrades(input: RecentTradesInput): Promise<Trade[]>;
  instruments(input: InstrumentsInput): Promise<Instrument[]>;
  feeds(): FeedStatus[];
  /** Candle updates as they happen, until `signal` aborts. */
  liveCandles(input: LiveCandlesInput, signal: AbortSignal): AsyncIterable<Kline>;
  liveTrades(input: LiveTradesInput, signal: AbortSignal): AsyncIterable<Trade>;
  /** The latest best bid/ask of an instrument, or null before the venue sent one. */
  quote(input: QuoteInput): Promise<Quote | null>;
  /** Best bid/ask as it changes, conflated: the current one, then at most ~10 per second, until `signal` aborts. */
  liveQuotes(input: QuoteInput, signal: AbortSignal): AsyncIterable<Quote>;
  /**
   * The top `levels` of the instrument's L2 book and its status (levels only while `synced`); null when
   * the engine keeps no book for it (`MARKET_DEPTH=false`).
   */
  depth(input: DepthInput): Promise<Depth | null>;
  /** The book as it changes, conflated per subscriber (<= 10/s, the newest wins), until `signal` aborts. */
  liveDepth(input: DepthInput, signal: AbortSignal): AsyncIterable<Depth>;
  /** 24h statistics of every market the engine follows (configured and added with `follow`). */
  tickers(): Promise<Ticker[]>;
  /** All tickers first, then the ones that changed, at most once a second, until `signal` aborts. */
  liveTickers(signal: AbortSignal): AsyncIterable<Ticker[]>;
  /**
   * Adds a market the venue lists to the live feeds, stored for later starts, within the tenant's tier
   * cap (`TIER_LIMIT_REACHED`) and the engine's (`MARKET_FOLLOW_LIMIT`); `MARKET_NOT_LISTED` otherwise.
   */
  follow(tenantId: string, input: FollowInput): Promise<FollowResult>;
}

export interface QuoteInput {
  venue: string;
  symbol: string;
}
