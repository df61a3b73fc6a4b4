import { createHash } from 'node:crypto';
import { lstat, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Loader, OnResolveResult, Plugin } from 'esbuild';

/**
 * Worker threads started from one plain JavaScript file instead of TypeScript through tsx.
 *
 * Node 20 cannot load TypeScript, so a worker on our sources has to register tsx's loader first, and
 * Node 20 runs loader hooks on an extra thread per worker: ~0.7 s to boot a worker and ~40 ms for
 * `terminate()`, which is most of what a runaway strategy costs past its budget. A bundle has no
 * loader: it boots in tens of milliseconds and terminates in a few.
 *
 * Built at run time on first use rather than by a build step: the packages export their TypeScript
 * sources and run without one, so a build-time artifact would silently go stale in development, while
 * checking the cached bundle against its sources costs a few milliseconds once per process. The cache
 * key is a hash of every bundled file's content, so an edit anywhere under the entry rebuilds it.
 *
 * What is bundled: the entry, every workspace file it reaches (what Node could not load by itself) and
 * the ES modules of packages. CommonJS packages stay external, imported by absolute file URL, so the
 * bundle may live anywhere and loads the very files Node would have loaded. `import.meta.url` (and `dirname`,
 * `filename`) keep meaning the original source file, so code that finds files next to itself still
 * does.
 *
 * Workspace modules are taken as free of import side effects (none of ours is imported for one): a
 * module none of whose exports the worker uses is left out, with what it imports. That is what keeps
 * the Prisma client out of the backtest worker (it imports `@qt/db` for the pg pool) and halves its
 * boot. A bare `import './x.ts'` of a workspace module would be dropped by that rule, so it fails the
 * build instead (and the worker starts through tsx, with the reason logged).
 */

/** Bump when the build options below change: bundles made with the old ones are then never reused. */
const FORMAT = 3;

export interface WorkerEntryOptions {
  /** The worker's plain-JS boot that registers tsx's loader: used when the bundle cannot be built. */
  fallback: URL;
  /** Told, once per process and entry, why the fallback is used. Default: `console.warn`. */
  onFallback?: (reason: string) => void;
  /** Where bundles are kept. Default: a directory of this user's under `os.tmpdir()`. */
  cacheDir?: string;
  /**
   * Packages kept out of the bundle even though they are ES modules (imported by file URL, as CommonJS
   * ones are): large packages the worker loads as they are, e.g. the AssemblyScript compiler (~20 MB of
   * JavaScript that esbuild would only copy, at the cost of a slow first build).
   */
  externalPackages?: readonly string[];
}

export interface WorkerBundle {
  url: URL;
  /** False when this call built it; true when a bundle of the same sources was already on disk. */
  reused: boolean;
}

const entries = new Map<string, Promise<URL>>();

/**
 * The URL to start a worker of `source` (a TypeScript module) from: its bundle, built on first use, or
 * `fallback` when bundling fails. Memoised per process: every worker after the first gets it at once.
 */
export function workerEntry(source: URL, o: WorkerEntryOptions): Promise<URL> {
  const cacheDir = o.cacheDir ?? defaultCacheDir();
  const external = [...(o.externalPackages ?? [])].sort();
  const key = `${source.href}\0${cacheDir}\0${o.fallback.href}\0${external.join(',')}`;
  let entry = entries.get(key);
  if (entry === undefined) {
    entry = bundleWorker(source, cacheDir, external).then(
      (b) => b.url,
      (err: unknown) => {
        // stderr, not console.warn: the SDK typechecks this file against AssemblyScript's own `console`.
        const warn = o.onFallback ?? ((reason: string) => void process.stderr.write(`${reason}\n`));
        warn(
          `Could not bundle the worker ${fileURLToPath(source)} (${err instanceof Error ? err.message : String(err)}); ` +
            'starting it through tsx instead, which is slower to boot and to stop.',
        );
        return o.fallback;
      },
    );
    entries.set(key, entry);
  }
  return entry;
}

/** Bundles `source` into `cacheDir`, or finds the bundle of the same sources already there. */
export async function bundleWorker(
  source: URL,
  cacheDir: string,
  externalPackages: readonly string[] = [],
): Promise<WorkerBundle> {
  const esbuild = await import('esbuild');
  const entry = fileURLToPath(source);
  await ownDirectory(cacheDir);
  const dir = join(
    cacheDir,
    `${basename(entry, extname(entry))}-${digest(`${FORMAT}\0${esbuild.version}\0${entry}\0${externalPackages.join(',')}`).slice(0, 16)}`,
  );
  const manifestPath = join(dir, 'manifest.json');
  const previous = await readManifest(manifestPath);
  if (previous !== null) {
    const fp = await fingerprint(previous);
    const url = fp === null ? null : await existing(join(dir, `${fp}.mjs`));
    if (url !== null) return { url, reused: true };
  }

  const hashes = new Map<string, string>();
  const externals = new Set<string>();
  const workDir = dirname(entry);
  const result = await esbuild.build({
    entryPoints: [entry],
    absWorkingDir: workDir,
    bundle: true,
    write: false,
    metafile: true,
    format: 'esm',
    platform: 'node',
    target: `node${process.versions.node}`,
    // As Node resolves: "main" only, and no "module" condition (esbuild adds it unless told otherwise).
    mainFields: ['main'],
    conditions: [],
    logLevel: 'silent',
    plugins: [sourcesOnly(hashes, externals, externalPackages)],
  });
  const dropped = result.warnings.find((w) => w.id === 'ignored-bare-import');
  if (dropped !== undefined) {
    throw new Error(
      `${dropped.location?.file ?? 'a module'}:${dropped.location?.line ?? 0} imports a workspace module ` +
        'for its side effects only, which the bundle would leave out',
    );
  }
  const output = result.outputFiles[0];
  if (output === undefined) throw new Error('esbuild produced no output');
  const inputs: Input[] = [];
  for (const rel of Object.keys(result.metafile.inputs)) {
    const path = resolve(workDir, rel);
    // Inputs esbuild loaded itself (JSON, text) are hashed now; the scripts, as they were read.
    inputs.push({ path, hash: hashes.get(path) ?? digest(await readFile(path)) });
  }
  const manifest: Manifest = {
    inputs: inputs.map((i) => i.path).sort(),
    externals: [...externals].sort(),
  };
  const fp = fingerprintOf(inputs, manifest.externals);
  const bundlePath = join(dir, `${fp}.mjs`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // The bundle first, then the manifest that points at it: a reader never sees one without the other.
  await writeAtomically(bundlePath, output.contents);
  await writeAtomically(manifestPath, JSON.stringify(manifest));
  return { url: pathToFileURL(bundlePath), reused: false };
}

interface Manifest {
  inputs: string[];
  externals: string[];
}

interface Input {
  path: string;
  hash: string;
}

const RESOLVING = Symbol('resolving');
const LOADERS: Record<string, Loader> = {
  '.ts': 'ts',
  '.mts': 'ts',
  '.cts': 'ts',
  '.tsx': 'tsx',
  '.jsx': 'jsx',
};

function sourcesOnly(
  hashes: Map<string, string>,
  externals: Set<string>,
  externalPackages: readonly string[],
): Plugin {
  const packageTypes = new Map<string, boolean>();
  const keptOut = externalPackages.map(
    (name) => `${sep}node_modules${sep}${name.split('/').join(sep)}${sep}`,
  );
  return {
    name: 'qt-worker-sources',
    setup(build) {
      build.onResolve({ filter: /.*/ }, async (args): Promise<OnResolveResult | undefined> => {
        if (args.pluginData === RESOLVING || args.kind === 'entry-point' || isBuiltin(args.path))
          return undefined;
        const found = await build.resolve(args.path, {
          kind: args.kind,
          importer: args.importer,
          resolveDir: args.resolveDir,
          pluginData: RESOLVING,
        });
        if (found.errors.length > 0) {
          // A package's import of an optional package that is not installed (a platform binary, say):
          // left for Node, which fails the same way if it is ever reached. Ours must resolve.
          if (inPackage(args.importer)) return { path: args.path, external: true };
          return { errors: found.errors };
        }
        if (found.external) return found;
        if (!inPackage(found.path)) return { ...found, sideEffects: false };
        if (!keptOut.some((dir) => found.path.includes(dir)) && (await bundlable(found.path, packageTypes)))
          return found;
        externals.add(found.path);
        return { path: pathToFileURL(found.path).href, external: true };
      });
      build.onLoad({ filter: /\.[cm]?[jt]sx?$/ }, async (args) => {
        const bytes = await readFile(args.path);
        hashes.set(args.path, digest(bytes));
        return {
          contents: pinImportMeta(bytes.toString('utf8'), args.path),
          loader: LOADERS[extname(args.path)] ?? 'js',
        };
      });
    },
  };
}

/**
 * Whether a file of a package joins the bundle: ES modules and JSON do (bundled, zod's hundred-odd
 * modules load in half the time they take as separate files); CommonJS stays external, as a bundle
 * would turn its `require` of built-ins and its `__dirname` into failures at run time.
 */
async function bundlable(path: string, packageTypes: Map<string, boolean>): Promise<boolean> {
  const ext = extname(path);
  if (ext === '.mjs' || ext === '.json') return true;
  if (ext !== '.js') return false;
  // As Node decides: the "type" of the nearest package.json.
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    const known = packageTypes.get(dir);
    if (known !== undefined) return known;
    const pkg = await readFile(join(dir, 'package.json'), 'utf8').catch(() => null);
    if (pkg !== null) {
      const esm = (JSON.parse(pkg) as { type?: unknown }).type === 'module';
      packageTypes.set(dir, esm);
      return esm;
    }
    if (dirname(dir) === dir) return false;
  }
}

function inPackage(path: string): boolean {
  return path.split(sep).includes('node_modules');
}

/** Inside a bundle `import.meta` is the bundle's: give each module back its own location. */
function pinImportMeta(code: string, path: string): string {
  return code.replace(/\bimport\.meta\.(url|dirname|filename)\b/g, (_, what: string) =>
    JSON.stringify(what === 'url' ? pathToFileURL(path).href : what === 'dirname' ? dirname(path) : path),
  );
}

async function readManifest(path: string): Promise<Manifest | null> {
  try {
    const m = JSON.parse(await readFile(path, 'utf8')) as Partial<Manifest>;
    if (!Array.isArray(m.inputs) || !Array.isArray(m.externals)) return null;
    if (![...m.inputs, ...m.externals].every((p) => typeof p === 'string')) return null;
    return { inputs: m.inputs, externals: m.externals };
  } catch {
    return null;
  }
}

/** The fingerprint of the sources a manifest names as they are now; null when one is gone. */
async function fingerprint(m: Manifest): Promise<string | null> {
  try {
    const inputs = await Promise.all(
      m.inputs.map(async (path) => ({ path, hash: digest(await readFile(path)) })),
    );
    await Promise.all(m.externals.map((path) => stat(path)));
    return fingerprintOf(inputs, m.externals);
  } catch {
    return null;
  }
}

function fingerprintOf(inputs: readonly Input[], externals: readonly string[]): string {
  const h = createHash('sha256');
  for (const i of [...inputs].sort((a, b) => (a.path < b.path ? -1 : 1))) h.update(`${i.path}\0${i.hash}\n`);
  for (const e of externals) h.update(`external ${e}\n`);
  return h.digest('hex').slice(0, 32);
}

async function existing(path: string): Promise<URL | null> {
  try {
    await stat(path);
    return pathToFileURL(path);
  } catch {
    return null;
  }
}

async function writeAtomically(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(tmp, data, { mode: 0o600 });
  await rename(tmp, path);
}

function defaultCacheDir(): string {
  return join(tmpdir(), `qt-worker-bundles-${process.getuid?.() ?? 'user'}`);
}

/**
 * The workers run what is in this directory, so it must be ours alone: in a shared temp directory,
 * someone else's directory (or a link to one) could hold a planted bundle.
 */
async function ownDirectory(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o700 });
  const s = await lstat(path);
  const uid = process.getuid?.();
  if (!s.isDirectory() || (uid !== undefined && s.uid !== uid) || (s.mode & 0o022) !== 0) {
    throw new Error(`${path} is not a directory only this user can write to`);
  }
}

function digest(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
