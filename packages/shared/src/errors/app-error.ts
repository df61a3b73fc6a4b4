import type { ErrorCode } from './error-codes.ts';

/**
 * The one error type domain code throws. `message` is written for the person reading it: it says what
 * happened and what to do. `details` is safe to show (never secrets, never other tenants' data).
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

/** The same "not found" for "does not exist" and "belongs to another tenant" (OWASP API1). */
export function notFound(what: string): AppError {
  return new AppError('NOT_FOUND', `${what} not found.`);
}
