import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  AppError,
  type CompileResultView,
  type StrategyScope,
  type StrategySourceView,
  type StrategyView,
} from '@qt/shared';
import { isStrategyValidationError, TIER_LIMITS, validateStrategyModule } from '@qt/strategy-runtime';
import { examplesDir } from '@qt/strategy-sdk';
import type { StrategyStore } from '../strategy-store.ts';
import { toProblems } from './diagnostic-lines.ts';
import type { StrategyCompiler } from './strategy-compiler.ts';

/**
 * The browser editor's server side: compile (answers the compiler's problems, placed in the source),
 * save as a new version (only a source that compiles and passes the same module checks as an upload),
 * and open a version's source. Compiled with the tier's memory cap as the module's maximum, so a module
 * saved here always runs on the tier that saved it.
 */
export class StrategyEditor {
  constructor(
    private readonly o: {
      store: StrategyStore;
      compiler: StrategyCompiler;
    },
  ) {}

  async compile(scope: StrategyScope, source: string): Promise<CompileResultView> {
    const built = await this.#build(scope, source);
    const compileMs = built.compileMs;
    if (!built.ok) return { ok: false, message: built.message, problems: built.problems, compileMs };
    return {
      ok: true,
      sizeBytes: built.wasm.byteLength,
      sha256: createHash('sha256').update(built.wasm).digest('hex'),
      callbacks: built.callbacks,
      problems: built.problems,
      compileMs,
    };
  }

  /** A new version of the tenant's strategy from `source`; STRATEGY_COMPILE_FAILED with the problems if not. */
  async save(scope: StrategyScope, strategyId: string, source: string): Promise<StrategyView> {
    const strategy = await this.o.store.get(scope.tenantId, strategyId);
    const built = await this.#build(scope, source);
    if (!built.ok)
      throw new AppError('STRATEGY_COMPILE_FAILED', built.message, { problems: built.problems.slice(0, 20) });
    return this.o.store.addVersion(
      scope.tenantId,
      { name: strategy.name },
      {
        wasm: built.wasm,
        source: 'editor',
        sourceCode: source,
        callbacks: built.callbacks,
        memoryPages: built.memoryPages,
      },
    );
  }

  async source(scope: StrategyScope, strategyId: string, version?: number): Promise<StrategySourceView> {
    const found = await this.o.store.sourceOf(scope.tenantId, strategyId, version);
    return { strategyId, version: found.version, source: found.source };
  }

  async #build(scope: StrategyScope, source: string) {
    const limits = TIER_LIMITS[scope.tier];
    const outcome = await this.o.compiler.compile(scope.tenantId, source, limits.memoryPages);
    const problems = toProblems(source, outcome.ok ? [] : outcome.diagnostics);
    if (!outcome.ok) {
      const first = problems.find((p) => p.severity === 'error');
      const message = first
        ? `${first.line ? `Line ${first.line}: ` : ''}${first.message}`
        : outcome.message.split('\n').slice(0, 3).join(' ');
      return { ok: false as const, message, problems, compileMs: outcome.compileMs };
    }
    try {
      const validated = validateStrategyModule(outcome.wasm, limits);
      return {
        ok: true as const,
        wasm: outcome.wasm,
        callbacks: validated.callbacks,
        memoryPages: validated.memory.maximumPages,
        problems,
        compileMs: outcome.compileMs,
      };
    } catch (err) {
      if (isStrategyValidationError(err))
        return { ok: false as const, message: err.message, problems, compileMs: outcome.compileMs };
      throw err;
    }
  }
}

/** The example's AssemblyScript as shipped with the SDK: what "open in editor" shows for its versions. */
export function exampleSource(name: string): Promise<string> {
  return readFile(path.join(examplesDir, `${name}.ts`), 'utf8');
}
