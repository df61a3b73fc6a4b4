/** Why a backtest could not run at all (bad spec or data) or broke an invariant (a bug: fail loudly). */
export type BacktestErrorCode =
  | 'BACKTEST_INVALID_SPEC'
  | 'BACKTEST_DATA_INVALID'
  | 'BACKTEST_DATA_OUT_OF_ORDER'
  | 'BACKTEST_LEDGER_MISMATCH';

export class BacktestError extends Error {
  readonly code: BacktestErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: BacktestErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'BacktestError';
    this.code = code;
    this.details = details;
  }
}

export function isBacktestError(err: unknown): err is BacktestError {
  return err instanceof BacktestError;
}
