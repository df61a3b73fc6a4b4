import { AppError } from '../errors/app-error.ts';

/** Why a decimal was refused; stable, so callers (and metrics) can branch on it. */
export type DecimalErrorReason =
  /** Not `-?digits(.digits)?` (no exponent, no `+`, no bare `.5` or `5.`). */
  | 'malformed'
  /** More decimals than the scale asked for, and no rounding mode was given. */
  | 'too-many-decimals'
  /** Does not fit the requested representation (a safe-integer `number` of units, or a scale limit). */
  | 'out-of-range'
  /** An argument that is not a decimal string: a negative or fractional scale, a zero divisor. */
  | 'invalid-argument';

/**
 * The one error the decimal helpers throw. It is an `AppError` with `VALIDATION_FAILED`, so a price that
 * a user typed and that does not parse reaches them as a 400 with a readable message.
 */
export class DecimalError extends AppError {
  readonly reason: DecimalErrorReason;

  constructor(reason: DecimalErrorReason, message: string, input?: string) {
    super('VALIDATION_FAILED', message, input === undefined ? { reason } : { reason, input });
    this.name = 'DecimalError';
    this.reason = reason;
  }
}

export function isDecimalError(err: unknown): err is DecimalError {
  return err instanceof DecimalError;
}
