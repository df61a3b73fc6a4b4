import type { AppRouter } from '@qt/api';
import { TRPCClientError } from '@trpc/client';

/** What a form shows for a failed engine call: one message, plus per-field messages when input was refused. */
export interface EngineProblem {
  /** The engine's stable code (`ACCOUNT_EMAIL_TAKEN`, ...), or null when the engine was not reached. */
  code: string | null;
  message: string;
  fieldErrors: Record<string, string>;
}

const UNREACHABLE = 'The trading engine is not reachable right now. Try again in a moment.';
const UNEXPECTED = 'Something went wrong. Try again, or contact support if it keeps happening.';

export function isEngineError(err: unknown): err is TRPCClientError<AppRouter> {
  return err instanceof TRPCClientError;
}

/** The engine's stable error code, if the error came from the engine. */
export function engineErrorCode(err: unknown): string | null {
  return isEngineError(err) ? (err.data?.appCode ?? null) : null;
}

/**
 * Turns anything thrown by an engine call into text fit for a person. The engine's messages are written
 * for people already; a refused input comes back as zod issues, which become one line per field here
 * (tRPC's own message for those is a JSON dump), labelled as the form labels them. Transport failures
 * never leak their internals.
 */
export function describeEngineError(err: unknown, labels: Record<string, string> = {}): EngineProblem {
  if (!isEngineError(err)) return { code: null, message: UNEXPECTED, fieldErrors: {} };
  const data = err.data;
  if (!data) return { code: null, message: UNREACHABLE, fieldErrors: {} };
  const issues = data.issues ?? [];
  if (data.appCode === 'VALIDATION_FAILED' && issues.length > 0) {
    const fieldErrors: Record<string, string> = {};
    for (const issue of issues) {
      const field = issue.path.join('.') || 'form';
      fieldErrors[field] ??= issue.message;
    }
    const message = Object.entries(fieldErrors)
      .map(([field, msg]) => (field === 'form' ? msg : `${labels[field] ?? labelOf(field)}: ${msg}`))
      .join(' ');
    return { code: data.appCode, message, fieldErrors };
  }
  return { code: data.appCode ?? null, message: err.message || UNEXPECTED, fieldErrors: {} };
}

function labelOf(field: string): string {
  const spaced = field.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}
