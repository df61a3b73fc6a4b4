import { AppError } from '@qt/shared';
import { LedgerError } from '@qt/trading';
import pg from 'pg';

/**
 * SQLSTATEs that mean "not now" rather than "not this": connection exceptions (08), out of resources
 * (53), operator intervention and shutdown (57P), a statement canceled by `statement_timeout` (57014),
 * a lock not granted in time (55P03), serialization failures and deadlocks (40001, 40P01). The statement
 * failed whole, so a retry is safe, and may succeed once the database has recovered.
 */
function transientSqlState(code: string): boolean {
  return (
    code.startsWith('08') ||
    code.startsWith('53') ||
    code.startsWith('57P') ||
    code === '57014' ||
    code === '55P03' ||
    code === '40001' ||
    code === '40P01'
  );
}

/**
 * Errors that say the change itself is wrong: our typed errors, and what a programming mistake throws.
 * Retrying the same change throws them again.
 */
const FINAL_ERRORS: readonly (abstract new (...args: never[]) => Error)[] = [
  AppError,
  LedgerError,
  TypeError,
  RangeError,
  ReferenceError,
  SyntaxError,
];

/**
 * Whether a failed write may succeed later: the database was unreachable, timed out or said "not now",
 * so the write's outcome may be unknown (a lost connection can take a commit's answer with it) and the
 * change must be kept and retried.
 *
 * Not transient: an error the server reported for the statement's content (a CHECK, a constraint: the
 * statement failed whole, for good), a typed `AppError` or domain error, and programming errors
 * (`TypeError` and the like). Retrying those can never succeed; holding an account on them would hold
 * it for ever.
 *
 * Anything else counts as transient: the driver reports a lost or hung connection with plain `Error`s
 * ("Connection terminated unexpectedly", "Query read timeout", "timeout exceeded when trying to
 * connect", a socket's ECONNRESET...), and treating an unrecognised one of those as final would drop a
 * fill the matcher has already made. Keeping it costs a retry; dropping it would cost money.
 */
export function isTransientDbError(err: unknown): boolean {
  if (err instanceof pg.DatabaseError) return transientSqlState(err.code ?? '');
  if (!(err instanceof Error)) return false;
  return !FINAL_ERRORS.some((kind) => err instanceof kind);
}

/**
 * A timeout: the pool's connect or query timeout, or the server's statement timeout. The database is
 * hung or swamped, so a follow-up query (to learn a write's outcome) would most likely wait just as
 * long; the hold finds the outcome out once the database answers again.
 */
export function isDbTimeout(err: unknown): boolean {
  if (err instanceof pg.DatabaseError) return err.code === '57014';
  return err instanceof Error && /timeout/i.test(err.message);
}
