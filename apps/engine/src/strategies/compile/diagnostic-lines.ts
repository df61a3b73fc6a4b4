import type { CompileProblem } from '@qt/shared';
import type { CompileDiagnostic } from '@qt/strategy-sdk';

/** The entry's file name as the compiler reports it (see compileStrategy). */
const ENTRY = 'strategy.ts';

/**
 * The compiler's diagnostics as the editor shows them: 1-based line and column in the user's source for
 * those that point into it; the rest (in the SDK, or without a place) keep only their message. Offsets
 * are UTF-16 code units, as in the compiler and in the browser's editor, so no conversion is needed
 * beyond counting line breaks.
 */
export function toProblems(source: string, diagnostics: readonly CompileDiagnostic[]): CompileProblem[] {
  const lineStarts = [0];
  for (let i = 0; i < source.length; i++) if (source.charCodeAt(i) === 10) lineStarts.push(i + 1);
  const place = (offset: number) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((lineStarts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (lineStarts[lo] as number) + 1 };
  };
  return diagnostics
    .filter((d) => d.category === 'error' || d.category === 'warning')
    .slice(0, 100)
    .map((d) => {
      // Exactly the entry: the SDK has a strategy.ts of its own (`~lib/@qt/strategy-sdk/strategy.ts`).
      const inEntry = d.file === ENTRY && d.start !== null;
      const start = inEntry ? Math.min(Math.max(0, d.start as number), source.length) : null;
      const end = inEntry
        ? Math.min(Math.max(start as number, d.end ?? (start as number)), source.length)
        : null;
      const from = start === null ? null : place(start);
      const to = end === null ? null : place(end);
      return {
        severity: d.category === 'error' ? ('error' as const) : ('warning' as const),
        code: d.code,
        message: d.message.slice(0, 2_000),
        line: from?.line ?? null,
        column: from?.column ?? null,
        endLine: to?.line ?? null,
        endColumn: to?.column ?? null,
        from: start,
        to: end,
      };
    });
}
