import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '@qt/shared';
import { examplesDir } from '@qt/strategy-sdk';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { toProblems } from '../../src/strategies/compile/diagnostic-lines.ts';
import { StrategyCompiler } from '../../src/strategies/compile/strategy-compiler.ts';

const logger = pino({ level: 'silent' });
const codeOf = (err: unknown) => (err instanceof AppError ? err.code : String(err));

describe('toProblems', () => {
  const source = 'let a = 1;\nlet b = é + x;\r\nlast';
  it('places entry diagnostics at 1-based line/column and keeps offsets; others keep their message only', () => {
    const at = source.indexOf('x');
    const problems = toProblems(source, [
      {
        code: 2304,
        category: 'error',
        message: "Cannot find name 'x'.",
        file: 'strategy.ts',
        start: at,
        end: at + 1,
      },
      { code: 1, category: 'warning', message: 'in the SDK', file: '~lib/x.ts', start: 3, end: 4 },
      { code: 2, category: 'info', message: 'dropped', file: 'strategy.ts', start: 0, end: 1 },
      { code: 3, category: 'error', message: 'past the end', file: 'strategy.ts', start: 999, end: 1_005 },
    ]);
    expect(problems).toHaveLength(3);
    expect(problems[0]).toEqual({
      severity: 'error',
      code: 2304,
      message: "Cannot find name 'x'.",
      line: 2,
      column: 13,
      endLine: 2,
      endColumn: 14,
      from: at,
      to: at + 1,
    });
    expect(problems[1]).toMatchObject({ severity: 'warning', line: null, column: null, from: null });
    // Clamped into the source: the last line's end.
    expect(problems[2]).toMatchObject({ line: 3, column: 5, from: source.length, to: source.length });
  });
});

describe('StrategyCompiler bounds', () => {
  it('one compile per tenant at a time, a bounded queue, and a compile past its time limit is stopped', async () => {
    const source = await readFile(path.join(examplesDir, 'sma-crossover.ts'), 'utf8');
    // 1 ms: no compile fits (the worker's boot is not charged to it, so it is not what runs past).
    const compiler = new StrategyCompiler({ logger, timeoutMs: 1, maxQueued: 1 });
    try {
      const first = compiler.compile('t1', source, 256).catch((e: unknown) => e);
      const queued = compiler.compile('t2', source, 256).catch((e: unknown) => e);
      expect(codeOf(await compiler.compile('t1', source, 256).catch((e: unknown) => e))).toBe(
        'STRATEGY_COMPILER_BUSY',
      );
      expect(codeOf(await compiler.compile('t3', source, 256).catch((e: unknown) => e))).toBe(
        'STRATEGY_COMPILER_BUSY',
      );
      const timedOut = await first;
      expect(codeOf(timedOut)).toBe('STRATEGY_COMPILE_FAILED');
      expect((timedOut as Error).message).toMatch(/longer than/);
      // The queued one then runs on a fresh worker (and also meets the short limit).
      expect(codeOf(await queued)).toBe('STRATEGY_COMPILE_FAILED');
      expect(compiler.pending).toBe(0);
      // A tenant whose compile ran past the limit waits before the next one.
      const cooling = await compiler.compile('t1', source, 256).catch((e: unknown) => e);
      expect(codeOf(cooling)).toBe('STRATEGY_COMPILER_BUSY');
      expect((cooling as Error).message).toMatch(/time limit/);
    } finally {
      await compiler.stop();
    }
    expect(codeOf(await compiler.compile('t1', source, 256).catch((e: unknown) => e))).toBe(
      'SERVICE_UNAVAILABLE',
    );
  }, 60_000);

  it('compiles in the worker, answers diagnostics, and ends an idle worker', async () => {
    const source = await readFile(path.join(examplesDir, 'sma-crossover.ts'), 'utf8');
    const compiler = new StrategyCompiler({ logger, idleMs: 200 });
    try {
      const ok = await compiler.compile('t1', source, 256);
      expect(ok.ok).toBe(true);
      if (ok.ok) expect([...ok.wasm.subarray(0, 4)]).toEqual([0, 0x61, 0x73, 0x6d]);
      const bad = await compiler.compile('t1', `${source}\nlet broken: i32 = "text";\n`, 256);
      expect(bad.ok).toBe(false);
      if (!bad.ok)
        expect(bad.diagnostics.some((d) => d.category === 'error' && d.file === 'strategy.ts')).toBe(true);
      expect(compiler.hasWorker).toBe(true);
      await expect.poll(() => compiler.hasWorker, { timeout: 5_000 }).toBe(false);
      // The next compile starts a new one.
      expect((await compiler.compile('t2', source, 256)).ok).toBe(true);
    } finally {
      await compiler.stop();
    }
  }, 120_000);
});
