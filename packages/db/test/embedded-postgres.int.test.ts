import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { type RunningPostgres, startEmbeddedPostgres } from '../src/embedded/embedded-postgres.ts';
import { anyFreePort, portIsFree } from '../src/embedded/free-port.ts';
import { withClient } from '../src/testing/index.ts';

// The embedded default (no DATABASE_URL): a real PostgreSQL from the `embedded-postgres` package, in a
// folder of its own. One cluster for the whole file: initdb is the slow part.

const dataDir = mkdtempSync(join(tmpdir(), 'qt-embedded-pg-'));
const running = new Set<RunningPostgres>();
const children = new Set<ChildProcess>();
const timings: Record<string, number> = {};

async function start(label: string, port?: number): Promise<RunningPostgres> {
  const t0 = performance.now();
  const pg = await startEmbeddedPostgres({ dataDir, ...(port === undefined ? {} : { port }) });
  timings[label] = Math.round(performance.now() - t0);
  running.add(pg);
  return pg;
}
async function stop(pg: RunningPostgres): Promise<void> {
  await pg.stop();
  running.delete(pg);
}
const query = <T>(url: string, sql: string) => withClient(url, async (c) => (await c.query(sql)).rows as T[]);
const pidFile = join(dataDir, 'postmaster.pid');

/** A postmaster.pid as PostgreSQL writes it, naming `pid`. */
function writePidFile(pid: number, port: number): void {
  const started = Math.floor(Date.now() / 1000);
  writeFileSync(
    pidFile,
    `${pid}\n${dataDir}\n${started}\n${port}\n/tmp\n127.0.0.1\n  5432001    131072\nready   \n`,
  );
}

async function expectStopped(url: string, port: number): Promise<void> {
  expect(existsSync(pidFile), 'postmaster.pid is left behind').toBe(false);
  expect(await portIsFree(port), `port ${port} still taken`).toBe(true);
  await expect(query(url, 'SELECT 1')).rejects.toThrow(/ECONNREFUSED/);
}

afterAll(async () => {
  for (const pg of running) await pg.stop().catch(() => {});
  for (const child of children) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
  console.log(
    `embedded postgres start times: ${Object.entries(timings)
      .map(([k, v]) => `${k} ${v} ms`)
      .join(', ')}`,
  );
});

describe('startEmbeddedPostgres', () => {
  let port: number;

  it('initialises an empty folder, starts on the port asked for, serves queries and stops', async () => {
    port = await anyFreePort();
    const pg = await start('first start (initdb)', port);
    expect(pg.port).toBe(port);
    expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);
    const [row] = await query<{ db: string; v: string }>(
      pg.url,
      'SELECT current_database() AS db, version() AS v',
    );
    expect(row?.db).toBe('quant_trader');
    expect(row?.v).toMatch(/^PostgreSQL \d+/);
    // Listens on 127.0.0.1 only, and asks for the password.
    expect(
      (await query<{ l: string }>(pg.url, `SELECT current_setting('listen_addresses') AS l`))[0]?.l,
    ).toBe('127.0.0.1');
    const noPassword = new URL(pg.url);
    noPassword.password = '';
    await expect(query(noPassword.toString(), 'SELECT 1')).rejects.toThrow(/password/i);

    await query(pg.url, `CREATE TABLE kept (v TEXT); INSERT INTO kept VALUES ('survives restarts')`);
    await stop(pg);
    await expectStopped(pg.url, port);
  });

  it('runs the server in a session of its own, out of reach of a Ctrl-C meant for the process', async () => {
    // A terminal's Ctrl-C signals the whole foreground process group: a server in ours would shut
    // itself down before the engine had flushed.
    const pg = await start('start in its own session', port);
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    const [, , , ppid, pgrp, session] = readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /s, 'x x ')
      .split(' ');
    expect(Number(ppid)).toBe(process.pid); // still ours to stop
    const own = readFileSync('/proc/self/stat', 'utf8')
      .replace(/^.*\) /s, 'x x ')
      .split(' ');
    expect(Number(pgrp)).not.toBe(Number(own[4]));
    expect(Number(session)).toBe(pid); // the session leader: detached from our terminal
    await stop(pg);
    await expectStopped(pg.url, port);
  });

  it('restarts on the same folder with its data', async () => {
    const pg = await start('warm restart', port);
    expect(pg.port).toBe(port);
    expect(await query(pg.url, 'SELECT v FROM kept')).toEqual([{ v: 'survives restarts' }]);
    await stop(pg);
    await expectStopped(pg.url, port);
  });

  it('starts over a stale postmaster.pid whose process is gone', async () => {
    const gone = spawnSync('true').pid;
    expect(() => process.kill(gone, 0)).toThrow(/ESRCH/);
    writePidFile(gone, port);
    const pg = await start('start over a stale pid file', port);
    expect(await query(pg.url, 'SELECT v FROM kept')).toEqual([{ v: 'survives restarts' }]);
    await stop(pg);
    await expectStopped(pg.url, port);
  });

  // PostgreSQL itself refuses these ("lock file already exists"): the pid is alive. Another PostgreSQL
  // (a backend of the system's server, say) must not be taken for ours either.
  it.each([
    ['another program', undefined],
    ['another postgres', 'postgres'],
  ])('starts over a stale postmaster.pid whose pid now belongs to %s', async (_, argv0) => {
    const other = spawn('sleep', ['60'], { stdio: 'ignore', ...(argv0 ? { argv0 } : {}) });
    children.add(other);
    writePidFile(other.pid as number, port);
    const pg = await start(`start over a pid reused by ${argv0 ?? 'sleep'}`, port);
    expect(pg.port).toBe(port);
    expect(await query(pg.url, 'SELECT v FROM kept')).toEqual([{ v: 'survives restarts' }]);
    expect(other.exitCode).toBeNull(); // left alone
    other.kill('SIGKILL');
    await stop(pg);
    await expectStopped(pg.url, port);
  });

  it('moves to a free port when the one asked for is taken', async () => {
    const squatter: Server = createServer();
    await new Promise<void>((r) => squatter.listen(port, '127.0.0.1', r));
    try {
      const pg = await start('start on another port', port);
      expect(pg.port).not.toBe(port);
      expect(await query(pg.url, 'SELECT v FROM kept')).toEqual([{ v: 'survives restarts' }]);
      await stop(pg);
      await expectStopped(pg.url, pg.port);
    } finally {
      await new Promise((r) => squatter.close(r));
    }
  });

  it('says why when the server cannot start', async () => {
    const broken = mkdtempSync(join(tmpdir(), 'qt-embedded-pg-broken-'));
    try {
      writeFileSync(join(broken, 'PG_VERSION'), '9\n'); // a cluster of a version this server cannot read
      const err = await startEmbeddedPostgres({ dataDir: broken, port: await anyFreePort() }).then(
        () => null,
        (e: unknown) => e as Error,
      );
      expect(err?.message).toContain(`embedded postgres did not start in ${broken}`);
      // Followed by the server's own reason (here: not its version, or not readable by the postgres user).
      const reason = err?.message.split('\n').slice(1).join('\n') ?? '';
      expect(reason).toMatch(/FATAL|could not|incompatible|ownership|permission/i);
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });

  it('adopts the server a killed process left running, and stop() waits until it is gone', async () => {
    // A previous run: another process starts the server, then dies without stopping it.
    const module = fileURLToPath(new URL('../src/embedded/embedded-postgres.ts', import.meta.url));
    const code = `
      const { startEmbeddedPostgres } = await import(${JSON.stringify(module)});
      const pg = await startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)}, port: ${port} });
      process.stdout.write(JSON.stringify({ port: pg.port }) + '\\n');
      setInterval(() => {}, 1000);`;
    const previous = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.add(previous);
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      previous.stdout?.on('data', (d) => {
        out += String(d);
        if (out.includes('\n')) resolve(out.trim());
      });
      previous.once('exit', (c) =>
        reject(new Error(`the previous run exited (${c}) before starting postgres`)),
      );
    });
    expect(JSON.parse(line)).toEqual({ port });
    previous.kill('SIGKILL');
    await new Promise((r) => previous.once('exit', r));
    const orphan = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    expect(() => process.kill(orphan, 0)).not.toThrow();

    const logs: string[] = [];
    const t0 = performance.now();
    const pg = await startEmbeddedPostgres({ dataDir, port: await anyFreePort(), log: (m) => logs.push(m) });
    timings['adopt a running server'] = Math.round(performance.now() - t0);
    running.add(pg);
    expect(pg.port).toBe(port); // the server's port, not the one asked for
    expect(logs.join('\n')).toMatch(/adopting/);
    expect(await query(pg.url, 'SELECT v FROM kept')).toEqual([{ v: 'survives restarts' }]);

    await stop(pg);
    await expectStopped(pg.url, port);
    // And the folder starts normally afterwards.
    const again = await start('start after adopted stop', port);
    expect(await query(again.url, 'SELECT count(*)::int AS n FROM kept')).toEqual([{ n: 1 }]);
    await stop(again);
  });

  // Review finding 6: a start that never finishes, or a process that ends while the server starts, must
  // not leave a detached server running that nobody will stop.
  describe('a server that does not become ready', () => {
    /** A copy of the cluster that starts as a standby with hot_standby off: it never accepts connections. */
    function stuckCluster(): string {
      const dir = `${dataDir}-stuck-${Math.random().toString(36).slice(2, 8)}`;
      cpSync(dataDir, dir, { recursive: true, preserveTimestamps: true });
      rmSync(join(dir, 'postmaster.pid'), { force: true });
      writeFileSync(join(dir, 'standby.signal'), '');
      appendFileSync(join(dir, 'postgresql.auto.conf'), "\nhot_standby = 'off'\n");
      if (process.getuid?.() === 0) spawnSync('chown', ['-R', 'postgres:postgres', dir]);
      return dir;
    }
    const serverOf = (dir: string) => {
      const file = join(dir, 'postmaster.pid');
      return existsSync(file) ? Number(readFileSync(file, 'utf8').split('\n')[0]) : null;
    };
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return !/^\S+ \(.*\) [ZX]/s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        return false;
      }
    };
    async function until(check: () => boolean, ms: number, what: string): Promise<void> {
      const deadline = Date.now() + ms;
      while (!check()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const dirs: string[] = [];
    afterAll(() => {
      for (const dir of dirs) {
        const pid = serverOf(dir);
        if (pid !== null && alive(pid)) process.kill(pid, 'SIGKILL');
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('gives the start up after startTimeoutMs, with the server stopped', async () => {
      const dir = stuckCluster();
      dirs.push(dir);
      const t0 = performance.now();
      const err = await startEmbeddedPostgres({
        dataDir: dir,
        port: await anyFreePort(),
        startTimeoutMs: 3_000,
      }).then(
        () => null,
        (e: unknown) => e as Error,
      );
      const tookMs = performance.now() - t0;
      expect(err?.message).toMatch(/not ready within 3000 ms/);
      // The timeout, plus at most the 5 s kill grace, plus slack for a loaded machine.
      expect(tookMs).toBeLessThan(20_000);
      const pid = serverOf(dir);
      expect(pid === null || !alive(pid), `postgres ${pid} left running`).toBe(true);
    }, 60_000);

    it('stops the server when the process exits while the server is still starting', async () => {
      const dir = stuckCluster();
      dirs.push(dir);
      const module = fileURLToPath(new URL('../src/embedded/embedded-postgres.ts', import.meta.url));
      // Exits (as after a Ctrl-C handled by the engine) once the server is running but not yet ready.
      // It prints the server's pid before exiting: by the time this test could read postmaster.pid, the
      // exit handler may already have stopped the server and removed the file (or postgres may not have
      // written the pid into it yet), so the starter reads it while both are certain.
      const code = `
        const { readFileSync } = await import('node:fs');
        const { startEmbeddedPostgres } = await import(${JSON.stringify(module)});
        startEmbeddedPostgres({ dataDir: ${JSON.stringify(dir)}, port: ${await anyFreePort()} }).catch(() => {});
        setInterval(() => {
          let pid = 0;
          try {
            pid = Number(readFileSync(${JSON.stringify(join(dir, 'postmaster.pid'))}, 'utf8').split('\\n')[0]);
          } catch {}
          if (pid > 0) {
            process.stdout.write(String(pid));
            process.exit(0);
          }
        }, 20);`;
      const starter = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      children.add(starter);
      let printed = '';
      starter.stdout?.on('data', (d: Buffer) => {
        printed += d.toString();
      });
      const exit = await new Promise<number | null>((r) => starter.once('exit', r));
      expect(exit).toBe(0);
      const pid = Number(printed.trim());
      expect(pid).toBeGreaterThan(0);
      await until(() => !alive(pid), 30_000, `postgres ${pid} to stop after its starter exited`);
    }, 90_000);
  });
});
