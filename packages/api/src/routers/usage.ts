import { usageHistoryInput, usageHistorySchema, usageTodaySchema } from '@qt/shared';
import { usageHistory, usageToday } from '../limits/usage-report.ts';
import { authedProcedure, router } from '../trpc.ts';

/** Metered usage of the caller's tenant against its tier's limits (the dashboard's Usage page). */
export const usageRouter = router({
  today: authedProcedure.output(usageTodaySchema).query(({ ctx }) => usageToday(ctx.deps, ctx.principal)),
  history: authedProcedure
    .input(usageHistoryInput)
    .output(usageHistorySchema)
    .query(({ ctx, input }) => usageHistory(ctx.deps, ctx.principal, input.days)),
});
