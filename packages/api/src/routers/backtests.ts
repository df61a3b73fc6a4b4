import { backtestIdInput, backtestResultSchema, backtestSchema, runBacktestInput } from '@qt/shared';
import { z } from 'zod';
import { strategiesOf, strategyScopeOf } from '../domains/strategies/scope.ts';
import { authedProcedure, router, tradeProcedure } from '../trpc.ts';

/**
 * Backtests: a strategy version on stored history, run as a job off the request path. `run` answers at
 * once with the queued job; progress comes from `onProgress` (or polling `get`).
 */
export const backtestsRouter = router({
  run: tradeProcedure
    .input(runBacktestInput)
    .output(backtestSchema)
    .mutation(({ ctx, input }) => strategiesOf(ctx.deps).runBacktest(strategyScopeOf(ctx.principal), input)),
  list: authedProcedure
    .input(z.strictObject({ strategyId: z.uuid().optional() }).default({}))
    .output(z.array(backtestSchema))
    .query(({ ctx, input }) => strategiesOf(ctx.deps).listBacktests(strategyScopeOf(ctx.principal), input)),
  get: authedProcedure
    .input(backtestIdInput)
    .output(backtestResultSchema)
    .query(({ ctx, input }) =>
      strategiesOf(ctx.deps).getBacktest(strategyScopeOf(ctx.principal), input.backtestId),
    ),
  cancel: tradeProcedure
    .input(backtestIdInput)
    .output(backtestSchema)
    .mutation(({ ctx, input }) =>
      strategiesOf(ctx.deps).cancelBacktest(strategyScopeOf(ctx.principal), input.backtestId),
    ),
  onProgress: authedProcedure.input(backtestIdInput).subscription(async function* ({ ctx, input, signal }) {
    const abort = signal ?? new AbortController().signal;
    yield* strategiesOf(ctx.deps).backtestProgress(strategyScopeOf(ctx.principal), input.backtestId, abort);
  }),
});
