import type { CompileProblem } from '@qt/shared';
import { describe, expect, it } from 'vitest';
import { problemMarks, problemPlace } from './editor-diagnostics';

const problem = (over: Partial<CompileProblem>): CompileProblem => ({
  severity: 'error',
  code: 2304,
  message: "Cannot find name 'x'.",
  line: 2,
  column: 3,
  endLine: 2,
  endColumn: 4,
  from: 10,
  to: 11,
  ...over,
});

describe('problemMarks', () => {
  it('keeps in-range marks, clamps stale ones, widens empty ones, puts SDK problems at the start', () => {
    expect(problemMarks([problem({})], 100)).toEqual([
      { from: 10, to: 11, severity: 'error', message: "Cannot find name 'x'. [AS2304]" },
    ]);
    // The document shrank since the compile: clamped to its end (empty at the very end).
    expect(problemMarks([problem({ from: 50, to: 60 })], 20)[0]).toMatchObject({ from: 20, to: 20 });
    expect(problemMarks([problem({ from: 5, to: 5 })], 20)[0]).toMatchObject({ from: 5, to: 6 });
    const sdk = problemMarks(
      [problem({ line: null, column: null, from: null, to: null, severity: 'warning' })],
      20,
    );
    expect(sdk[0]).toEqual({
      from: 0,
      to: 1,
      severity: 'warning',
      message: "(in the SDK) Cannot find name 'x'. [AS2304]",
    });
  });

  it('describes places for the problem list', () => {
    expect(problemPlace(problem({}))).toBe('Line 2, column 3');
    expect(problemPlace(problem({ line: null, column: null }))).toBe('SDK');
  });
});
