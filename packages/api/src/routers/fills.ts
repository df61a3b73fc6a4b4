import { accountIdInput, fillSchema, pageInput } from '@qt/shared';
import { z } from 'zod';
import { scopeOf, tradingOf } from '../domains/trading/scope.ts';
import { authedProcedure, router } from '../trpc.ts';
import { checkFillCursor } from './cursors.ts';

export const fillsRouter = router({
  list: authedProcedure
    .input(pageInput)
    .output(z.strictObject({ items: z.array(fillSchema), next: z.string().nullable() }))
    .query(({ ctx, input }) => {
      checkFillCursor(input.before);
      return tradingOf(ctx.deps).listFills(scopeOf(ctx.principal), input);
    }),
  onFill: authedProcedure.input(accountIdInput).subscription(async function* ({ ctx, input, signal }) {
    const abort = signal ?? new AbortController().signal;
    yield* tradingOf(ctx.deps).fillUpdates(scopeOf(ctx.principal), input.accountId, abort);
  }),
});
