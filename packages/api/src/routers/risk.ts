import { accountIdInput, killSwitchInput, killSwitchView } from '@qt/shared';
import { riskLimitsSchema, riskViewSchema } from '@qt/trading';
import { z } from 'zod';
import { scopeOf, tradingOf } from '../domains/trading/scope.ts';
import { authedProcedure, manageProcedure, router } from '../trpc.ts';

/** Pre-trade risk per paper account: read by anyone with `read`; limits and kill switches need `manage`. */
export const riskRouter = router({
  get: authedProcedure
    .input(accountIdInput)
    .output(riskViewSchema)
    .query(({ ctx, input }) => tradingOf(ctx.deps).riskView(scopeOf(ctx.principal), input.accountId)),
  updateLimits: manageProcedure
    .input(z.strictObject({ accountId: z.uuid(), limits: riskLimitsSchema }))
    .output(riskViewSchema)
    .mutation(({ ctx, input }) => tradingOf(ctx.deps).updateRiskLimits(scopeOf(ctx.principal), input)),
  setKillSwitch: manageProcedure
    .input(killSwitchInput)
    .output(killSwitchView)
    .mutation(({ ctx, input }) => tradingOf(ctx.deps).setKillSwitch(scopeOf(ctx.principal), input)),
});
