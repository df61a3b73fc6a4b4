import { randomUUID } from 'node:crypto';
import type { Prisma } from '@qt/db';
import pg from 'pg';
import type { Logger } from '../observability/logger.ts';

/**
 * Who holds a strategy deployment (crash probation): one id per engine process, `<INSTANCE_ID>/<boot id>`.
 * INSTANCE_ID alone is not enough: a restarted engine with the same INSTANCE_ID is another process, and
 * the old one may still be stopping.
 *
 * The holder is alive while it holds a session-level advisory lock keyed on its id, on a connection of its
 * own. The server drops the lock the moment the process dies (its socket closes), so another engine can
 * ask PostgreSQL whether a holder is alive (`holderAliveSql`) without heartbeats or clocks. Limits: the
 * lock needs a session (not PgBouncer in transaction mode); a host cut off from the network keeps looking
 * alive until the server notices the dead socket (no strike: the safe side); while this connection is
 * being re-made after a database outage, an engine starting at that moment takes us for dead.
 */
export interface EngineHolder {
  readonly id: string;
  /** Lets the lock go (the process is done with its deployments). */
  stop(): Promise<void>;
}

/** Advisory lock key of a holder: the same two int4 in the holder and in `holderAliveSql`. */
const LOCK_CLASS = 'qt-engine-holder';
const RECONNECT_MS = 1_000;

export function holderId(instanceId: string): string {
  return `${instanceId || 'engine'}/${randomUUID()}`;
}

/** Takes this process's holder lock; resolves once it is held (or throws, and the engine does not start). */
export async function startEngineHolder(params: {
  databaseUrl: string;
  instanceId: string;
  logger: Logger;
  /** For tests: a chosen id instead of a fresh one. */
  id?: string;
}): Promise<EngineHolder> {
  const id = params.id ?? holderId(params.instanceId);
  const logger = params.logger.child({ component: 'engine-holder', holder: id });
  let stopped = false;
  let client: pg.Client | null = null;
  let retry: NodeJS.Timeout | undefined;

  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: params.databaseUrl, application_name: `qt-holder ${id}` });
    c.on('error', (err) => {
      // The lock went with the connection: take it again on a new one.
      logger.warn({ err: err.message }, 'holder connection lost: taking the lock again');
      void c.end().catch(() => undefined);
      if (client === c) client = null;
      schedule();
    });
    await c.connect();
    try {
      await c.query('SELECT pg_advisory_lock(hashtext($1), hashtext($2))', [LOCK_CLASS, id]);
    } catch (err) {
      await c.end().catch(() => undefined);
      throw err;
    }
    if (stopped) {
      await c.end().catch(() => undefined);
      return;
    }
    client = c;
  };
  const schedule = () => {
    if (stopped || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      connect().catch((err: unknown) => {
        logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'holder lock not taken yet');
        schedule();
      });
    }, RECONNECT_MS);
    retry.unref();
  };

  await connect();
  return {
    id,
    async stop() {
      stopped = true;
      clearTimeout(retry);
      const c = client;
      client = null;
      // Ending the session lets the lock go.
      await c?.end().catch(() => undefined);
    },
  };
}

/**
 * True when `holder` is alive. Run inside a transaction: it tries the holder's lock as a
 * transaction-scoped lock; taken means no session holds it, so the holder is gone (the lock is let go at
 * commit). Where the hashes of two holder ids collide, a dead one looks alive: no strike, the safe side.
 */
export async function holderAlive(tx: Prisma.TransactionClient, holder: string): Promise<boolean> {
  const [row] = await tx.$queryRaw<{ taken: boolean }[]>`
    SELECT pg_try_advisory_xact_lock(hashtext(${LOCK_CLASS}), hashtext(${holder})) AS taken`;
  return row?.taken !== true;
}
