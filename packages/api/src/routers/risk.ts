import {
  accountIdInput,
  killSwitchInput,
  killSwitchView,
  riskLimitsSchema,
  riskViewSchema,
} from '@qt/shared';
import { z } from 'zod';
import { router } from '../trpc.ts';
import { tradingManageProcedure, tradingReadProcedure } from './trading-procedures.ts';

/** Pre-trade risk per paper account: read by anyone with `read`; limits and kill switches need `manage`. */
export const riskRouter = router({
  get: tradingReadProcedure
    .input(accountIdInput)
    .output(riskViewSchema)
    .query(({ ctx, input }) => ctx.trading.riskView(ctx.scope, input.accountId)),
  updateLimits: tradingManageProcedure
    .input(z.strictObject({ accountId: z.uuid(), limits: riskLimitsSchema }))
    .output(riskViewSchema)
    .mutation(({ ctx, input }) => ctx.trading.updateRiskLimits(ctx.scope, input)),
  setKillSwitch: tradingManageProcedure
    .input(killSwitchInput)
    .output(killSwitchView)
    .mutation(({ ctx, input }) => ctx.trading.setKillSwitch(ctx.scope, input)),
});
