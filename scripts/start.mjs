#!/usr/bin/env node
// `npm start`: runs the engine and the dashboard together on the embedded default (or on DATABASE_URL /
// NATS_URL / REDIS_URL when set), prints where to go and how to sign in, and stops both on Ctrl-C.
// The engine starts first: on the embedded default it creates the data folder's secrets, which the
// dashboard needs (the shared SESSION_SECRET).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const root = resolve(import.meta.dirname, '..');
const dev = process.argv.includes('--dev');
const env = { ...process.env };
const enginePort = env.ENGINE_PORT ?? '4000';
const webPort = env.WEB_PORT ?? '3000';
const dataDir = resolve(root, env.DATA_DIR ?? 'data');
const host = env.ENGINE_HOST ?? '127.0.0.1';
// A wildcard bind address is not somewhere a browser can go: point clients at loopback instead.
const reachableHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
const engineUrl = env.ENGINE_URL ?? `http://${reachableHost}:${enginePort}`;
const webUrl = env.NEXTAUTH_URL ?? `http://localhost:${webPort}`;

const children = [];
function run(name, cmd, args, opts) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], ...opts });
  children.push(child);
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`\n${name} exited (${signal ?? code}); stopping.`);
      stop(code ?? 1);
    }
  });
  return child;
}

let stopping = false;
function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  // The engine flushes its last batches, then stops the embedded database (which runs in a process
  // group of its own, so Ctrl-C does not stop it under the engine): wait for it past its own deadline.
  const engineDeadline = Number(env.SHUTDOWN_TIMEOUT_MS ?? 10_000) + 1_000;
  setTimeout(
    () => process.exit(code),
    (Number.isFinite(engineDeadline) ? engineDeadline : 11_000) + 1_000,
  ).unref();
  Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.on('exit', r)) : null))).then(
    () => process.exit(code),
  );
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

const tsx = join(root, 'node_modules/.bin/tsx');
run('engine', tsx, [join(root, 'apps/engine/src/main.ts')], {
  cwd: root,
  env: {
    ...env,
    DATA_DIR: dataDir,
    ENGINE_PORT: enginePort,
    // The dashboard calls the engine from the browser: allow the origin it is actually served from.
    WEB_ORIGINS:
      env.WEB_ORIGINS ?? [webUrl, `http://127.0.0.1:${webPort}`, `http://localhost:${webPort}`].join(','),
    // Base of the links in account emails (verify, reset): where this dashboard is served.
    WEB_PUBLIC_URL: env.WEB_PUBLIC_URL ?? webUrl,
  },
});

async function waitReady() {
  for (let i = 0; i < 600; i++) {
    try {
      const res = await fetch(`${engineUrl}/readyz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error(`engine did not become ready at ${engineUrl}/readyz`);
}
await waitReady();

const secretsFile = join(dataDir, 'secrets.json');
const secrets = existsSync(secretsFile) ? JSON.parse(readFileSync(secretsFile, 'utf8')) : {};
const sessionSecret = env.SESSION_SECRET ?? secrets.sessionSecret;
if (!sessionSecret) {
  console.error('SESSION_SECRET is not set and the engine kept none in the data folder.');
  stop(2);
  await new Promise(() => {}); // stop() exits the process once the engine is down
}
// apps/web/server.mjs rather than `next start`/`next dev`: it overwrites X-Forwarded-For with the
// browser's real address, which the engine's sign-in limits count against.
const webArgs = [join(root, 'apps/web/server.mjs'), ...(dev ? ['--dev'] : []), '-p', webPort];
run('web', process.execPath, webArgs, {
  cwd: join(root, 'apps/web'),
  env: {
    ...env,
    ENGINE_URL: engineUrl,
    SESSION_SECRET: sessionSecret,
    NEXTAUTH_URL: webUrl,
    NEXTAUTH_SECRET: env.NEXTAUTH_SECRET ?? sessionSecret,
  },
});

for (let i = 0; i < 300; i++) {
  try {
    const res = await fetch(`${webUrl}/signin`);
    if (res.status < 500) break;
  } catch {
    // not listening yet
  }
  await sleep(200);
}
const demo = !env.DATABASE_URL || env.DEMO_USER === 'true' ? secrets.demoPassword : undefined;
console.log(`
  Quant-Trader is running.
    Dashboard : ${webUrl}
    API       : ${engineUrl}/trpc   (WebSocket: ${engineUrl.replace(/^http/, 'ws')}/trpc)
${demo ? `    Demo login: demo@quant-trader.local / ${demo}\n` : ''}    Database  : ${env.DATABASE_URL ? 'DATABASE_URL' : `embedded PostgreSQL in ${join(dataDir, 'postgres')}`}
    Bus       : ${env.NATS_URL ? `NATS JetStream at ${env.NATS_URL}` : 'in-process'}
    Markets   : ${marketSourceLine(env.MARKET_SOURCE ?? 'live')}
  Ctrl-C stops both.
`);

function marketSourceLine(source) {
  if (source === 'simulator') return 'bundled exchange simulator (offline)';
  if (source === 'off') return 'off';
  return 'live venues (offline? restart with MARKET_SOURCE=simulator)';
}
