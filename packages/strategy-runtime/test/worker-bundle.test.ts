import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleWorker, workerEntry } from '../src/worker-bundle.ts';

const FIXTURE = new URL('./fixtures/worker-bundle/entry.ts', import.meta.url);
const TSX_BOOT = new URL('../src/worker/boot.mjs', import.meta.url);

/** Starts a worker the way the sandbox does and returns its first message. */
function firstMessage(url: URL): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(url, { env: {}, resourceLimits: { maxOldGenerationSizeMb: 64 } });
    worker.once('message', (m) => {
      resolve(m);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

let scratch: string;
let cacheDir: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'qt-worker-bundle-test-'));
  cacheDir = join(scratch, 'cache');
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('worker bundles', () => {
  it('bundles a TypeScript worker into one file that a worker with an empty env loads', async () => {
    const bundle = await bundleWorker(FIXTURE, cacheDir);
    expect(bundle.reused).toBe(false);
    expect(bundle.url.pathname.endsWith('.mjs')).toBe(true);
    const code = await readFile(bundle.url, 'utf8');
    // The workspace files are inside; CommonJS packages are imported where Node would find them.
    expect(code).not.toMatch(/from ["'][^"']*\.ts["']/);
    expect(code).toMatch(/from "file:\/\/\/[^"]*\/node_modules\/wabt\//);
    expect(await firstMessage(bundle.url)).toEqual({
      doubled: 42,
      here: new URL('./fixtures/worker-bundle/dep.ts', import.meta.url).href,
      external: 'function',
      used: 'used',
      unusedLoaded: false,
      envKeys: 0,
    });
  });

  it('leaves out a workspace module none of whose exports the worker uses', async () => {
    const bundle = await bundleWorker(FIXTURE, cacheDir);
    expect(await readFile(bundle.url, 'utf8')).not.toContain('unusedLoaded = true');
  });

  it('reuses a bundle while its sources are unchanged and rebuilds it when one changes', async () => {
    const dir = join(scratch, 'editable');
    await mkdir(dir, { recursive: true });
    const entry = pathToFileURL(join(dir, 'entry.ts'));
    await writeFile(
      join(dir, 'entry.ts'),
      "import { parentPort } from 'node:worker_threads';\nimport { value } from './value.ts';\nparentPort?.postMessage(value);\n",
    );
    await writeFile(join(dir, 'value.ts'), 'export const value: number = 1;\n');

    const first = await bundleWorker(entry, cacheDir);
    const again = await bundleWorker(entry, cacheDir);
    expect(first.reused).toBe(false);
    expect(again).toEqual({ url: first.url, reused: true });
    expect(await firstMessage(again.url)).toBe(1);

    await writeFile(join(dir, 'value.ts'), 'export const value: number = 2;\n');
    const edited = await bundleWorker(entry, cacheDir);
    expect(edited.reused).toBe(false);
    expect(edited.url.href).not.toBe(first.url.href);
    expect(await firstMessage(edited.url)).toBe(2);
  });

  it('refuses to bundle a bare import of a workspace module, which the bundle would leave out', async () => {
    const dir = join(scratch, 'bare-import');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'entry.ts'), "import './setup.ts';\n");
    await writeFile(join(dir, 'setup.ts'), '(globalThis as { ready?: boolean }).ready = true;\n');
    await expect(bundleWorker(pathToFileURL(join(dir, 'entry.ts')), cacheDir)).rejects.toThrow(
      /entry\.ts:1 imports a workspace module for its side effects only/,
    );
  });

  it('refuses a cache directory that others can write to', async () => {
    const open = join(scratch, 'open-cache');
    await mkdir(open, { recursive: true });
    await chmod(open, 0o777);
    await expect(bundleWorker(FIXTURE, open)).rejects.toThrow(/not a directory only this user can write to/);
  });

  it('falls back to the tsx boot, saying why once, when the worker cannot be bundled', async () => {
    const dir = join(scratch, 'broken');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'entry.ts'), 'export const broken = ;\n');
    const source = pathToFileURL(join(dir, 'entry.ts'));
    const reasons: string[] = [];
    const options = { fallback: TSX_BOOT, cacheDir, onFallback: (r: string) => reasons.push(r) };
    expect((await workerEntry(source, options)).href).toBe(TSX_BOOT.href);
    expect((await workerEntry(source, options)).href).toBe(TSX_BOOT.href);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(/Could not bundle the worker .*broken\/entry\.ts .*Unexpected ";"/s);
  });

  it('bundles the sandbox worker itself', async () => {
    const reasons: string[] = [];
    const url = await workerEntry(new URL('../src/worker/sandbox-worker.ts', import.meta.url), {
      fallback: TSX_BOOT,
      cacheDir,
      onFallback: (r) => reasons.push(r),
    });
    expect(reasons).toEqual([]);
    expect(url.href.startsWith(pathToFileURL(cacheDir).href)).toBe(true);
    // One file: the runtime, @qt/shared, @qt/indicators and zod (an ES module package) are all inside.
    const imports = [...(await readFile(url, 'utf8')).matchAll(/(?:from|import\() *"([^"]+)"/g)].map(
      (m) => m[1],
    );
    expect(imports).toEqual(['node:worker_threads']);
  });
});
