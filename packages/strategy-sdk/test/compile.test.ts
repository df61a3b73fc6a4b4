import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { buildExample, compileStrategy, StrategyCompileError, UnknownExampleError } from '../src/index.ts';
import { readModuleShape } from '../src/wasm-shape.ts';

const minimal = `
import { Strategy, register } from "@qt/strategy-sdk";
export * from "@qt/strategy-sdk/exports";
class Nothing extends Strategy {}
register(new Nothing());
`;

describe('compileStrategy', { timeout: 180_000 }, () => {
  it('compiles a single-file strategy against the SDK with the requested memory cap', async () => {
    const binary = await compileStrategy(minimal, { maximumMemoryPages: 1024 });
    expect(readModuleShape(binary).memory?.maximum).toBe(1024);
  });

  it('reports compiler diagnostics with their position in the user file', async () => {
    const error = await compileStrategy(`${minimal}\nconst x: i32 = undefinedThing;\n`).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StrategyCompileError);
    const diagnostics = (error as StrategyCompileError).diagnostics;
    expect(
      diagnostics.some((d) => d.category === 'error' && d.file === 'strategy.ts' && d.code === 2304),
    ).toBe(true);
    expect((error as Error).message).toMatch(/undefinedThing/);
  });

  it('refuses Math.random and says why', async () => {
    const source = `${minimal}\nexport function qt_noise(): f64 { return Math.random(); }\n`;
    await expect(compileStrategy(source)).rejects.toThrow(/Math\.random.*deterministic/s);
  });

  it('cannot read files outside the entry and the SDK', async () => {
    await expect(compileStrategy(`import "../../package.json";\n${minimal}`)).rejects.toThrow(/not found/);
    await expect(compileStrategy(`import "@qt/strategy-sdk/../src/index";\n${minimal}`)).rejects.toThrow(
      /not found/,
    );
  });
});

describe('docs/strategy-abi.md', { timeout: 180_000 }, () => {
  it('shows an AssemblyScript example that compiles against the SDK', async () => {
    const doc = await readFile(new URL('../../../docs/strategy-abi.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('## Writing a strategy in AssemblyScript'));
    const example = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    expect(example).toMatch(/register\(new /);
    const shape = readModuleShape(await compileStrategy(example ?? ''));
    expect([...shape.exportedFunctions.keys()]).toContain('qt_on_candle');
  });
});

describe('buildExample', () => {
  it('rejects an unknown example by name', async () => {
    await expect(buildExample('nope')).rejects.toThrow(UnknownExampleError);
  });
});
