import { z } from 'zod';
import { NUL_MESSAGE, withoutNul } from '../accounts/schemas.ts';

/**
 * The browser strategy editor's API: compile a single-file AssemblyScript strategy on the server (the
 * SDK's compiler, in a worker), save it as a new version, and open a version's source again.
 */

/** 256 KiB of UTF-8 at most: a strategy is one file; the database checks the same bound. */
export const MAX_STRATEGY_SOURCE_BYTES = 262_144;

const source = z
  .string()
  .min(1, 'the source is empty')
  .max(MAX_STRATEGY_SOURCE_BYTES)
  .refine((s) => new TextEncoder().encode(s).byteLength <= MAX_STRATEGY_SOURCE_BYTES, 'at most 256 KiB')
  .refine(withoutNul, NUL_MESSAGE);

export const compileStrategyInput = z.strictObject({ source });

/** A compiler message, placed in the user's source when it points there (1-based line/column). */
export const compileProblemSchema = z.strictObject({
  severity: z.enum(['error', 'warning']),
  /** AssemblyScript's diagnostic code (e.g. 2304 "Cannot find name"). */
  code: z.number().int(),
  message: z.string(),
  line: z.number().int().positive().nullable(),
  column: z.number().int().positive().nullable(),
  endLine: z.number().int().positive().nullable(),
  endColumn: z.number().int().positive().nullable(),
  /** The same place as 0-based UTF-16 offsets into the source (what the editor's marks use). */
  from: z.number().int().nonnegative().nullable(),
  to: z.number().int().nonnegative().nullable(),
});
export type CompileProblem = z.infer<typeof compileProblemSchema>;

export const compileResultSchema = z.discriminatedUnion('ok', [
  z.strictObject({
    ok: z.literal(true),
    sizeBytes: z.number().int().positive(),
    sha256: z.string(),
    /** The optional callbacks the module exports (qt_on_trade, ...). */
    callbacks: z.array(z.string()),
    problems: z.array(compileProblemSchema),
    compileMs: z.number().int().nonnegative(),
  }),
  z.strictObject({
    ok: z.literal(false),
    /** The first error, or why the module was refused (e.g. Math.random, over the tier's memory cap). */
    message: z.string(),
    problems: z.array(compileProblemSchema),
    compileMs: z.number().int().nonnegative(),
  }),
]);
export type CompileResultView = z.infer<typeof compileResultSchema>;

export const saveStrategySourceInput = z.strictObject({
  /** A new version of this strategy; its name stays. */
  strategyId: z.uuid(),
  source,
});

export const strategySourceInput = z.strictObject({
  strategyId: z.uuid(),
  /** Defaults to the latest version. */
  version: z.number().int().positive().optional(),
});

export const strategySourceSchema = z.strictObject({
  strategyId: z.uuid(),
  version: z.number().int().positive(),
  /** The AssemblyScript the version was compiled from; null for an uploaded module. */
  source: z.string().nullable(),
});
export type StrategySourceView = z.infer<typeof strategySourceSchema>;
