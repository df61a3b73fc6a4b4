import { accountIdInput, fillSchema, pageInput } from '@qt/shared';
import { z } from 'zod';
import { router } from '../trpc.ts';
import { checkFillCursor } from './cursors.ts';
import { tradingReadProcedure } from './trading-procedures.ts';

export const fillsRouter = router({
  list: tradingReadProcedure
    .input(pageInput)
    .output(z.strictObject({ items: z.array(fillSchema), next: z.string().nullable() }))
    .query(({ ctx, input }) => {
      checkFillCursor(input.before);
      return ctx.trading.listFills(ctx.scope, input);
    }),
  onFill: tradingReadProcedure.input(accountIdInput).subscription(async function* ({ ctx, input, signal }) {
    const abort = signal ?? new AbortController().signal;
    yield* ctx.trading.fillUpdates(ctx.scope, input.accountId, abort);
  }),
});
