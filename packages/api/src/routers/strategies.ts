import {
  AppError,
  accountIdInput,
  compileResultSchema,
  compileStrategyInput,
  createFromExampleInput,
  deployInput,
  deploymentIdInput,
  deploymentPnlInput,
  deploymentPnlSchema,
  deploymentSchema,
  redeployInput,
  saveStrategySourceInput,
  strategyExampleSchema,
  strategyIdInput,
  strategyLogLineSchema,
  strategySchema,
  strategySourceInput,
  strategySourceSchema,
  uploadStrategyInput,
} from '@qt/shared';
import { z } from 'zod';
import { strategiesOf, strategyScopeOf } from '../domains/strategies/scope.ts';
import { authedProcedure, publicProcedure, router, tradeProcedure } from '../trpc.ts';

/**
 * Strategies: WebAssembly modules (uploaded, built from the SDK's examples, or compiled here from the
 * browser editor's AssemblyScript), validated before they are stored, and
 * their deployments to paper accounts. Deploying and controlling need `trade`: a strategy places orders.
 */
export const strategiesRouter = router({
  examples: publicProcedure
    .output(z.array(strategyExampleSchema))
    .query(({ ctx }) => strategiesOf(ctx.deps).examples()),
  list: authedProcedure
    .output(z.array(strategySchema))
    .query(({ ctx }) => strategiesOf(ctx.deps).list(strategyScopeOf(ctx.principal))),
  get: authedProcedure
    .input(strategyIdInput)
    .output(strategySchema)
    .query(({ ctx, input }) => strategiesOf(ctx.deps).get(strategyScopeOf(ctx.principal), input.strategyId)),
  upload: tradeProcedure
    .input(uploadStrategyInput)
    .output(strategySchema)
    .mutation(({ ctx, input }) => {
      const wasm = Buffer.from(input.wasmBase64, 'base64');
      // Buffer.from ignores junk silently; a length that does not round-trip means the text was not base64.
      if (wasm.toString('base64').replace(/=+$/, '') !== input.wasmBase64.replace(/=+$/, ''))
        throw new AppError('VALIDATION_FAILED', 'wasmBase64 is not valid base64.');
      return strategiesOf(ctx.deps).upload(strategyScopeOf(ctx.principal), {
        name: input.name,
        description: input.description,
        wasm: new Uint8Array(wasm.buffer, wasm.byteOffset, wasm.byteLength),
      });
    }),
  createFromExample: tradeProcedure
    .input(createFromExampleInput)
    .output(strategySchema)
    .mutation(({ ctx, input }) =>
      strategiesOf(ctx.deps).createFromExample(strategyScopeOf(ctx.principal), input),
    ),

  /** Compiles the editor's AssemblyScript (nothing stored); problems placed at their line and column. */
  compile: tradeProcedure
    .input(compileStrategyInput)
    .output(compileResultSchema)
    .mutation(({ ctx, input }) =>
      strategiesOf(ctx.deps).compileSource(strategyScopeOf(ctx.principal), input.source),
    ),
  /** Compiles and stores the source as the strategy's next version. */
  saveSource: tradeProcedure
    .input(saveStrategySourceInput)
    .output(strategySchema)
    .mutation(({ ctx, input }) => strategiesOf(ctx.deps).saveSource(strategyScopeOf(ctx.principal), input)),
  /** A version's AssemblyScript, to open in the editor (null for an uploaded module). */
  source: authedProcedure
    .input(strategySourceInput)
    .output(strategySourceSchema)
    .query(({ ctx, input }) => strategiesOf(ctx.deps).source(strategyScopeOf(ctx.principal), input)),

  deploy: tradeProcedure
    .input(deployInput)
    .output(deploymentSchema)
    .mutation(({ ctx, input }) => strategiesOf(ctx.deps).deploy(strategyScopeOf(ctx.principal), input)),
  deployments: authedProcedure
    .input(z.strictObject({ accountId: z.uuid().optional() }).default({}))
    .output(z.array(deploymentSchema))
    .query(({ ctx, input }) => strategiesOf(ctx.deps).listDeployments(strategyScopeOf(ctx.principal), input)),
  deployment: authedProcedure
    .input(deploymentIdInput)
    .output(deploymentSchema)
    .query(({ ctx, input }) =>
      strategiesOf(ctx.deps).getDeployment(strategyScopeOf(ctx.principal), input.deploymentId),
    ),
  /** The deployment's own PnL, position and curve: only the orders it placed count (tagged `st.…`). */
  deploymentPnl: authedProcedure
    .input(deploymentPnlInput)
    .output(deploymentPnlSchema)
    .query(({ ctx, input }) =>
      strategiesOf(ctx.deps).deploymentPnl(strategyScopeOf(ctx.principal), input.deploymentId),
    ),
  pause: tradeProcedure
    .input(deploymentIdInput)
    .output(deploymentSchema)
    .mutation(({ ctx, input }) =>
      strategiesOf(ctx.deps).pause(strategyScopeOf(ctx.principal), input.deploymentId),
    ),
  resume: tradeProcedure
    .input(deploymentIdInput)
    .output(deploymentSchema)
    .mutation(({ ctx, input }) =>
      strategiesOf(ctx.deps).resume(strategyScopeOf(ctx.principal), input.deploymentId),
    ),
  stop: tradeProcedure
    .input(deploymentIdInput)
    .output(deploymentSchema)
    .mutation(({ ctx, input }) =>
      strategiesOf(ctx.deps).stop(strategyScopeOf(ctx.principal), input.deploymentId),
    ),
  redeploy: tradeProcedure
    .input(redeployInput)
    .output(deploymentSchema)
    .mutation(({ ctx, input }) => strategiesOf(ctx.deps).redeploy(strategyScopeOf(ctx.principal), input)),
  logs: authedProcedure
    .input(z.strictObject({ deploymentId: z.uuid(), limit: z.number().int().min(1).max(500).default(200) }))
    .output(z.array(strategyLogLineSchema))
    .query(({ ctx, input }) => strategiesOf(ctx.deps).logs(strategyScopeOf(ctx.principal), input)),
  onDeployment: authedProcedure.input(accountIdInput.partial().default({})).subscription(async function* ({
    ctx,
    input,
    signal,
  }) {
    const abort = signal ?? new AbortController().signal;
    for await (const d of strategiesOf(ctx.deps).deploymentUpdates(strategyScopeOf(ctx.principal), abort)) {
      if (!input.accountId || d.accountId === input.accountId) yield d;
    }
  }),
  onLog: authedProcedure.input(deploymentIdInput).subscription(async function* ({ ctx, input, signal }) {
    const abort = signal ?? new AbortController().signal;
    yield* strategiesOf(ctx.deps).logStream(strategyScopeOf(ctx.principal), input.deploymentId, abort);
  }),
});
