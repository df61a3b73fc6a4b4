import type { MarketDataQueries } from '@qt/db';
import {
  AppError,
  canonicalDecimal,
  type Kline,
  type MarketPort,
  type MessageBus,
  subjects,
  topics,
} from '@qt/shared';
import type { KlineService } from './aggregate/kline-service.ts';
import type { DepthService } from './depth/depth-service.ts';
import type { FollowService } from './follow/follow-service.ts';
import type { FeedSupervisor } from './ingest/feed-supervisor.ts';
import type { InstrumentCatalog } from './instruments/instrument-catalog.ts';
import { busStream } from './live/bus-stream.ts';
import type { QuoteBook } from './live/quote-book.ts';
import type { TickerService } from './tickers/ticker-service.ts';

/**
 * The market API over the pipeline: candle history from storage with the live candle from the
 * aggregator's memory laid over it (so the newest candle is never a persist cycle behind), recent
 * trades from storage, instruments, feed status, and live pushes from the bus.
 */
export function createMarketService(deps: {
  bus: MessageBus;
  queries: MarketDataQueries;
  catalog: InstrumentCatalog;
  klines: KlineService;
  feeds: FeedSupervisor;
  quotes: QuoteBook;
  /** L2 books; null when `MARKET_DEPTH=false`. */
  depth?: DepthService | null;
  tickers: TickerService;
  follow: FollowService;
}): MarketPort {
  const known = (venue: string, symbol: string) => {
    if (!deps.catalog.get(venue, symbol)) {
      throw new AppError(
        'MARKET_UNKNOWN_INSTRUMENT',
        `${venue} does not list ${symbol} on this engine (see market.instruments).`,
      );
    }
  };
  return {
    async candles(input) {
      known(input.venue, input.symbol);
      const page = await deps.queries.candles({
        venue: input.venue,
        symbol: input.symbol,
        interval: input.interval,
        limit: input.limit,
        ...(input.from !== undefined ? { fromMs: input.from } : {}),
        ...(input.to !== undefined ? { toMs: input.to } : {}),
        ...(input.before !== undefined ? { before: input.before } : {}),
      });
      if (input.before !== undefined) return page;
      const live = deps.klines
        .live(input.venue, input.symbol, input.interval)
        .filter(
          (k) =>
            (input.from === undefined || k.openTime >= input.from) &&
            (input.to === undefined || k.openTime < input.to),
        );
      return { candles: mergeLive(page.candles, live, input.limit), nextBefore: page.nextBefore };
    },
    async recentTrades(input) {
      known(input.venue, input.symbol);
      const page = await deps.queries.recentTrades(input.venue, input.symbol, { limit: input.limit });
      return page.trades;
    },
    async instruments(input) {
      return deps.catalog.list(input.venue);
    },
    feeds: () => deps.feeds.status(),
    liveCandles(input, signal) {
      known(input.venue, input.symbol);
      return busStream(
        deps.bus,
        topics.marketKlines,
        subjects.marketKlines(input.venue, input.symbol, input.interval),
        signal,
        (k) => [k],
      );
    },
    liveTrades(input, signal) {
      known(input.venue, input.symbol);
      return busStream(
        deps.bus,
        topics.marketTrades,
        subjects.marketTrades(input.venue, input.symbol),
        signal,
        (b) => b.trades,
      );
    },
    async quote(input) {
      known(input.venue, input.symbol);
      return deps.quotes.latest(input.venue, input.symbol);
    },
    liveQuotes(input, signal) {
      known(input.venue, input.symbol);
      return deps.quotes.stream(input.venue, input.symbol, signal);
    },
    async depth(input) {
      known(input.venue, input.symbol);
      return deps.depth?.latest(input.venue, input.symbol, input.levels) ?? null;
    },
    liveDepth(input, signal) {
      known(input.venue, input.symbol);
      if (!deps.depth) {
        throw new AppError(
          'MARKET_DATA_DISABLED',
          'Order books are switched off on this engine (MARKET_DEPTH=false).',
        );
      }
      return deps.depth.stream(input.venue, input.symbol, signal, input.levels);
    },
    tickers: async () => deps.tickers.list(),
    liveTickers: (signal) => deps.tickers.stream(signal),
    follow: (tenantId, input) => deps.follow.follow(tenantId, input),
  };
}

/**
 * Stored candles with the aggregator's versions laid over them (same openTime: the live one wins).
 * Live candles carry the venue's printed scale ("65068.88000000"); stored ones are read back canonical,
 * so the overlay is made canonical too: one candle must not change form when it is persisted.
 */
export function mergeLive(stored: readonly Kline[], live: readonly Kline[], limit: number): Kline[] {
  if (live.length === 0) return [...stored];
  const byOpen = new Map<number, Kline>();
  for (const k of stored) byOpen.set(k.openTime, k);
  for (const k of live) {
    const s = byOpen.get(k.openTime);
    if (!s || k.tradeCount >= s.tradeCount) byOpen.set(k.openTime, canonicalKline(k));
  }
  return [...byOpen.values()].sort((a, b) => a.openTime - b.openTime).slice(-limit);
}

/** A candle with its decimals in canonical form (no trailing fractional zeros, no bare point, no -0). */
export function canonicalKline(k: Kline): Kline {
  return {
    ...k,
    open: canonicalDecimal(k.open),
    high: canonicalDecimal(k.high),
    low: canonicalDecimal(k.low),
    close: canonicalDecimal(k.close),
    baseVolume: canonicalDecimal(k.baseVolume),
    quoteVolume: canonicalDecimal(k.quoteVolume),
    takerBuyBaseVolume: canonicalDecimal(k.takerBuyBaseVolume),
  };
}
