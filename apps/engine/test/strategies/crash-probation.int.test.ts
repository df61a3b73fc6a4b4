import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { AppRouter } from '@qt/api';
import { createPrisma } from '@qt/db';
import { createTestDatabase, type TestDatabase } from '@qt/db/testing';
import { createTRPCClient, httpLink } from '@trpc/client';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { strategyWat, wat } from '../../../../packages/strategy-runtime/test/fixtures/wat.ts';
import { type EngineHolder, startEngineHolder } from '../../src/lifecycle/engine-holder.ts';
import { CRASH_STRIKES_TO_FAIL } from '../../src/strategies/start-strategies.ts';
import { StrategyStore } from '../../src/strategies/strategy-store.ts';
import { waitFor } from '../bus/bus-contract.ts';
import { startTestEngine } from '../support/test-engine.ts';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const MAIN = join(REPO, 'apps/engine/src/main.ts');

/** An engine as operators run it: its own process (`node --import tsx main.ts`), killed for real. */
interface EngineProcess {
  child: ChildProcess;
  api: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Crash probation (issue 9 finding 2): a deployment that was running when the engine died abnormally,
 * twice in a row, is failed with ENGINE_CRASH_SUSPECT instead of being restored a third time; a graceful
 * shutdown does not count, and a deployment with one crash behind it runs on. The engines are real
 * processes, killed with SIGKILL; the streak rules themselves are checked on the store, step by step.
 */
describe('crash probation of restored deployments', () => {
  let db: TestDatabase;
  let dataDir: string;
  let running: EngineProcess | undefined;
  /** Every engine process started, so none outlives a failed test. */
  const spawned = new Set<ChildProcess>();
  let sessionSecret: string;
  let token: string;
  let accountId: string;
  let strategyId: string;
  let tenantId: string;
  /** Deployed by the in-process engine of beforeAll, which then stops gracefully. */
  let deploymentA = '';

  async function startEngineProcess(extraEnv: Record<string, string> = {}): Promise<EngineProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
      cwd: REPO,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        DATABASE_URL: db.url,
        ENGINE_PORT: '0',
        // Its own Stripe emulator on a free port: several engines run at once here.
        STRIPE_EMULATOR_PORT: '0',
        SESSION_SECRET: sessionSecret,
        DATA_DIR: dataDir,
        DEMO_USER: 'false',
        MARKET_SOURCE: 'simulator',
        MARKET_SYMBOLS: 'BTC-USDT',
        SIMULATOR_TRADES_PER_SECOND: '20',
        LOG_LEVEL: 'info',
        SHUTDOWN_TIMEOUT_MS: '5000',
        ...extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4_000);
    });
    const api = await new Promise<string>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
      const timer = setTimeout(() => reject(new Error(`engine not ready in 90 s: ${stderr}`)), 90_000);
      lines.on('line', (line) => {
        if (!line.includes('"engine ready"')) return;
        clearTimeout(timer);
        resolve((JSON.parse(line) as { api: string }).api);
      });
      void exited.then(({ code }) => {
        clearTimeout(timer);
        reject(new Error(`engine exited (${code}) before it was ready: ${stderr}`));
      });
    });
    running = { child, api, exited };
    spawned.add(child);
    return running;
  }

  async function kill(engine: EngineProcess, signal: 'SIGKILL' | 'SIGTERM') {
    engine.child.kill(signal);
    const end = await engine.exited;
    running = undefined;
    return end;
  }

  const client = (engine: EngineProcess) =>
    createTRPCClient<AppRouter>({
      links: [httpLink({ url: engine.api, headers: () => ({ authorization: `Bearer ${token}` }) })],
    });

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'qt-probation-'));
    // The tenant, its account and strategy, made through an in-process engine on the same database,
    // which then stops gracefully (so its deployments are released, not suspected).
    const setup = await startTestEngine({
      databaseUrl: db.url,
      marketSource: 'simulator',
      simulatorTradesPerSecond: 20,
      marketSymbols: ['BTC-USDT'],
    });
    // The engines below share its secret, so its session token stays valid across them.
    sessionSecret = setup.sessionSecret;
    try {
      const person = await setup.signUp('probation');
      token = person.token;
      tenantId = person.tenant.id;
      const api = setup.client(token);
      accountId = (await api.paperAccounts.create.mutate({ name: 'probation' })).id;
      await api.paperAccounts.deposit.mutate({ accountId, asset: 'USDT', amount: '1000' });
      const quiet = await wat(strategyWat({ onCandle: '(nop)' }));
      strategyId = (
        await api.strategies.upload.mutate({
          name: 'quiet',
          wasmBase64: Buffer.from(quiet).toString('base64'),
        })
      ).id;
      deploymentA = (
        await api.strategies.deploy.mutate({
          strategyId,
          accountId,
          instruments: [{ venue: 'binance', symbol: 'BTC-USDT' }],
          interval: '1s',
        })
      ).id;
      expect((await api.strategies.deployment.query({ deploymentId: deploymentA })).state).toBe('running');
    } finally {
      await setup.stop();
    }
  }, 120_000);

  afterAll(async () => {
    if (running) await kill(running, 'SIGKILL');
    for (const child of spawned)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await db?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const deploy = (engine: EngineProcess) =>
    client(engine).strategies.deploy.mutate({
      strategyId,
      accountId,
      instruments: [{ venue: 'binance', symbol: 'BTC-USDT' }],
      interval: '1s',
    });
  const view = (engine: EngineProcess, deploymentId: string) =>
    client(engine).strategies.deployment.query({ deploymentId });
  /** Running in this engine and given a candle: the engine really ran it before it died. */
  // Asked every 250 ms, not at waitFor's pace: the FREE plan's request budget (600 per minute) counts
  // these calls too.
  let lastAsked = 0;
  const runs = (engine: EngineProcess, deploymentId: string) =>
    waitFor(
      async () => {
        const wait = lastAsked + 250 - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        lastAsked = Date.now();
        const d = await view(engine, deploymentId);
        return d.state === 'running' && d.metrics.calls >= 2;
      },
      30_000,
      `deployment ${deploymentId} to run`,
    );

  it('fails a deployment running through two engine deaths in a row, not one after a graceful stop', async () => {
    // The in-process engine of beforeAll deployed A and stopped gracefully: no strike for that.
    // Engine 1 restores A, and dies.
    let engine = await startEngineProcess();
    await runs(engine, deploymentA);
    expect((await kill(engine, 'SIGKILL')).signal).toBe('SIGKILL');

    // Engine 2: A is restored on probation (one death behind it; the graceful stop before did not
    // count, or it would have two). B is deployed. The engine dies again.
    engine = await startEngineProcess();
    await runs(engine, deploymentA);
    const b = (await deploy(engine)).id;
    await runs(engine, b);
    expect((await kill(engine, 'SIGKILL')).signal).toBe('SIGKILL');

    // Engine 3: A ran through two deaths in a row: failed, not restored. B had one: it runs.
    engine = await startEngineProcess();
    const suspect = await view(engine, deploymentA);
    expect(suspect.state).toBe('failed');
    expect(suspect.reason).toMatch(/^ENGINE_CRASH_SUSPECT: /);
    await runs(engine, b);
    const listed = await client(engine).strategies.deployments.query();
    expect(listed.find((d) => d.id === deploymentA)?.reason).toMatch(/^ENGINE_CRASH_SUSPECT: /);
    // Redeploying it is the owner's decision, and starts it with a clean record.
    expect((await client(engine).strategies.redeploy.mutate({ deploymentId: deploymentA })).state).toBe(
      'running',
    );
    expect((await kill(engine, 'SIGTERM')).code).toBe(0);
  }, 300_000);

  /** The crash-probation columns of one deployment, as stored. */
  async function probationOf(id: string) {
    const prisma = createPrisma(db.url);
    try {
      return await prisma.strategyDeployment.findUniqueOrThrow({
        where: { id },
        select: { heldBy: true, crashStrikes: true, state: true },
      });
    } finally {
      await prisma.$disconnect();
    }
  }

  it('a new engine taking over from one still running gives no strike, and the old one lets go of nothing it took', async () => {
    // Engine 1 runs A (released by the graceful stop ending the test above).
    const first = await startEngineProcess();
    await runs(first, deploymentA);
    const heldByFirst = (await probationOf(deploymentA)).heldBy;
    expect(heldByFirst).not.toBeNull();
    expect((await probationOf(deploymentA)).crashStrikes).toBe(0);

    // Engine 2 starts while engine 1 still runs (a rolling restart): A is taken over, without a strike
    // (engine 1 did not die). Before holders, this was a strike.
    const secondEnv = { SHUTDOWN_TIMEOUT_MS: '20000' };
    const second = await startEngineProcess(secondEnv);
    await runs(second, deploymentA);
    const taken = await probationOf(deploymentA);
    expect(taken.heldBy).not.toBeNull();
    expect(taken.heldBy).not.toBe(heldByFirst);
    expect(taken.crashStrikes).toBe(0);

    // Engine 1 stops gracefully: it releases only its own rows, so A stays held by engine 2 (before, its
    // release cleared A and a crash of engine 2 would have gone unnoticed).
    running = second;
    first.child.kill('SIGTERM');
    expect((await first.exited).code).toBe(0);
    expect(await probationOf(deploymentA)).toMatchObject({ heldBy: taken.heldBy, crashStrikes: 0 });
  }, 300_000);

  it('a second signal cuts a slow shutdown short without counting as a crash', async () => {
    const engine = running as EngineProcess;
    expect(engine).toBeDefined();
    // A call whose body never finishes arriving: the API waits for it (up to 5 s here), so the
    // shutdown is still under way when the second signal comes.
    const url = new URL(engine.api);
    const stuck: Socket = connect(Number(url.port), url.hostname);
    await new Promise<void>((resolve, reject) => stuck.once('connect', resolve).once('error', reject));
    stuck.write(
      'POST /trpc/strategies.deploy HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
        `Authorization: Bearer ${token}\r\nContent-Length: 1000\r\n\r\n{`,
    );
    try {
      engine.child.kill('SIGTERM');
      // The engine takes signals within 2 s of the first as the same Ctrl-C: this one must come later.
      await new Promise((r) => setTimeout(r, 2_500));
      expect(engine.child.exitCode, 'the shutdown finished before the second signal').toBeNull();
      engine.child.kill('SIGTERM');
      const end = await engine.exited;
      running = undefined;
      // 128 + 15: ended by the operator's signal, not a failure.
      expect(end.code).toBe(143);
    } finally {
      stuck.destroy();
    }
    // Released when the shutdown began: the next start gives no strike.
    expect(await probationOf(deploymentA)).toMatchObject({ heldBy: null, crashStrikes: 0 });
    const next = await startEngineProcess();
    await runs(next, deploymentA);
    expect((await probationOf(deploymentA)).crashStrikes).toBe(0);
    expect((await kill(next, 'SIGTERM')).code).toBe(0);
  }, 300_000);

  it('counts strikes in a row against engines that are gone: a graceful stop or a passed probation clears them, a paused one gets none', async () => {
    const prisma = createPrisma(db.url);
    const holders: EngineHolder[] = [];
    const logger = pino({ level: 'silent' });
    /** An engine process as the store sees it: its holder lock (alive until it dies) and its store. */
    const engine = async () => {
      const holder = await startEngineHolder({ databaseUrl: db.url, instanceId: 'probation', logger });
      holders.push(holder);
      const store = new StrategyStore(prisma, holder.id);
      return {
        store,
        takeUp: () => store.takeUpDeployments(CRASH_STRIKES_TO_FAIL, REASON),
        /** Dies: the lock goes with the process, nothing is released. */
        die: () => holder.stop(),
        async stopGracefully() {
          await store.releaseDeployments();
          await holder.stop();
        },
      };
    };
    const REASON = 'ENGINE_CRASH_SUSPECT: test';
    try {
      let e = await engine();
      await e.takeUp();
      const version = await e.store.version(tenantId, strategyId);
      const make = () =>
        e.store.createDeployment({
          tenantId,
          version,
          accountId,
          instruments: [{ venue: 'binance', symbol: 'BTC-USDT' }],
          interval: '1s',
          params: {},
        });
      const [x, y, paused] = [await make(), await make(), await make()];
      for (const d of [x, y]) await e.store.updateDeployment(d.id, { state: 'running' });
      await e.store.updateDeployment(paused.id, { state: 'paused' });
      const ours = [x.id, y.id, paused.id];
      const strikes = async () =>
        Object.fromEntries(
          (
            await prisma.strategyDeployment.findMany({
              where: { id: { in: ours } },
              select: { id: true, crashStrikes: true, state: true },
            })
          ).map((r) => [r.id, r.state === 'failed' ? 'failed' : r.crashStrikes]),
        );
      // Other deployments of the database (the tests above) take strikes too; only ours are looked at.
      const next = async (end: 'dies' | 'graceful') => {
        await (end === 'dies' ? e.die() : e.stopGracefully());
        e = await engine();
        return e.takeUp();
      };

      await next('graceful'); // taken up after a graceful stop: no strike
      expect(await strikes()).toEqual({ [x.id]: 0, [y.id]: 0, [paused.id]: 0 });
      await next('dies');
      expect(await strikes()).toEqual({ [x.id]: 1, [y.id]: 1, [paused.id]: 0 });
      await next('graceful'); // the streak is broken
      await next('dies'); // died once since
      expect(await strikes()).toEqual({ [x.id]: 1, [y.id]: 1, [paused.id]: 0 });
      await e.store.endProbation(); // this engine outlived the probation
      await e.store.updateDeployment(y.id, { state: 'stopped' });
      await e.store.updateDeployment(y.id, { state: 'running' }); // redeployed: held again, clean record
      const second = await next('dies');
      expect(await strikes()).toEqual({ [x.id]: 1, [y.id]: 1, [paused.id]: 0 });
      const mine = (r: { suspects: { id: string }[] }) =>
        r.suspects.map((s) => s.id).filter((id) => ours.includes(id));
      expect(mine(second)).toEqual([]);
      expect(mine(await next('dies')).sort()).toEqual([x.id, y.id].sort());
      expect(await strikes()).toEqual({ [x.id]: 'failed', [y.id]: 'failed', [paused.id]: 0 });
      expect((await e.store.deployment(tenantId, x.id)).reason).toBe(REASON);

      // An engine still alive (stopping while this one starts) is no crash: its rows are taken over
      // without a strike, and its release and last state writes leave them with the new holder.
      const z = await e.store.createDeployment({
        tenantId,
        version,
        accountId,
        instruments: [{ venue: 'binance', symbol: 'BTC-USDT' }],
        interval: '1s',
        params: {},
      });
      await e.store.updateDeployment(z.id, { state: 'running' });
      const old = e;
      const fresh = await engine();
      await fresh.takeUp();
      const zRow = () =>
        prisma.strategyDeployment.findUniqueOrThrow({
          where: { id: z.id },
          select: { heldBy: true, crashStrikes: true },
        });
      const takenBy = (await zRow()).heldBy;
      expect(await zRow()).toEqual({ heldBy: takenBy, crashStrikes: 0 });
      await old.store.releaseDeployments();
      await old.store.updateDeployment(z.id, { state: 'running' }); // its runner's last write
      await old.die();
      expect(await zRow()).toEqual({ heldBy: takenBy, crashStrikes: 0 });
      // The new engine then dies: that one is a crash.
      e = fresh;
      await next('dies');
      expect((await zRow()).crashStrikes).toBe(1);
    } finally {
      for (const h of holders) await h.stop();
      await prisma.$disconnect();
    }
  });
});
