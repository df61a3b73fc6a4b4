/** A strategy's AssemblyScript did not compile; `message` carries the compiler's diagnostics for the user. */
export class StrategyCompileError extends Error {
  override readonly name = 'StrategyCompileError';
  readonly code = 'STRATEGY_COMPILE_FAILED';
  constructor(
    message: string,
    readonly diagnostics: readonly CompileDiagnostic[],
  ) {
    super(message);
  }
}

/** Asked for an example that does not exist. */
export class UnknownExampleError extends Error {
  override readonly name = 'UnknownExampleError';
  readonly code = 'STRATEGY_EXAMPLE_UNKNOWN';
  constructor(
    readonly example: string,
    known: readonly string[],
  ) {
    super(`No example strategy named "${example}"; the examples are ${known.join(', ')}.`);
  }
}

export interface CompileDiagnostic {
  /** AssemblyScript diagnostic code, e.g. 2304 for "Cannot find name". */
  code: number;
  category: 'error' | 'warning' | 'info' | 'pedantic';
  message: string;
  /** Source file and 0-based character offsets, when the diagnostic points into a file. */
  file: string | null;
  start: number | null;
  end: number | null;
}
