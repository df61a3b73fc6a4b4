import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { setTenantTier } from '@qt/api';
import { createTestDatabase, type TestDatabase } from '@qt/db/testing';
import { TIER_RATES } from '@qt/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { apiKeyFor, flood, raw } from './limit-helpers.ts';

const REDIS_URL = process.env.REDIS_URL;
const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const MAIN = join(REPO, 'apps/engine/src/main.ts');

interface EngineProcess {
  child: ChildProcess;
  /** The tRPC base URL, as `raw` wants it in `TestEngine.url`. */
  url: string;
  exited: Promise<unknown>;
}

/**
 * Issue 10: two engine PROCESSES (as operators run them, `node --import tsx main.ts`, each with its own
 * event loop, Redis connection and clock) against one Redis: the combined served rate for one key stays
 * within 5% of the limit. shared-limits.int.test.ts checks the same with two engines in one process; here
 * nothing in memory can be shared by accident.
 */
describe.runIf(REDIS_URL)('one key flooded through two engine processes sharing one Redis', () => {
  let db: TestDatabase;
  const dirs: string[] = [];
  const engines: EngineProcess[] = [];
  let key = '';

  async function startEngineProcess(env: Record<string, string>): Promise<EngineProcess> {
    const dataDir = mkdtempSync(join(tmpdir(), 'qt-rl-proc-'));
    dirs.push(dataDir);
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
      cwd: REPO,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        ENGINE_PORT: '0',
        // Its own Stripe emulator on a free port: several engines run at once here.
        STRIPE_EMULATOR_PORT: '0',
        DATA_DIR: dataDir,
        DEMO_USER: 'false',
        MARKET_SOURCE: 'off',
        RATE_LIMITS: 'true',
        LOG_LEVEL: 'info',
        SHUTDOWN_TIMEOUT_MS: '5000',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4_000);
    });
    const engine: EngineProcess = { child, url: '', exited };
    engines.push(engine);
    engine.url = await new Promise<string>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
      const timer = setTimeout(() => reject(new Error(`engine not ready in 90 s: ${stderr}`)), 90_000);
      lines.on('line', (line) => {
        if (!line.includes('"engine ready"')) return;
        clearTimeout(timer);
        resolve(`${(JSON.parse(line) as { api: string }).api}`);
      });
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`engine exited before it was ready: ${stderr}`));
      });
    });
    return engine;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    const prefix = `qt-rl2p-${randomBytes(4).toString('hex')}`;
    // The tenant and its key are made through an in-process engine on the same database and Redis
    // prefix, which then stops: only the two processes serve the flood.
    let setup: TestEngine | undefined;
    let sessionSecret = '';
    try {
      setup = await startTestEngine({ databaseUrl: db.url, rateLimits: true, redisKeyPrefix: prefix });
      sessionSecret = setup.sessionSecret;
      const me = await setup.signUp('two-processes');
      await setTenantTier(setup.engine.api, me.tenant.id, 'PRO');
      key = await apiKeyFor(setup, me.token, ['read']);
    } finally {
      await setup?.stop();
    }
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: REDIS_URL ?? '',
      REDIS_KEY_PREFIX: prefix,
      SESSION_SECRET: sessionSecret,
    };
    // One after the other: two cold `tsx` starts at once on a loaded 2-core host take much longer.
    await startEngineProcess({ ...env, INSTANCE_ID: 'p1' });
    await startEngineProcess({ ...env, INSTANCE_ID: 'p2' });
  }, 240_000);

  afterAll(async () => {
    for (const e of engines)
      if (e.child.exitCode === null && e.child.signalCode === null) e.child.kill('SIGTERM');
    await Promise.all(engines.map((e) => e.exited));
    await db?.drop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }, 60_000);

  it('serves the key within 5% of its limit, however the calls are spread', async () => {
    const views = engines.map((e) => ({ url: e.url }) as TestEngine);
    const rate = TIER_RATES.PRO.perKey.limit / TIER_RATES.PRO.perKey.windowSeconds;
    // Spend the burst first, through both processes, until both refuse.
    for (const view of views) {
      const deadline = Date.now() + 30_000;
      while ((await raw(view, key, 'accounts.tenant')).status !== 429) {
        if (Date.now() > deadline) throw new Error('the burst was never spent');
      }
    }
    // Then both processes flooded at once, far above the rate, for 10 s: only the rate gets through.
    const seconds = 10;
    const started = Date.now();
    const end = started + seconds * 1000;
    const served = [0, 0];
    let refused = 0;
    // Anything but 200 or RATE_LIMITED fails the test: a process answering errors while the other fills
    // the bucket must not pass for an accurate limit.
    const unexpected: string[] = [];
    await Promise.all(
      views.map((view, i) =>
        flood(1_000_000, 6, async () => {
          if (Date.now() >= end) return;
          const r = await raw(view, key, 'accounts.tenant');
          if (r.status === 200) served[i] = (served[i] ?? 0) + 1;
          else if (r.status === 429 && r.appCode === 'RATE_LIMITED') refused++;
          else if (unexpected.length < 20) unexpected.push(`process ${i}: ${r.status} ${r.appCode}`);
        }),
      ),
    );
    expect(unexpected).toEqual([]);
    const total = (served[0] ?? 0) + (served[1] ?? 0);
    const expected = rate * seconds;
    // eslint-disable-next-line no-console
    console.log(
      `two processes: served ${total} (${served.join(' + ')}) in ${((Date.now() - started) / 1000).toFixed(2)} s (limit ${expected}), refused ${refused}`,
    );
    // Both processes really served (neither was down, nor refused everything by itself).
    expect(Math.min(...served)).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(total);
    expect(Math.abs(total - expected) / expected).toBeLessThanOrEqual(0.05);
  }, 90_000);
});
