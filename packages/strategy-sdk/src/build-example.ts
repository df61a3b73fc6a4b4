import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { assemblyDir, compileSource, sdkDir } from './compile.ts';
import { UnknownExampleError } from './errors.ts';
import { exampleNames } from './examples.ts';

export const examplesDir = path.join(sdkDir, 'examples');
export const buildDir = path.join(sdkDir, 'build');

export function exampleWasmPath(name: string): string {
  return path.join(buildDir, `${name}.wasm`);
}

async function mtimeOrZero(file: string): Promise<number> {
  return stat(file).then(
    (s) => s.mtimeMs,
    () => 0,
  );
}

async function newestSourceMtime(name: string): Promise<number> {
  const sdkFiles = (await readdir(assemblyDir)).filter((f) => f.endsWith('.ts'));
  const times = await Promise.all([
    mtimeOrZero(path.join(examplesDir, `${name}.ts`)),
    mtimeOrZero(path.join(sdkDir, 'src', 'compile.ts')),
    ...sdkFiles.map((f) => mtimeOrZero(path.join(assemblyDir, f))),
  ]);
  return Math.max(...times);
}

/** Compiles examples/<name>.ts to build/<name>.wasm unconditionally; returns the bytes. */
export async function compileExample(name: string): Promise<Uint8Array> {
  if (!exampleNames.includes(name)) throw new UnknownExampleError(name, exampleNames);
  const source = await readFile(path.join(examplesDir, `${name}.ts`), 'utf8');
  const binary = await compileSource(path.join('examples', `${name}.ts`), source);
  await mkdir(buildDir, { recursive: true });
  // Write then rename, so a concurrent reader (another test worker) never sees a half-written file.
  const target = exampleWasmPath(name);
  const temporary = `${target}.${process.pid}.tmp`;
  await writeFile(temporary, binary);
  await rename(temporary, target);
  return binary;
}

/** The example's .wasm, compiled first if it is missing or older than its sources or the SDK. */
export async function buildExample(name: string): Promise<Uint8Array> {
  if (!exampleNames.includes(name)) throw new UnknownExampleError(name, exampleNames);
  const built = await mtimeOrZero(exampleWasmPath(name));
  if (built > 0 && built >= (await newestSourceMtime(name))) {
    return new Uint8Array(await readFile(exampleWasmPath(name)));
  }
  return compileExample(name);
}
