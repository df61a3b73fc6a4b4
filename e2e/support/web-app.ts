import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const root = resolve(import.meta.dirname, '../..');

export interface WebApp {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

/**
 * The production build of the dashboard, served as in production by `apps/web/server.mjs` (Next.js behind
 * the layer that overwrites X-Forwarded-For with the peer address), pointed at a test engine.
 * `npm run test:e2e` builds it first; a missing build is a setup error with its fix in the message, not a
 * timeout.
 */
export async function startWebApp(opts: {
  port: number;
  engineUrl: string;
  sessionSecret: string;
}): Promise<WebApp> {
  const webDir = join(root, 'apps/web');
  if (!existsSync(join(webDir, '.next/BUILD_ID'))) {
    throw new Error(
      'apps/web has no production build: run `npm run build -w @qt/web` (npm run test:e2e does).',
    );
  }
  const url = `http://127.0.0.1:${opts.port}`;
  let log = '';
  const child: ChildProcess = spawn(
    process.execPath,
    [join(webDir, 'server.mjs'), '-p', String(opts.port), '-H', '127.0.0.1'],
    {
      cwd: webDir,
      env: {
        ...process.env,
        NODE_ENV: 'production',
        ENGINE_URL: opts.engineUrl,
        ENGINE_PUBLIC_URL: opts.engineUrl,
        SESSION_SECRET: opts.sessionSecret,
        NEXTAUTH_SECRET: opts.sessionSecret,
        NEXTAUTH_URL: url,
        NEXT_TELEMETRY_DISABLED: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout?.on('data', (d: Buffer) => {
    log += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    log += d.toString();
  });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`the dashboard server exited early (${child.exitCode}):\n${log}`);
    try {
      const res = await fetch(`${url}/signin`);
      if (res.status < 500) break;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  return {
    url,
    output: () => log,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(5_000).then(() => child.kill('SIGKILL'))]);
    },
  };
}
