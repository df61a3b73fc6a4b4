import { isTransientDbError } from '../trading/db-errors.ts';

/**
 * SQLSTATEs that mean "not now" rather than "not this": connection exceptions (08), out of resources
 * (53), operator intervention and shutdown (57P), the commit's statement timeout (57014), its lock
 * timeout (55P03), serialization failures and deadlocks (40001, 40P01). The commit failed whole; the
 * same batch may commit once the database has recovered. Also the database refusing the connection
 * itself (28: authorization, 3D000: no such database): no firing is at fault, so none may be dropped.
 */
export function isTransientSqlState(code: string): boolean {
  return (
    code.startsWith('08') ||
    code.startsWith('53') ||
    code.startsWith('57P') ||
    code === '57014' ||
    code === '55P03' ||
    code === '40001' ||
    code === '40P01' ||
    code.startsWith('28') ||
    code === '3D000'
  );
}

/**
 * Driver adapter error kinds without a SQLSTATE that are the statement's fault (a column our query
 * returns that Prisma cannot read). The others (socket, TLS, `GenericJs` wrapping a driver `Error` such
 * as "Connection terminated") say the connection failed: transient.
 */
const FINAL_ADAPTER_KINDS = new Set([
  'UnsupportedNativeDataType',
  'LengthMismatch',
  'InconsistentColumnData',
]);

/** Prisma's own codes for an unreachable or timed-out database, a full pool, an expired transaction. */
const TRANSIENT_PRISMA_CODES = /^(P1\d{3}|P2024|P2028|P2034)$/;

interface PrismaLike {
  code?: unknown;
  meta?: { driverAdapterError?: { cause?: { originalCode?: unknown; code?: unknown; kind?: unknown } } };
}

/**
 * Whether an alert commit that failed may succeed if retried as it is. Prisma (on the pg driver adapter)
 * reports the server's SQLSTATE in `meta.driverAdapterError.cause.originalCode`: transient ones are
 * retried, any other (bad input such as a timestamp out of range, a constraint, a missing table) is
 * final, so the batch is split to drop the refused firing(s) instead of blocking every later batch for
 * ever. Errors without a code fall back to the engine's rule for writes (plain `Error`s from a lost
 * connection are transient; programming errors are not).
 */
export function isTransientCommitError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as PrismaLike;
  const cause = e.meta?.driverAdapterError?.cause;
  const sqlState = cause?.originalCode ?? cause?.code;
  if (typeof sqlState === 'string' && /^[0-9A-Z]{5}$/.test(sqlState)) return isTransientSqlState(sqlState);
  if (typeof cause?.kind === 'string') return !FINAL_ADAPTER_KINDS.has(cause.kind);
  if (typeof e.code === 'string' && /^P\d{4}$/.test(e.code)) return TRANSIENT_PRISMA_CODES.test(e.code);
  return isTransientDbError(err);
}
