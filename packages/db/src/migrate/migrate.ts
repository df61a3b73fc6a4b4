import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { defaultMigrationsDir, type MigrationFile, readMigrations } from './read-migrations.ts';
import { splitStatements } from './split-statements.ts';

export type MigrationErrorCode =
  | 'MIGRATION_MODIFIED'
  | 'MIGRATION_UNFINISHED'
  | 'MIGRATION_UNKNOWN'
  | 'MIGRATION_FAILED';

export class MigrationError extends Error {
  override name = 'MigrationError';
  constructor(
    readonly code: MigrationErrorCode,
    message: string,
    readonly migration: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface MigrateOptions {
  dir?: string;
  log?: (message: string) => void;
}

// Any fixed 64-bit number, the same for every engine: only one migrator runs at a time per database.
const LOCK_KEY = 7_224_151_031_337n;

// Prisma's own bookkeeping table, column for column, so `prisma migrate status` elsewhere agrees.
const createTable = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/**
 * Applies pending SQL migrations from `prisma/migrations` (Prisma's layout) without Prisma's native
 * migrate engine, which cannot be downloaded offline. Safe to call from several processes at once
 * (advisory lock); each migration runs in its own transaction and is recorded in `_prisma_migrations`.
 * Refuses to run when an applied migration's file changed, when the database has migrations this code
 * does not know (it is newer than the code), or when a migration is recorded as unfinished.
 * Returns the names of the migrations it applied.
 */
export async function migrate(target: string | pg.Client, opts: MigrateOptions = {}): Promise<string[]> {
  const files = readMigrations(opts.dir ?? defaultMigrationsDir);
  const log = opts.log ?? (() => {});
  const own = typeof target === 'string';
  const client = own ? new pg.Client({ connectionString: target }) : target;
  if (own) await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY.toString()]);
    try {
      await client.query(createTable);
      const { rows } = await client.query<AppliedRow>(
        'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at',
      );
      const pending = plan(files, rows);
      for (const m of pending) {
        await applyOne(client, m);
        log(`applied migration ${m.name}`);
      }
      return pending.map((m) => m.name);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY.toString()]);
    }
  } finally {
    if (own) await client.end();
  }
}

function plan(files: MigrationFile[], applied: AppliedRow[]): MigrationFile[] {
  const byName = new Map(files.map((f) => [f.name, f]));
  const done = new Set<string>();
  for (const row of applied) {
    if (row.rolled_back_at) continue;
    const file = byName.get(row.migration_name);
    if (!file) {
      throw new MigrationError(
        'MIGRATION_UNKNOWN',
        `The database has migration ${row.migration_name}, which this code does not have: it was migrated by a newer version. Run that version, or restore the migration folder.`,
        row.migration_name,
      );
    }
    if (!row.finished_at) {
      throw new MigrationError(
        'MIGRATION_UNFINISHED',
        `Migration ${row.migration_name} is recorded as started but not finished. Inspect the database, then mark it rolled back (set rolled_back_at) or finished.`,
        row.migration_name,
      );
    }
    if (row.checksum !== file.checksum) {
      throw new MigrationError(
        'MIGRATION_MODIFIED',
        `Migration ${row.migration_name} was changed after it was applied. Restore the file and put the change in a new migration.`,
        row.migration_name,
      );
    }
    done.add(row.migration_name);
  }
  return files.filter((f) => !done.has(f.name));
}

async function applyOne(client: pg.Client, m: MigrationFile): Promise<void> {
  const id = randomUUID();
  const record = async () => {
    await client.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
       VALUES ($1, $2, $3, now(), now(), 1)`,
      [id, m.checksum, m.name],
    );
  };
  try {
    if (m.transactional) {
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await record();
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw err;
      }
    } else {
      // Statements that refuse transaction blocks (CREATE INDEX CONCURRENTLY, some TimescaleDB DDL).
      // Sent one by one: PostgreSQL runs a multi-statement query string as one implicit transaction block,
      // where these refuse to run. A failure leaves what ran, so such migrations must be idempotent.
      for (const statement of splitStatements(m.sql)) await client.query(statement);
      await record();
    }
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new MigrationError('MIGRATION_FAILED', `Migration ${m.name} failed: ${reason}`, m.name, {
      cause: err,
    });
  }
}
