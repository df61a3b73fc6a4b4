import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';
import { type CompileDiagnostic, StrategyCompileError } from './errors.ts';
import { readModuleShape } from './wasm-shape.ts';

export const sdkDir = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
export const assemblyDir = path.join(sdkDir, 'assembly');

/** 64 KiB WebAssembly pages: 256 = 16 MiB, the Free tier cap, so a module built here runs on every tier. */
export const DEFAULT_MAXIMUM_MEMORY_PAGES = 256;

export interface CompileOptions {
  /** The module's declared maximum memory in 64 KiB pages; the host refuses modules above the tier's cap. */
  maximumMemoryPages?: number;
}

/**
 * Compiler flags, one source of truth for examples and user strategies.
 * - `-O3`: speed first (shrinkLevel 0); the modules stay far below the 1 MiB Free-tier size cap.
 * - `--runtime incremental`: strategies run for months; the incremental GC reclaims garbage during
 *   allocation without the host's help. `minimal` needs the host to call an exported __collect (not in the
 *   ABI), and `stub` never frees, so a strategy that allocates a string per log line would eventually hit
 *   its memory cap. Allocation-free hot paths (the SDK reuses its event objects) never trigger the GC.
 * - No initial memory is given: asc sizes it to the static data (the 64 KiB scratch buffer needs 2 pages).
 * - Asserts stay on (no --noAssert): a failed assert traps with a message instead of corrupting state.
 */
function ascArguments(entry: string, outFile: string, options: CompileOptions): string[] {
  return [
    entry,
    '--outFile',
    outFile,
    '-O3',
    '--runtime',
    'incremental',
    '--maximumMemory',
    String(options.maximumMemoryPages ?? DEFAULT_MAXIMUM_MEMORY_PAGES),
    '--noColors',
    // Paths are resolved against the SDK whatever the process's working directory.
    '--baseDir',
    sdkDir,
  ];
}

// The compiler resolves `import ... from "@qt/strategy-sdk"` by looking for
// node_modules/@qt/strategy-sdk/index.ts in the ancestors of the entry; this maps every such lookup to
// this package's assembly/ folder, so strategies import the SDK by name wherever they are compiled from.
const SDK_LOOKUP = `${path.sep}node_modules${path.sep}@qt${path.sep}strategy-sdk${path.sep}`;

const categories = ['pedantic', 'info', 'warning', 'error'] as const;

/**
 * Compiles one AssemblyScript entry file (given as text) against the SDK. Only the entry and the SDK can be
 * read: a user's source cannot import files from the server's disk.
 */
export async function compileSource(
  fileName: string,
  sourceText: string,
  options: CompileOptions = {},
): Promise<Uint8Array> {
  const entryPath = path.join(sdkDir, fileName);
  const outFile = 'strategy.wasm';
  let binary: Uint8Array | null = null;
  const diagnostics: CompileDiagnostic[] = [];
  const stderr: string[] = [];
  const result = await asc.main(ascArguments(fileName, outFile, options), {
    readFile: async (name, baseDir) => {
      const absolute = path.resolve(baseDir, name);
      if (absolute === entryPath) return sourceText;
      const at = absolute.lastIndexOf(SDK_LOOKUP);
      if (at < 0) return null;
      const relative = absolute.slice(at + SDK_LOOKUP.length);
      const target = path.resolve(assemblyDir, relative);
      if (!target.startsWith(assemblyDir + path.sep)) return null;
      return readFile(target, 'utf8').catch(() => null);
    },
    writeFile: (name, contents) => {
      if (name === outFile && typeof contents !== 'string') binary = contents;
    },
    listFiles: () => null,
    stdout: { write: () => {} },
    stderr: {
      write: (chunk) => void stderr.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString()),
    },
    reportDiagnostic: (d) => {
      diagnostics.push({
        code: d.code,
        category: categories[d.category] ?? 'error',
        message: d.message,
        file: d.range?.source.normalizedPath ?? null,
        start: d.range?.start ?? null,
        end: d.range?.end ?? null,
      });
    },
  });
  if (result.error || binary === null) {
    const text = stderr.join('').trim() || result.error?.message || 'the compiler produced no binary';
    throw new StrategyCompileError(`The strategy did not compile:\n${text}`, diagnostics);
  }
  const bytes: Uint8Array = binary;
  rejectNondeterminism(bytes, diagnostics);
  return bytes;
}

/** Math.random imports env.seed, which the host refuses; say why here, where the user can fix it. */
function rejectNondeterminism(binary: Uint8Array, diagnostics: CompileDiagnostic[]): void {
  if (readModuleShape(binary).importedFunctions.has('env.seed')) {
    throw new StrategyCompileError(
      'The strategy uses Math.random, which the sandbox does not provide: strategies must be deterministic ' +
        'so that backtests and replays give the same result. Derive randomness from a seed parameter instead.',
      diagnostics,
    );
  }
}
