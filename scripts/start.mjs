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

// The engine writes JSON lines (LOG_FORMAT=json below); this script shows them as they were asked for:
// human lines on a terminal, the JSON untouched otherwise (LOG_FORMAT=json|pretty overrides).
const askedFormat = env.LOG_FORMAT?.trim().toLowerCase();
const pretty = askedFormat === 'pretty' || (askedFormat !== 'json' && process.stdout.isTTY === true);
const colour = pretty && process.stdout.isTTY === true && !env.NO_COLOR;

// Until the banner is printed, output is held back so that it comes first: then the held warnings and
// errors follow (at most `heldMax` of them, the newest) and the routine start-up lines are only counted.
const heldMax = 200;
const held = [];
let heldRoutine = 0;
let gateOpen = false;

function emit(text, stream) {
  (stream === 'err' ? process.stderr : process.stdout).write(`${text}\n`);
}

function onLine(name, line, stream) {
  if (line.trim() === '') return;
  const entry = parseLog(line);
  if (!gateOpen) {
    if (entry && entry.level < 40) {
      heldRoutine++;
      return;
    }
    if (held.length >= heldMax) held.shift();
    held.push([name, line, stream]);
    return;
  }
  emit(format(name, line, entry), stream);
}

function openGate() {
  if (gateOpen) return;
  gateOpen = true;
  for (const [name, line, stream] of held) emit(format(name, line, parseLog(line)), stream);
  held.length = 0;
  if (heldRoutine > 0)
    emit(dim(`  (${heldRoutine} routine start-up log lines not shown; LOG_LEVEL=warn hides them for good)`));
}

function parseLog(line) {
  if (!line.startsWith('{')) return null;
  try {
    const o = JSON.parse(line);
    return typeof o.level === 'number' && typeof o.msg === 'string' ? o : null;
  } catch {
    return null;
  }
}

const levelNames = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const levelColours = { 10: 90, 20: 90, 30: 32, 40: 33, 50: 31, 60: 31 };
const dim = (t) => (colour ? `\x1b[2m${t}\x1b[0m` : t);
const paint = (code, t) => (colour ? `\x1b[${code}m${t}\x1b[0m` : t);
const skipped = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'instance', 'v']);

/** One human line per log entry: time, level, [venue or component], message, then the other fields. */
function format(name, line, entry) {
  if (!pretty) return line;
  if (!entry) return `${dim(`${name} |`)} ${line}`;
  const time = new Date(typeof entry.time === 'number' ? entry.time : Date.now()).toTimeString().slice(0, 8);
  const level = paint(
    levelColours[entry.level] ?? 0,
    (levelNames[entry.level] ?? String(entry.level)).padEnd(5),
  );
  const tag = entry.venue ?? entry.component ?? entry.module;
  const fields = Object.entries(entry)
    .filter(([k, v]) => !skipped.has(k) && k !== 'venue' && k !== 'component' && k !== 'module' && v !== '')
    .map(([k, v]) => {
      if (k === 'err' && v && typeof v === 'object') return `err=${JSON.stringify(v.message ?? v.type ?? v)}`;
      const text = typeof v === 'string' ? v : JSON.stringify(v);
      return `${k}=${text.length > 160 ? `${text.slice(0, 157)}...` : text}`;
    });
  const msg = entry.level >= 50 ? paint(1, entry.msg) : entry.msg;
  return `${dim(time)} ${level} ${tag ? `${paint(36, `[${tag}]`)} ` : ''}${msg}${fields.length ? ` ${dim(fields.join(' '))}` : ''}`;
}

function pipeLines(name, readable, stream) {
  let rest = '';
  readable.setEncoding('utf8');
  readable.on('data', (chunk) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    // A line without an end that grows past 1 MB is written as it is (a bound on what is held).
    if (rest.length > 1_000_000) {
      lines.push(rest);
      rest = '';
    }
    for (const line of lines) onLine(name, line, stream);
  });
  readable.on('end', () => {
    if (rest) onLine(name, rest, stream);
  });
}

const children = [];
function run(name, cmd, args, opts) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  pipeLines(name, child.stdout, 'out');
  pipeLines(name, child.stderr, 'err');
  children.push(child);
  child.on('exit', (code, signal) => {
    if (!stopping) {
      // Whatever was held back is what explains the exit.
      openGate();
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
  // Stopped before the banner: what was held back (warnings, errors) is shown rather than lost.
  openGate();
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

console.log(`Starting Quant-Trader (the first start sets up the database; this can take a minute)...`);

// Node itself with tsx as a loader (not the tsx wrapper process): the child is the engine, so its exit is
// the engine's, and this script, which carries the engine's log, never goes before it does.
run('engine', process.execPath, ['--import', 'tsx', join(root, 'apps/engine/src/main.ts')], {
  cwd: root,
  env: {
    ...env,
    DATA_DIR: dataDir,
    ENGINE_PORT: enginePort,
    LOG_FORMAT: 'json',
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
await waitReady().catch((err) => {
  openGate();
  throw err;
});

const secretsFile = join(dataDir, 'secrets.json');
const secrets = existsSync(secretsFile) ? JSON.parse(readFileSync(secretsFile, 'utf8')) : {};
const sessionSecret = env.SESSION_SECRET ?? secrets.sessionSecret;
if (!sessionSecret) {
  openGate();
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
openGate();

function marketSourceLine(source) {
  if (source === 'simulator') return 'bundled exchange simulator (offline)';
  if (source === 'off') return 'off';
  return 'live venues (offline? restart with MARKET_SOURCE=simulator)';
}
