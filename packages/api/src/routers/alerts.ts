import {
  alertFiringSchema,
  alertHistoryInput,
  alertHistorySchema,
  alertIdInput,
  alertSchema,
  createAlertInput,
  listAlertsInput,
  markReadInput,
  updateAlertInput,
} from '@qt/shared';
import { z } from 'zod';
import { alertScopeOf, alertsOf } from '../domains/alerts/scope.ts';
import { authedProcedure, router, tradeProcedure } from '../trpc.ts';

/**
 * Alerts: price, indicator, volume and data-quality rules evaluated by the engine, their firings (the
 * notification centre, with unread state) and a live stream of new firings. Changing alerts needs the
 * `trade` scope like strategies (an alert's channels send data out of the platform); reading and marking
 * firings read needs a credential only.
 */
export const alertsRouter = router({
  create: tradeProcedure
    .input(createAlertInput)
    .output(alertSchema)
    .mutation(({ ctx, input }) => alertsOf(ctx.deps).create(alertScopeOf(ctx.principal), input)),
  list: authedProcedure
    .input(listAlertsInput)
    .output(z.array(alertSchema))
    .query(({ ctx, input }) => alertsOf(ctx.deps).list(alertScopeOf(ctx.principal), input)),
  get: authedProcedure
    .input(alertIdInput)
    .output(alertSchema)
    .query(({ ctx, input }) => alertsOf(ctx.deps).get(alertScopeOf(ctx.principal), input.alertId)),
  update: tradeProcedure
    .input(updateAlertInput)
    .output(alertSchema)
    .mutation(({ ctx, input }) => alertsOf(ctx.deps).update(alertScopeOf(ctx.principal), input)),
  pause: tradeProcedure
    .input(alertIdInput)
    .output(alertSchema)
    .mutation(({ ctx, input }) => alertsOf(ctx.deps).pause(alertScopeOf(ctx.principal), input.alertId)),
  resume: tradeProcedure
    .input(alertIdInput)
    .output(alertSchema)
    .mutation(({ ctx, input }) => alertsOf(ctx.deps).resume(alertScopeOf(ctx.principal), input.alertId)),
  delete: tradeProcedure
    .input(alertIdInput)
    .output(z.object({ deleted: z.literal(true) }))
    .mutation(({ ctx, input }) => alertsOf(ctx.deps).delete(alertScopeOf(ctx.principal), input.alertId)),
  history: authedProcedure
    .input(alertHistoryInput)
    .output(alertHistorySchema)
    .query(({ ctx, input }) => alertsOf(ctx.deps).history(alertScopeOf(ctx.principal), input)),
  markRead: authedProcedure
    .input(markReadInput)
    .output(z.object({ updated: z.number().int() }))
    .mutation(({ ctx, input }) => alertsOf(ctx.deps).markRead(alertScopeOf(ctx.principal), input)),
  onFired: authedProcedure.subscription(async function* ({ ctx, signal }) {
    const abort = signal ?? new AbortController().signal;
    for await (const f of alertsOf(ctx.deps).firings(alertScopeOf(ctx.principal), abort)) {
      yield alertFiringSchema.parse(f);
    }
  }),
});
