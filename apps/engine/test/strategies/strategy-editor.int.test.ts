import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { examplesDir } from '@qt/strategy-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { strategyWat, wat } from '../../../../packages/strategy-runtime/test/fixtures/wat.ts';
import { expectAppError } from '../support/expect-app-error.ts';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';

/**
 * The browser editor's API on a real engine: compile on the server (in the compiler's worker thread),
 * problems placed at their line, save as a version with its source, open a version's source again.
 */
describe('strategy editor API', () => {
  let t: TestEngine;
  let token: string;
  let other: string;
  let exampleText: string;
  const client = (tk = token) => t.client(tk);

  beforeAll(async () => {
    t = await startTestEngine({});
    token = (await t.signUp('editor')).token;
    other = (await t.signUp('editor-other')).token;
    exampleText = await readFile(path.join(examplesDir, 'sma-crossover.ts'), 'utf8');
  }, 60_000);
  afterAll(async () => {
    await t?.stop();
  });

  /** The example with one call renamed to a name that does not exist, on a known line. */
  function broken(): { source: string; line: number; column: number } {
    const lines = exampleText.split('\n');
    const index = lines.findIndex(
      (l) => /\bbuy\(/.test(l) && !l.trim().startsWith('//') && !l.includes('import'),
    );
    expect(index).toBeGreaterThan(0);
    const column = (lines[index] as string).search(/\bbuy\(/) + 1;
    lines[index] = (lines[index] as string).replace(/\bbuy\(/, 'buyy(');
    return { source: lines.join('\n'), line: index + 1, column };
  }

  it('an example opens with its source; an error is placed at its line; a fixed source compiles', async () => {
    const s = await client().strategies.createFromExample.mutate({
      name: 'Edited SMA',
      example: 'sma-crossover',
    });
    expect(s.versions[0]).toMatchObject({ version: 1, source: 'example:sma-crossover', hasSource: true });
    const opened = await client().strategies.source.query({ strategyId: s.id });
    expect(opened).toEqual({ strategyId: s.id, version: 1, source: exampleText });

    const bad = broken();
    const failed = await client().strategies.compile.mutate({ source: bad.source });
    expect(failed.ok).toBe(false);
    const error = failed.problems.find((p) => p.severity === 'error');
    expect(error).toMatchObject({ line: bad.line, column: bad.column });
    expect(error?.message).toMatch(/buyy/);
    expect(bad.source.slice(error?.from ?? 0, error?.to ?? 0)).toBe('buyy');
    if (!failed.ok) expect(failed.message).toMatch(new RegExp(`^Line ${bad.line}: `));

    const ok = await client().strategies.compile.mutate({ source: exampleText });
    expect(ok).toMatchObject({ ok: true, problems: [] });
    if (ok.ok) {
      expect(ok.sizeBytes).toBeGreaterThan(1_000);
      expect(ok.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(ok.callbacks.length).toBeGreaterThan(0);
    }
  }, 120_000);

  it('saves a new version only when it compiles, with its source; older versions keep theirs', async () => {
    const s = await client().strategies.createFromExample.mutate({
      name: 'Saved SMA',
      example: 'sma-crossover',
    });
    await expectAppError(
      client().strategies.saveSource.mutate({ strategyId: s.id, source: broken().source }),
      'STRATEGY_COMPILE_FAILED',
    );
    expect((await client().strategies.get.query({ strategyId: s.id })).versions).toHaveLength(1);
    const edited = exampleText.replace(
      '// Moving-average crossover',
      '// Edited in the browser: moving-average crossover',
    );
    const saved = await client().strategies.saveSource.mutate({ strategyId: s.id, source: edited });
    expect(saved.name).toBe('Saved SMA');
    expect(saved.versions[0]).toMatchObject({ version: 2, source: 'editor', hasSource: true });
    expect((await client().strategies.source.query({ strategyId: s.id })).source).toBe(edited);
    expect((await client().strategies.source.query({ strategyId: s.id, version: 1 })).source).toBe(
      exampleText,
    );
    // Another tenant cannot read it (the same answer as for an id that does not exist).
    await expectAppError(client(other).strategies.source.query({ strategyId: s.id }), 'NOT_FOUND');
    await expectAppError(
      client(other).strategies.saveSource.mutate({ strategyId: s.id, source: edited }),
      'NOT_FOUND',
    );
  }, 120_000);

  it('an uploaded module has no source; Math.random is refused with the reason', async () => {
    const up = await client().strategies.upload.mutate({
      name: 'Uploaded',
      wasmBase64: Buffer.from(await wat(strategyWat({}))).toString('base64'),
    });
    expect(up.versions[0]).toMatchObject({ source: 'upload', hasSource: false });
    expect((await client().strategies.source.query({ strategyId: up.id })).source).toBeNull();
    const random = exampleText.replace(
      'export * from',
      'export function noise(): f64 {\n  return Math.random();\n}\nexport * from',
    );
    const refused = await client().strategies.compile.mutate({ source: random });
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.message).toMatch(/Math\.random/);
  }, 120_000);

  it('compiles off the event loop: calls are answered while a compile runs; a second compile of the tenant is refused', async () => {
    // Two compiles of one tenant at once: exactly one runs, the other is refused (not queued behind it).
    const outcomes = await Promise.allSettled([
      client().strategies.compile.mutate({ source: exampleText }),
      client().strategies.compile.mutate({ source: exampleText }),
    ]);
    const refused = outcomes.filter((o) => o.status === 'rejected');
    expect(refused).toHaveLength(1);
    expect(String((refused[0] as PromiseRejectedResult).reason)).toMatch(/still running/);
    expect(outcomes.some((o) => o.status === 'fulfilled' && o.value.ok)).toBe(true);

    // While a compile runs, a list is answered before it ends: on the engine's own thread it would wait.
    const compiling = client().strategies.compile.mutate({
      source: exampleText.replace('quantity', 'quantity '),
    });
    let answeredFirst = false;
    const listed = client()
      .strategies.list.query()
      .then(() => {
        answeredFirst = true;
      });
    const result = await compiling;
    const listedBeforeTheCompileEnded = answeredFirst;
    await listed;
    expect(result.ok).toBe(true);
    expect(listedBeforeTheCompileEnded).toBe(true);
  }, 120_000);

  it('refuses a source over 256 KiB at the boundary', async () => {
    await expectAppError(
      client().strategies.compile.mutate({ source: `${exampleText}\n//${'x'.repeat(262_144)}` }),
      'VALIDATION_FAILED',
    );
  });
});
