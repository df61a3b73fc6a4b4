import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from './generated/prisma/client.ts';

export type Db = PrismaClient;

/**
 * The process's one Prisma client, on the `pg` driver adapter (Prisma 7 runs its query compiler in
 * WebAssembly; no native query engine). Create it once and hand it to the components that need it.
 */
export function createPrisma(url: string, opts: { max?: number; connectTimeoutMs?: number } = {}): Db {
  const adapter = new PrismaPg({
    connectionString: url,
    max: opts.max ?? 10,
    // A database that accepts the connection and never answers (dropped packets, a swamped server)
    // would otherwise hang a new connection for ever. No statement timeout here: Prisma also serves
    // queries that may legitimately run long (backtest candle reads).
    connectionTimeoutMillis: opts.connectTimeoutMs ?? PRISMA_CONNECT_TIMEOUT_MS,
  });
  return new PrismaClient({ adapter });
}

/**
 * How long Prisma's pool waits for a connection (a new one, or a free one of the pool) before the
 * query fails. Generous: it only has to end a wait that would otherwise never end.
 */
export const PRISMA_CONNECT_TIMEOUT_MS = 10_000;

export interface PgPoolOptions {
  max?: number;
  /** Waiting for a connection (new, or a free one of the pool) fails after this long. Default: none. */
  connectTimeoutMs?: number;
  /** Server side: the server cancels a statement running longer (SQLSTATE 57014). Default: none. */
  statementTimeoutMs?: number;
  /**
   * Client side: a query unanswered this long fails ("Query read timeout") and its connection is
   * dropped; the only bound when the server cannot be reached at all. Default: none.
   */
  queryTimeoutMs?: number;
}

/**
 * A plain `pg` pool for hot paths Prisma does not serve (COPY of trades and candles, trading's writes).
 * Timeouts are per pool, never global: a pool whose queries may legitimately run long leaves them off.
 */
export function createPgPool(url: string, opts: PgPoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    ...(opts.connectTimeoutMs !== undefined ? { connectionTimeoutMillis: opts.connectTimeoutMs } : {}),
    ...(opts.statementTimeoutMs !== undefined ? { statement_timeout: opts.statementTimeoutMs } : {}),
    ...(opts.queryTimeoutMs !== undefined ? { query_timeout: opts.queryTimeoutMs } : {}),
  });
  // An IDLE connection that dies (a database restart, a dropped test database, an administrator's
  // pg_terminate_backend) is emitted as 'error' on the pool, and an 'error' event nobody listens to
  // kills the process. pg has already removed that client from the pool and the next query opens a new
  // connection, so the failure surfaces where it matters; callers that want to log it add a listener
  // of their own (the engine's pools do).
  pool.on('error', () => {});
  return pool;
}

/** The same server, another database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** One short-lived connection (admin statements like CREATE DATABASE, which a pool should not run). */
export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
