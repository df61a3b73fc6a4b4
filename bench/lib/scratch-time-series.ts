import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  maintainPartitions,
  migrate,
  type RunningPostgres,
  startEmbeddedPostgres,
  withClient,
  withDatabase,
} from '@qt/db';
import { liveClock } from '@qt/shared';
import pg from 'pg';

/**
 * A migrated scratch database `qt_bench_<name>_<random>` with its time-series partitions, on
 * DATABASE_URL's server (or an embedded PostgreSQL in a temp folder when it is unset), handed to `run`
 * with a small pool, and dropped afterwards whatever happens. For the storage benches.
 */
export async function withScratchTimeSeries(
  name: string,
  log: (line: string) => void,
  run: (pool: pg.Pool) => Promise<void>,
): Promise<void> {
  let embedded: RunningPostgres | undefined;
  let dataDir: string | undefined;
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    log('DATABASE_URL unset: an embedded PostgreSQL in a temp folder');
    dataDir = mkdtempSync(join(tmpdir(), `qt-bench-${name}-`));
    // The embedded server runs as another user when this one is root: it must reach the folder.
    if (process.getuid?.() === 0) chmodSync(dataDir, 0o755);
    embedded = await startEmbeddedPostgres({ dataDir, port: 54_900 + Math.floor(Math.random() * 90) });
    serverUrl = embedded.url;
  }
  const dbName = `qt_bench_${name}_${randomBytes(4).toString('hex')}`;
  const admin = serverUrl;
  await withClient(admin, (c) => c.query(`CREATE DATABASE "${dbName}"`));
  const url = withDatabase(admin, dbName);
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  try {
    await migrate(url);
    const partitions = await maintainPartitions(pool, { clock: liveClock });
    log(`storage: ${partitions.mode}, partitions created: ${partitions.created.join(', ')}`);
    await run(pool);
  } finally {
    await pool.end();
    await withClient(admin, (c) => c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`));
    await embedded?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}
