import { createHash, randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import {
  defaultMigrationsDir,
  MigrationError,
  type MigrationErrorCode,
  migrate,
  readMigrations,
} from '../src/index.ts';
import { withClient, withDatabase } from '../src/testing/index.ts';

// The offline migrator against real, empty databases (not copies of the migrated template). Each
// database is named with the run's prefix, so the global teardown drops whatever a failure leaves.

const adminUrl = inject('qtDbAdminUrl');
const created: string[] = [];
const tempDirs: string[] = [];

async function emptyDatabase(): Promise<string> {
  const name = `${inject('qtDbRunPrefix')}_mig_${randomBytes(5).toString('hex')}`;
  await withClient(adminUrl, (c) => c.query(`CREATE DATABASE "${name}" TEMPLATE template0`));
  created.push(name);
  return withDatabase(adminUrl, name);
}

/** A migrations folder of its own: `{ name: sql }`, in Prisma's layout. */
function migrationsDir(migrations: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'qt-migrations-'));
  tempDirs.push(dir);
  for (const [name, sql] of Object.entries(migrations)) writeMigration(dir, name, sql);
  writeFileSync(join(dir, 'migration_lock.toml'), 'provider = "postgresql"\n');
  return dir;
}
function writeMigration(dir: string, name: string, sql: string): void {
  mkdirSync(join(dir, name), { recursive: true });
  writeFileSync(join(dir, name, 'migration.sql'), sql);
}

afterAll(async () => {
  await withClient(adminUrl, async (c) => {
    for (const name of created) await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  });
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

interface Recorded {
  migration_name: string;
  checksum: string;
  finished: boolean;
  applied_steps_count: number;
}
const recorded = (url: string) =>
  withClient(url, async (c) => {
    const { rows } = await c.query<Recorded>(
      `SELECT migration_name, checksum, finished_at IS NOT NULL AS finished, applied_steps_count
         FROM "_prisma_migrations" ORDER BY migration_name`,
    );
    return rows;
  });
const tables = (url: string) =>
  withClient(url, async (c) => {
    const { rows } = await c.query<{ t: string }>(
      `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`,
    );
    return rows.map((r) => r.t);
  });

async function migrationError(p: Promise<unknown>): Promise<MigrationError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, 'migrate() was expected to refuse').toBeInstanceOf(MigrationError);
  return err as MigrationError;
}
function expectCode(err: MigrationError, code: MigrationErrorCode, migration: string): void {
  expect({ code: err.code, migration: err.migration }, err.message).toEqual({ code, migration });
}

const files = readMigrations();
const names = files.map((f) => f.name);
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describe('migrate()', () => {
  it('applies every migration once, records it as Prisma does, and a second run applies nothing', async () => {
    expect(names.length).toBeGreaterThan(0);
    const url = await emptyDatabase();
    const log: string[] = [];
    expect(await migrate(url, { log: (m) => log.push(m) })).toEqual(names);
    expect(log).toEqual(names.map((n) => `applied migration ${n}`));
    const first = await recorded(url);
    expect(first).toEqual(
      files.map((f) => ({
        migration_name: f.name,
        checksum: f.checksum,
        finished: true,
        applied_steps_count: 1,
      })),
    );
    // The checksum is the SHA-256 of the file, as Prisma computes it.
    for (const f of files) expect(f.checksum).toBe(sha256(f.sql));
    const schema = await tables(url);
    expect(schema).toContain('users');

    expect(await migrate(url)).toEqual([]);
    expect(await migrate(url)).toEqual([]);
    expect(await recorded(url)).toEqual(first);
    expect(await tables(url)).toEqual(schema);
  });

  it('accepts a connected pg.Client and leaves it connected', async () => {
    const url = await emptyDatabase();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      expect(await migrate(client)).toEqual(names);
      expect(await migrate(client)).toEqual([]);
      const { rows } = await client.query('SELECT 1 AS one');
      expect(rows).toEqual([{ one: 1 }]);
      // The advisory lock was released. (This database's locks only: engines of other test files hold
      // advisory locks in their own databases on the same server, e.g. crash probation's holder lock.)
      const locks = await client.query(
        `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_database d ON d.oid = l.database
         WHERE l.locktype = 'advisory' AND d.datname = current_database()`,
      );
      expect(locks.rows).toEqual([{ n: 0 }]);
    } finally {
      await client.end();
    }
  });

  it('applies only the new migrations when the code gains some', async () => {
    const dir = migrationsDir({ '20260101000000_one': 'CREATE TABLE "one" (id INT PRIMARY KEY);' });
    const url = await emptyDatabase();
    expect(await migrate(url, { dir })).toEqual(['20260101000000_one']);
    writeMigration(dir, '20260102000000_two', 'CREATE TABLE "two" (id INT PRIMARY KEY);');
    writeMigration(dir, '20260103000000_three', 'ALTER TABLE "two" ADD COLUMN "x" TEXT;');
    expect(await migrate(url, { dir })).toEqual(['20260102000000_two', '20260103000000_three']);
    expect((await recorded(url)).map((r) => r.migration_name)).toEqual([
      '20260101000000_one',
      '20260102000000_two',
      '20260103000000_three',
    ]);
  });

  it('refuses with MIGRATION_MODIFIED when a recorded checksum does not match the file', async () => {
    const url = await emptyDatabase();
    await migrate(url);
    const target = names[0] as string;
    await withClient(url, (c) =>
      c.query(`UPDATE "_prisma_migrations" SET checksum = $1 WHERE migration_name = $2`, [
        '0'.repeat(64),
        target,
      ]),
    );
    expectCode(await migrationError(migrate(url)), 'MIGRATION_MODIFIED', target);
  });

  it('refuses with MIGRATION_MODIFIED when an applied migration file was edited afterwards', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qt-migrations-'));
    tempDirs.push(dir);
    cpSync(defaultMigrationsDir, dir, { recursive: true });
    const url = await emptyDatabase();
    expect(await migrate(url, { dir })).toEqual(names);
    const last = names.at(-1) as string;
    writeFileSync(join(dir, last, 'migration.sql'), `${files.at(-1)?.sql}\n-- an innocent-looking comment\n`);
    const before = await recorded(url);
    expectCode(await migrationError(migrate(url, { dir })), 'MIGRATION_MODIFIED', last);
    expect(await recorded(url)).toEqual(before);
  });

  it('refuses with MIGRATION_UNKNOWN when the database has a migration the code does not', async () => {
    const url = await emptyDatabase();
    await migrate(url);
    const future = '29991231000000_from_a_newer_version';
    await withClient(url, (c) =>
      c.query(
        `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, finished_at, applied_steps_count)
         VALUES (gen_random_uuid(), $1, $2, now(), 1)`,
        [sha256('whatever'), future],
      ),
    );
    expectCode(await migrationError(migrate(url)), 'MIGRATION_UNKNOWN', future);
  });

  it('refuses with MIGRATION_UNFINISHED when a migration is recorded as started only, and retries it once rolled back', async () => {
    const dir = migrationsDir({ '20260101000000_one': 'CREATE TABLE "one" (id INT PRIMARY KEY);' });
    const url = await emptyDatabase();
    await migrate(url, { dir: migrationsDir({}) }); // creates the bookkeeping table only
    await withClient(url, (c) =>
      c.query(
        `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, finished_at, applied_steps_count)
         VALUES (gen_random_uuid(), $1, '20260101000000_one', NULL, 0)`,
        [readMigrations(dir)[0]?.checksum],
      ),
    );
    expectCode(await migrationError(migrate(url, { dir })), 'MIGRATION_UNFINISHED', '20260101000000_one');

    await withClient(url, (c) => c.query(`UPDATE "_prisma_migrations" SET rolled_back_at = now()`));
    expect(await migrate(url, { dir })).toEqual(['20260101000000_one']);
    expect(await tables(url)).toEqual(['_prisma_migrations', 'one']);
  });

  it('a failing migration gives MIGRATION_FAILED and leaves nothing of itself behind', async () => {
    const dir = migrationsDir({
      '20260101000000_good': 'CREATE TABLE "good" (id INT PRIMARY KEY);',
      '20260102000000_bad': [
        'CREATE TYPE "Half" AS ENUM (\'A\');',
        'CREATE TABLE "half" (id INT PRIMARY KEY, h "Half");',
        'INSERT INTO "good" VALUES (1);',
        'ALTER TABLE "good" ADD COLUMN "oops" NO_SUCH_TYPE;',
      ].join('\n'),
      '20260103000000_after': 'CREATE TABLE "after" (id INT PRIMARY KEY);',
    });
    const url = await emptyDatabase();
    const err = await migrationError(migrate(url, { dir }));
    expectCode(err, 'MIGRATION_FAILED', '20260102000000_bad');
    expect(err.message).toContain('no_such_type');
    expect((err.cause as { code?: string } | undefined)?.code).toBe('42704'); // undefined_object, from PostgreSQL

    // The good one stays applied; nothing of the bad one (type, table, row, record) nor of any later one.
    expect(await tables(url)).toEqual(['_prisma_migrations', 'good']);
    expect((await recorded(url)).map((r) => r.migration_name)).toEqual(['20260101000000_good']);
    await withClient(url, async (c) => {
      expect((await c.query('SELECT count(*)::int AS n FROM "good"')).rows).toEqual([{ n: 0 }]);
      expect((await c.query(`SELECT count(*)::int AS n FROM pg_type WHERE typname = 'Half'`)).rows).toEqual([
        { n: 0 },
      ]);
      // The lock is released, the session usable: nothing is left in an aborted transaction.
      expect(
        (
          await c.query(
            // This database's locks only: engines of other test files hold advisory locks in theirs.
            `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_database d ON d.oid = l.database
             WHERE l.locktype = 'advisory' AND d.datname = current_database()`,
          )
        ).rows,
      ).toEqual([{ n: 0 }]);
    });

    // Fixed, it applies from where it stopped.
    writeMigration(dir, '20260102000000_bad', 'CREATE TABLE "half" (id INT PRIMARY KEY);');
    expect(await migrate(url, { dir })).toEqual(['20260102000000_bad', '20260103000000_after']);
    expect(await tables(url)).toEqual(['_prisma_migrations', 'after', 'good', 'half']);
  });

  it('runs a `-- qt:no-transaction` migration outside a transaction block, statement by statement', async () => {
    const dir = migrationsDir({
      '20260101000000_table': 'CREATE TABLE "t" (id INT PRIMARY KEY, a TEXT, b TEXT);',
      '20260102000000_indexes': [
        '-- qt:no-transaction',
        '-- CREATE INDEX CONCURRENTLY refuses to run in a transaction block, even an implicit one.',
        'CREATE INDEX CONCURRENTLY IF NOT EXISTS "t_a_idx" ON "t"("a");',
        '/* a; block; comment */ CREATE INDEX CONCURRENTLY IF NOT EXISTS "t_b_idx" ON "t"("b");',
        `CREATE OR REPLACE FUNCTION "t_count"() RETURNS bigint LANGUAGE sql AS $body$ SELECT count(*) FROM "t"; $body$;`,
        `COMMENT ON TABLE "t" IS 'semi;colon and ''quote''';`,
      ].join('\n'),
    });
    const url = await emptyDatabase();
    expect(await migrate(url, { dir })).toEqual(['20260101000000_table', '20260102000000_indexes']);
    await withClient(url, async (c) => {
      const idx = await c.query(`SELECT indexname FROM pg_indexes WHERE tablename = 't' ORDER BY 1`);
      expect(idx.rows.map((r) => r.indexname)).toEqual(['t_a_idx', 't_b_idx', 't_pkey']);
      expect((await c.query('SELECT "t_count"()::int AS n')).rows).toEqual([{ n: 0 }]);
      expect((await c.query(`SELECT obj_description('"t"'::regclass) AS d`)).rows).toEqual([
        { d: "semi;colon and 'quote'" },
      ]);
    });
    expect(await migrate(url, { dir })).toEqual([]);
  });

  it('concurrent runs on an empty database apply each migration exactly once', async () => {
    const url = await emptyDatabase();
    const runs = await Promise.all(Array.from({ length: 4 }, () => migrate(url)));
    expect(runs.flat()).toEqual(names);
    expect(runs.filter((r) => r.length > 0)).toHaveLength(1);
    expect((await recorded(url)).map((r) => r.migration_name)).toEqual(names);
  });

  it('concurrent runs wait for each other even while a slow migration is in progress', async () => {
    const dir = migrationsDir({
      '20260101000000_slow': 'SELECT pg_sleep(0.3); CREATE TABLE "counter" (n INT NOT NULL);',
      '20260102000000_count': 'INSERT INTO "counter" VALUES (1);',
      '20260103000000_more': 'INSERT INTO "counter" VALUES (2);',
    });
    const url = await emptyDatabase();
    // Started a little apart, so that later ones arrive while the first holds the lock.
    const runs = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        new Promise((r) => setTimeout(r, i * 50)).then(() => migrate(url, { dir })),
      ),
    );
    expect(runs.flat()).toEqual(['20260101000000_slow', '20260102000000_count', '20260103000000_more']);
    expect(runs.filter((r) => r.length > 0)).toHaveLength(1);
    expect(await recorded(url)).toHaveLength(3);
    const rows = await withClient(
      url,
      async (c) => (await c.query('SELECT n FROM "counter" ORDER BY n')).rows,
    );
    expect(rows).toEqual([{ n: 1 }, { n: 2 }]);
  });
});
