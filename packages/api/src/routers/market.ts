import {
  candlesInput,
  candlesPage,
  feedStatusSchema,
  instrumentSchema,
  instrumentsInput,
  klineSchema,
  liveCandlesInput,
  liveTradesInput,
  recentTradesInput,
  tradeSchema,
} from '@qt/shared';
import { z } from 'zod';
import { authedProcedure, router } from '../trpc.ts';

/** Market data: history from storage joined with the live candle, feed status, live pushes. */
export const marketRouter = router({
  candles: authedProcedure
    .input(candlesInput)
    .output(candlesPage)
    .query(({ ctx, input }) => ctx.deps.market.candles(input)),
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
});
