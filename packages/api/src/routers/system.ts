import { z } from 'zod';
import { publicProcedure, router } from '../trpc.ts';

const healthOutput = z.object({
  status: z.enum(['ok', 'degraded', 'down']),
  components: z.record(z.string(), z.object({ ok: z.boolean(), detail: z.string().optional() })),
});

export const systemRouter = router({
  health: publicProcedure.output(healthOutput).query(({ ctx }) => ctx.deps.health()),
  version: publicProcedure
    .output(z.object({ version: z.string(), api: z.literal(1) }))
    .query(({ ctx }) => ({ version: ctx.deps.version, api: 1 as const })),
});
