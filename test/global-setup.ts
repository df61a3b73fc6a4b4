import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate, type RunningPostgres, startEmbeddedPostgres } from '@qt/db';
import { withClient, withDatabase } from '@qt/db/testing';
import type { TestProject } from 'vitest/node';

/**
 * Once per test project: a PostgreSQL server (DATABASE_URL's, else an embedded one in a temp folder)
 * with a template database migrated once. Each test file then copies the template
 * (`createTestDatabase()` from `@qt/db/testing`), and teardown drops everything this run created.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let embedded: RunningPostgres | undefined;
  let tempDir: string | undefined;
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    tempDir = mkdtempSync(join(tmpdir(), 'qt-test-pg-'));
    embedded = await startEmbeddedPostgres({ dataDir: tempDir, port: 54_400 });
    serverUrl = embedded.url;
  }
  const runPrefix = `qt_t_${randomBytes(3).toString('hex')}`;
  const template = `${runPrefix}_template`;
  await withClient(serverUrl, (c) => c.query(`CREATE DATABASE "${template}"`));
  await migrate(withDatabase(serverUrl, template));

  project.provide('qtDbAdminUrl', serverUrl);
  project.provide('qtDbTemplate', template);
  project.provide('qtDbRunPrefix', runPrefix);

  return async () => {
    await withClient(serverUrl, async (c) => {
      const { rows } = await c.query<{ datname: string }>(
        'SELECT datname FROM pg_database WHERE datname LIKE $1',
        [`${runPrefix}_%`],
      );
      for (const { datname } of rows) await c.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    });
    await embedded?.stop();
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  };
}
