import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import asc, { libraryFiles } from 'assemblyscript/asc';
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
 * Compiler flags, one source of truth for examples and user strategies (the editor's compile worker calls
 * compileSource too).
 * - `-O3`: speed first (shrinkLevel 0); the modules stay far below the 1 MiB Free-tier size cap.
 * - `--runtime minimal`: TLSF + a two-colour mark & sweep that runs only when asked. The incremental runtime
 *   (used before) keeps every managed local of every function on a shadow stack so the GC
 *   can run inside any allocation: on the SMA example that bookkeeping was more than half of a callback's
 *   time. Here the SDK collects between callbacks instead (assembly/gc.ts), when the bytes allocated since
 *   the last collection pass an allowance; between callbacks the only roots are globals, so no shadow stack
 *   is needed. Modules built before keep their incremental runtime and run unchanged (the ABI is the same).
 *   The one difference a strategy can see: garbage made inside a single callback is freed after it returns,
 *   so one callback cannot churn through more than its memory cap. `stub` would never free at all.
 * - No initial memory is given: asc sizes it to the static data (the 64 KiB scratch buffer needs 2 pages).
 * - Asserts stay on (no --noAssert): a failed assert traps with a message instead of going on with a bad
 *   value and placing different orders. With the runtime above it makes no difference to the examples'
 *   hot paths (same code either way, checked on the SMA example).
 */
function ascArguments(entry: string, outFile: string, options: CompileOptions): string[] {
  return [
    entry,
    '--outFile',
    outFile,
    '-O3',
    '--runtime',
    'minimal',
    '--maximumMemory',
    String(options.maximumMemoryPages ?? DEFAULT_MAXIMUM_MEMORY_PAGES),
    '--noColors',
    // Paths are resolved against the SDK whatever the process's working directory.
    '--baseDir',
    sdkDir,
  ];
}

/**
 * The minimal runtime counts the bytes of live and not yet collected objects (tcms.ts's `total`) but keeps
 * the count to itself; assembly/gc.ts needs it to decide when to collect. The compiler holds its standard
 * library as text, so one accessor is appended to that file's text before a compile, once per process.
 */
const GC_TOTAL_ACCESSOR = '__qt_gc_total';
function addGcAccounting(): void {
  const file = 'rt/tcms';
  const text = libraryFiles[file];
  if (text === undefined || !/^@lazy let total: usize = 0;$/m.test(text)) {
    // A newer AssemblyScript changed its runtime: fail the build loudly rather than never collect.
    throw new Error(`AssemblyScript's ${file}.ts no longer declares \`total\`; update assembly/gc.ts.`);
  }
  if (text.includes(GC_TOTAL_ACCESSOR)) return;
  libraryFiles[file] =
    `${text}\n// Added by @qt/strategy-sdk (src/compile.ts): bytes held by managed objects, for assembly/gc.ts.\n` +
    `// @ts-ignore: decorator\n@global @unsafe\nexport function ${GC_TOTAL_ACCESSOR}(): usize {\n  return total;\n}\n`;
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
  addGcAccounting();
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
