import {
  candlesInput,
  candlesPage,
  canonicalSymbol,
  depthInput,
  depthSchema,
  feedStatusSchema,
  followInput,
  followResultSchema,
  instrumentSchema,
  instrumentsInput,
  klineSchema,
  liveCandlesInput,
  liveTradesInput,
  quoteSchema,
  recentTradesInput,
  tickerSchema,
  tradeSchema,
  venueId,
} from '@qt/shared';
import { z } from 'zod';
import { authedProcedure, manageProcedure, router } from '../trpc.ts';
import { checkTimeCursor } from './cursors.ts';

const quoteInput = z.strictObject({ venue: venueId, symbol: canonicalSymbol });

/** Market data: history from storage joined with the live candle, feed status, live pushes. */
export const marketRouter = router({
  candles: authedProcedure
    .input(candlesInput)
    .output(candlesPage)
    .query(({ ctx, input }) => {
      checkTimeCursor(input.before);
      return ctx.deps.market.candles(input);
    }),
  trades: authedProcedure
    .input(recentTradesInput)
    .output(z.array(tradeSchema))
    .query(({ ctx, input }) => ctx.deps.market.recentTrades(input)),
  instruments: authedProcedure
    .input(instrumentsInput)
    .output(z.array(instrumentSchema))
    .query(({ ctx, input }) => ctx.deps.market.instruments(input)),
  feeds: authedProcedure.output(z.array(feedStatusSchema)).query(({ ctx }) => ctx.deps.market.feeds()),
  onCandle: authedProcedure.input(liveCandlesInput).subscription(async function* ({ ctx, input, signal }) {
    const abort = signal ?? new AbortController().signal;
    for await (const k of ctx.deps.market.liveCandles(input, abort)) yield klineSchema.parse(k);
  }),
  onTrade: authedProcedure.input(liveTradesInput).subscription(async function* ({ ctx, input, signal }) {
    const abort = signal ?? new AbortController().signal;
    for await (const t of ctx.deps.market.liveTrades(input, abort)) yield t;
  }),
  /** The latest best bid/ask (null until the venue sent one). */
  quote: authedProcedure
    .input(quoteInput)
    .output(quoteSchema.nullable())
    .query(({ ctx, input }) => ctx.deps.market.quote(input)),
  /** Best bid/ask as it changes: the current one first, then at most ~10 per second (the newest wins). */
  onQuote: authedProcedure.input(quoteInput).subscription(async function* ({ ctx, input, signal }) {
    const abort = signal ?? new AbortController().signal;
    for await (const q of ctx.deps.market.liveQuotes(input, abort)) yield q;
  }),
  /**
   * The top of the L2 book (`levels` per side, default and at most what the engine keeps) with its
   * status; levels only while `synced` (a book known wrong is never shown). Null when books are off.
   */
  depth: authedProcedure
    .input(depthInput)
    .output(depthSchema.nullable())
    .query(({ ctx, input }) => ctx.deps.market.depth(input)),
  /** The book as it changes: the current state first, then at most ~10 per second (the newest wins). */
  onDepth: authedProcedure.input(depthInput).subscription(async function* ({ ctx, input, signal }) {
    const abort = signal ?? new AbortController().signal;
    for await (const d of ctx.deps.market.liveDepth(input, abort)) yield d;
  }),
  /** 24h statistics (last, change, high, low, volumes) of every market the engine follows. */
  tickers: authedProcedure.output(z.array(tickerSchema)).query(({ ctx }) => ctx.deps.market.tickers()),
  /** All tickers first, then the changed ones at most once a second (the newest per market wins). */
  onTickers: authedProcedure.subscription(async function* ({ ctx, signal }) {
    const abort = signal ?? new AbortController().signal;
    for await (const batch of ctx.deps.market.liveTickers(abort)) yield z.array(tickerSchema).parse(batch);
  }),
  /**
   * Adds a market the venue lists to the engine's live feeds (trades, quotes, candles, 24h figures), for
   * good, within the tier's `followedMarkets` cap. Takes the `manage` scope: it spends engine capacity.
   */
  follow: manageProcedure
    .input(followInput)
    .output(followResultSchema)
    .mutation(({ ctx, input }) => ctx.deps.market.follow(ctx.principal.tenant.id, input)),
});
