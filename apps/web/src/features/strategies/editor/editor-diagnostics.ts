import type { CompileProblem } from '@qt/shared';

/** A compiler problem as an editor mark: a [from, to) range in the current document. */
export interface EditorMark {
  from: number;
  to: number;
  severity: 'error' | 'warning';
  message: string;
}

/**
 * Marks for the compiler's problems in the document as it is now. Problems are placed by the server in
 * the source it compiled; when the user typed since, positions past the end are clamped (the editor maps
 * the marks through later edits itself). A problem with no place in the source (one in the SDK) is put
 * at the start of the document, so it is still seen. An empty range is widened to one character where
 * the document has one, or the mark would be invisible.
 */
export function problemMarks(problems: readonly CompileProblem[], docLength: number): EditorMark[] {
  return problems.map((p) => {
    const from = Math.min(Math.max(0, p.from ?? 0), docLength);
    let to = Math.min(Math.max(from, p.to ?? from), docLength);
    if (to === from && from < docLength) to = from + 1;
    const where = p.line === null ? '(in the SDK) ' : '';
    return { from, to, severity: p.severity, message: `${where}${p.message} [AS${p.code}]` };
  });
}

/** "Line 12, column 5" for a problem list; "SDK" when it has no place in the user's source. */
export function problemPlace(p: CompileProblem): string {
  return p.line === null ? 'SDK' : `Line ${p.line}${p.column ? `, column ${p.column}` : ''}`;
}
