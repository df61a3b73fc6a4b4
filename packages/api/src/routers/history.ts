import {
  AppError,
  backfillInput,
  backfillJobSchema,
  backfillProgressSchema,
  coverageInput,
  coverageSchema,
  type HistoryPort,
  type HistoryScope,
  jobsInput,
  limitsFor,
} from '@qt/shared';
import { z } from 'zod';
import type { Principal } from '../auth/principal.ts';
import type { ApiDeps } from '../context.ts';
import { authedProcedure, manageProcedure, router } from '../trpc.ts';

function historyOf(deps: ApiDeps): HistoryPort {
  if (!deps.history)
    throw new AppError('SERVICE_UNAVAILABLE', 'History backfill is not running on this engine.');
  return deps.history;
}

/** The tenant and its tier's history depth (the contract's own numbers when the limiter knows them). */
async function scopeOf(deps: ApiDeps, principal: Principal): Promise<HistoryScope> {
  const limits = deps.requestLimiter
    ? await deps.requestLimiter.limitsOf(principal)
    : limitsFor(principal.tenant.tier, undefined);
  return { tenantId: principal.tenant.id, historyDays: limits.historyDays };
}

/**
 * Market history: what is stored per venue/symbol/interval and what is missing, backfills from the
 * venues' REST history (queuing one takes the `manage` scope: it spends the engine's venue budget), the
 * tenant's jobs and their progress. Ranges reach back at most the tier's history depth.
 */
export const historyRouter = router({
  coverage: authedProcedure
    .input(coverageInput)
    .output(coverageSchema)
    .query(async ({ ctx, input }) =>
      historyOf(ctx.deps).coverage(await scopeOf(ctx.deps, ctx.principal), input),
    ),
  backfill: manageProcedure
    .input(backfillInput)
    .output(backfillJobSchema)
    .mutation(async ({ ctx, input }) =>
      historyOf(ctx.deps).backfill(await scopeOf(ctx.deps, ctx.principal), input),
    ),
  jobs: authedProcedure
    .input(jobsInput)
    .output(z.array(backfillJobSchema))
    .query(async ({ ctx, input }) =>
      historyOf(ctx.deps).jobs(await scopeOf(ctx.deps, ctx.principal), input.limit),
    ),
  onProgress: authedProcedure.subscription(async function* ({ ctx, signal }) {
    const abort = signal ?? new AbortController().signal;
    const scope = await scopeOf(ctx.deps, ctx.principal);
    for await (const p of historyOf(ctx.deps).progress(scope, abort)) yield backfillProgressSchema.parse(p);
  }),
});
