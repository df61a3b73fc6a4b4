/**
 * Whether `err` (or one of its causes) says the database cannot be reached now, as opposed to a query
 * that is wrong. Covers Prisma's codes, the pg driver adapter's kinds, node socket errors, pg's own
 * "Connection terminated" errors and PostgreSQL's connection-class SQLSTATEs (08xxx, shutdown, too many
 * connections). The API answers 503 with Retry-After on it; the Stripe webhook answers 503 so Stripe
 * delivers the event again.
 */
const unreachableErrnos = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/** Prisma: can't reach, timed out, server closed the connection, pool timeout. */
const unreachablePrismaCodes = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);
const unreachableAdapterKinds = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout']);

export function isDatabaseUnavailable(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; depth < 6 && e && typeof e === 'object'; depth++) {
    const o = e as {
      code?: unknown;
      name?: unknown;
      message?: unknown;
      meta?: { driverAdapterError?: { cause?: { kind?: unknown } } };
      cause?: unknown;
    };
    const code = typeof o.code === 'string' ? o.code : '';
    if (unreachablePrismaCodes.has(code) || unreachableErrnos.has(code)) return true;
    if (/^08/.test(code) || ['57P01', '57P02', '57P03', '53300'].includes(code)) return true;
    if (o.name === 'PrismaClientInitializationError') return true;
    const kind = o.meta?.driverAdapterError?.cause?.kind;
    if (typeof kind === 'string' && unreachableAdapterKinds.has(kind)) return true;
    if (
      typeof o.message === 'string' &&
      /^Connection terminated|timeout exceeded when trying to connect/.test(o.message)
    )
      return true;
    e = o.cause;
  }
  return false;
}
