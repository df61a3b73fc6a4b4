import { createPgPool } from '@qt/db';
import type pg from 'pg';
import type { Logger } from '../observability/logger.ts';

/**
 * Timeouts of trading's own `pg` pool (the order path's one-statement writes). Without them a database
 * that stops answering without closing the connection (dropped packets, a lock wait, a swamped server)
 * makes a write wait for ever: the account's queue and the group commit stall, no hold starts, and
 * shutdown waits too. With them, every write ends within about `queryMs` (or `connectMs` for a
 * connection), fails as transient, and the account is held (`SERVICE_UNAVAILABLE`) while its changes
 * are retried. Trading's statements are single short writes and look-ups, so seconds are generous.
 */
export const TRADING_DB_TIMEOUTS = {
  /** Waiting for a connection (a new one, or a free one of the pool). */
  connectMs: 5_000,
  /** Server side: the server cancels a statement (a lock wait, a swamped server) after this long. */
  statementMs: 5_000,
  /**
   * Client side: the bound when the server cannot answer at all. A little above `statementMs`, so that
   * a server that is merely slow cancels the statement itself and the connection stays usable.
   */
  queryMs: 6_000,
} as const;

export type TradingDbTimeouts = { [K in keyof typeof TRADING_DB_TIMEOUTS]: number };

export function createTradingPool(
  url: string,
  logger: Logger,
  opts: { max?: number; timeouts?: Partial<TradingDbTimeouts> } = {},
): pg.Pool {
  const t = { ...TRADING_DB_TIMEOUTS, ...opts.timeouts };
  const pool = createPgPool(url, {
    max: opts.max ?? 8,
    connectTimeoutMs: t.connectMs,
    statementTimeoutMs: t.statementMs,
    queryTimeoutMs: t.queryMs,
  });
  // An idle connection that dies (database restart) must not become an uncaught error.
  pool.on('error', (err) => logger.warn({ err: err.message }, 'idle trading connection failed'));
  return pool;
}
