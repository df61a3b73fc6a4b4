import { z } from 'zod';
import type { ApiDeps, HealthReport } from '../context.ts';
import { publicProcedure, router } from '../trpc.ts';

const healthOutput = z.object({
  status: z.enum(['ok', 'degraded', 'down']),
  components: z.record(z.string(), z.object({ ok: z.boolean(), detail: z.string().optional() })),
});

/** How long one health report (a database and a Redis round trip) answers every caller. */
export const HEALTH_CACHE_MS = 1_000;

const healthCache = new WeakMap<ApiDeps, { at: number; report: Promise<HealthReport> }>();

/**
 * The engine's health, probed at most once per `HEALTH_CACHE_MS` per engine: the call is public, and
 * without the cache every caller (across all addresses) would cost a database query. Concurrent callers
 * share the probe in flight; a probe that throws is not kept.
 */
function cachedHealth(deps: ApiDeps): Promise<HealthReport> {
  // Monotonic wall time, not the injected clock: this is about probe load, and a test's frozen clock
  // must not freeze the health report.
  const now = performance.now();
  const hit = healthCache.get(deps);
  if (hit && now - hit.at < HEALTH_CACHE_MS) return hit.report;
  const report = deps.health();
  const entry = { at: now, report };
  healthCache.set(deps, entry);
  report.catch(() => {
    if (healthCache.get(deps) === entry) healthCache.delete(deps);
  });
  return report;
}

export const systemRouter = router({
  health: publicProcedure.output(healthOutput).query(({ ctx }) => cachedHealth(ctx.deps)),
  version: publicProcedure
    .output(z.object({ version: z.string(), api: z.literal(1) }))
    .query(({ ctx }) => ({ version: ctx.deps.version, api: 1 as const })),
});
