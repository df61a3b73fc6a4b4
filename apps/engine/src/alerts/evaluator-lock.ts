import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Logger } from '../observability/logger.ts';
import { consumerBaseName } from './evaluator-id.ts';

/** Advisory lock class of alert evaluator ids (the second key is the id's hash). */
const LOCK_CLASS = 'qt-alert-evaluator';
const RETAKE_MS = 1_000;

export interface EvaluatorLock {
  /** The evaluator id this engine runs its alerts under (the one asked for, or a fresh one). */
  readonly id: string;
  /** True when the id asked for was held by another live engine and a fresh one is used instead. */
  readonly fellBack: boolean;
  /** Lets the lock go (the alert engine stopped). */
  release(): Promise<void>;
}

/**
 * Holds a session advisory lock on the alert evaluator id for the alert engine's lifetime, on a
 * connection of its own (the engine-holder pattern: the lock goes the moment the process dies).
 * Two live engines on one evaluator id would share its durable consumers and split the messages between
 * them (each missing the other's half) and overwrite each other's snapshot. When another live process
 * holds the id, this one logs an error and runs its alerts under a fresh id (`alerts:dup-<hex>`): it
 * starts at the live edge with no snapshot (no restart guarantee for this run, and its consumers are left
 * behind at stop), but every alert is still evaluated and each firing stored once (deterministic ids).
 * Refusing to run alerts instead would also take the alerts API of this engine down.
 * Limits: needs a session (not PgBouncer in transaction mode); two ids whose hashes collide look taken
 * (the fresh id: the safe side). A lost connection is re-made and the lock taken again; if another engine
 * took the id meanwhile, that is logged (the consumers cannot move to another id while running).
 */
export async function lockEvaluator(params: {
  databaseUrl: string;
  evaluatorId: string;
  logger: Logger;
}): Promise<EvaluatorLock> {
  const logger = params.logger.child({ component: 'alerts-lock' });
  let stopped = false;
  let client: pg.Client | null = null;
  let retry: NodeJS.Timeout | undefined;

  /** A connection holding the lock on `id`, or null when another session holds it. */
  const take = async (id: string): Promise<pg.Client | null> => {
    const c = new pg.Client({ connectionString: params.databaseUrl, application_name: `qt-alerts ${id}` });
    c.on('error', (err) => {
      logger.warn(
        { err: err.message, evaluator: id },
        'alert evaluator lock connection lost: taking it again',
      );
      void c.end().catch(() => undefined);
      if (client === c) {
        client = null;
        schedule(id);
      }
    });
    await c.connect();
    try {
      const r = await c.query<{ taken: boolean }>(
        'SELECT pg_try_advisory_lock(hashtext($1), hashtext($2)) AS taken',
        // On the consumers' base name, not the id: two ids sharing it would share the durables too.
        [LOCK_CLASS, consumerBaseName(id)],
      );
      if (r.rows[0]?.taken === true) return c;
    } catch (err) {
      await c.end().catch(() => undefined);
      throw err;
    }
    await c.end().catch(() => undefined);
    return null;
  };
  const schedule = (id: string) => {
    if (stopped || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      take(id).then(
        (c) => {
          if (stopped) void c?.end().catch(() => undefined);
          else if (c) client = c;
          else
            logger.error(
              { evaluator: id },
              'alert evaluator id taken by another engine while the lock connection was down: two engines now share its consumers; restart one of them with its own INSTANCE_ID',
            );
        },
        (err: unknown) => {
          logger.warn(
            { err: err instanceof Error ? err.message : String(err) },
            'alert evaluator lock not taken yet',
          );
          schedule(id);
        },
      );
    }, RETAKE_MS);
    retry.unref();
  };

  let id = params.evaluatorId;
  let fellBack = false;
  client = await take(id);
  if (!client) {
    const fresh = `alerts:dup-${randomBytes(6).toString('hex')}`;
    logger.error(
      { evaluator: id, instead: fresh },
      'alert evaluator id held by another live engine (same INSTANCE_ID, or same DATA_DIR without one): running alerts under a fresh id from the live edge; give each engine its own INSTANCE_ID',
    );
    id = fresh;
    fellBack = true;
    client = await take(id);
    if (!client) throw new Error(`alert evaluator lock on a fresh id ${id} not granted`);
  }
  return {
    id,
    fellBack,
    async release() {
      stopped = true;
      clearTimeout(retry);
      const c = client;
      client = null;
      await c?.end().catch(() => undefined);
    },
  };
}
