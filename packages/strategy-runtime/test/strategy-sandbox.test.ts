import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CallOutcome,
  type StrategyHostView,
  StrategySandbox,
  StrategyValidationError,
  TIER_LIMITS,
} from '../src/index.ts';
import { BTC, candle, type StrategyWat, strategyWat, wat } from './fixtures/wat.ts';

const FREE = TIER_LIMITS.FREE;

const view: StrategyHostView = {
  now: () => 1_700_000_000_000,
  position: () => 0.25,
  freeBalance: (_i, which) => (which === 0 ? 1 : 5000),
};

const REPORT = {
  imports: '(import "env" "trace" (func $trace (param i32 i32 f64 f64 f64 f64 f64)))',
  extra: `(data (i32.const 12) "\\02\\00\\00\\00r\\00")
    (func $report (param $x f64)
      (call $trace (i32.const 16) (i32.const 1) (local.get $x) (f64.const 0) (f64.const 0) (f64.const 0) (f64.const 0)))`,
};

function withReport(parts: StrategyWat): StrategyWat {
  return {
    ...parts,
    imports: `${REPORT.imports} ${parts.imports ?? ''}`,
    extra: `${REPORT.extra} ${parts.extra ?? ''}`,
  };
}

function reports(o: CallOutcome): number[] {
  return o.logs.filter((l) => l.message.startsWith('trace: r ')).map((l) => Number(l.message.slice(9)));
}

const sandboxes: StrategySandbox[] = [];

async function launch(parts: StrategyWat = {}, limits = FREE) {
  const sandbox = new StrategySandbox();
  sandboxes.push(sandbox);
  const init = await sandbox.start({
    bytes: await wat(strategyWat(parts)),
    params: { size: 1 },
    instruments: [BTC],
    limits,
    view,
  });
  return { sandbox, init };
}

/** The well-behaved strategy of every test: a buy order on every candle, in its own sandbox. */
let good: StrategySandbox;
let goodCandle = 0;

async function goodTrades(): Promise<number> {
  const t0 = performance.now();
  const out = await good.onCandle(0, candle(100 + (goodCandle++ % 10)));
  const ms = performance.now() - t0;
  expect(out.ok && out.actions).toEqual([
    expect.objectContaining({ kind: 'place', side: 'buy', quantity: '0.01' }),
  ]);
  return ms;
}

/** Keeps the good strategy trading until `p` settles; returns its call latencies (ms) meanwhile. */
async function tradeDuring<T>(p: Promise<T>): Promise<{ result: T; latencies: number[] }> {
  let done = false;
  const settled = p.finally(() => {
    done = true;
  });
  const latencies: number[] = [];
  while (!done) latencies.push(await goodTrades());
  return { result: await settled, latencies };
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
}

beforeAll(async () => {
  const started = await launch();
  expect(started.init.ok).toBe(true);
  good = started.sandbox;
}, 30_000);

afterAll(async () => {
  await Promise.all(sandboxes.map((s) => s.stop()));
});

describe('StrategySandbox', { timeout: 30_000 }, () => {
  it('runs a strategy in its own worker and answers host calls from the snapshot sent with the event', async () => {
    const { sandbox, init } = await launch(
      withReport({
        imports: `(import "qt" "position" (func $position (param i32) (result f64)))
                  (import "qt" "free_balance" (func $free (param i32 i32) (result f64)))
                  (import "qt" "now" (func $now (result f64)))`,
        onCandle: `(call $report (call $position (i32.const 0)))
          (call $report (call $free (i32.const 0) (i32.const 1)))
          (call $report (call $now))
          (drop (call $place (i32.const 0) (i32.const 1) (i32.const 1) (f64.const 0.5) (local.get $c) (f64.const nan) (i32.const 0) (i32.const 0)))`,
      }),
    );
    expect(init.ok).toBe(true);
    expect(sandbox.state).toBe('running');
    expect(sandbox.threadId).toBeGreaterThan(0);
    const out = await sandbox.onCandle(0, candle(100.001));
    expect(reports(out)).toEqual([0.25, 5000, 1_700_000_000_000]);
    expect(out.ok && out.actions).toEqual([
      expect.objectContaining({ handle: 1, side: 'sell', price: '100.01' }),
    ]);
    // Calls are answered in the order they were made.
    const many = await Promise.all([1, 2, 3, 4, 5].map((k) => sandbox.onCandle(0, candle(k))));
    expect(many.map((o) => (o.ok ? o.actions[0] : null))).toEqual(
      [2, 3, 4, 5, 6].map((handle, k) => expect.objectContaining({ handle, price: String(k + 1) })),
    );
    const m = sandbox.metrics();
    expect(m).toMatchObject({ calls: 7, actions: 6, traps: 0 });
    expect(m.maxCallMs).toBeGreaterThan(0);
    expect(sandbox.logs().length).toBeGreaterThanOrEqual(3);
    expect(await goodTrades()).toBeGreaterThan(0);
  });

  it('stops an endless loop in qt_on_candle within the budget while another strategy keeps trading', async () => {
    const { sandbox } = await launch({ onCandle: '(loop $forever (br $forever))' });
    const states: string[] = [];
    const t0 = performance.now();
    const { result, latencies } = await tradeDuring(sandbox.onCandle(0, candle(1)));
    const stoppedAfter = performance.now() - t0;
    expect(result).toMatchObject({ ok: false, trap: { code: 'TIME_BUDGET_EXCEEDED' } });
    if (!result.ok)
      expect(result.trap.message).toMatch(/qt_on_candle ran for more than 50 ms, the FREE tier's budget/);
    expect(stoppedAfter).toBeLessThan(FREE.callBudgetMs + 250);
    expect(sandbox.state).toBe('failed');
    expect(sandbox.reason).toMatch(/^TIME_BUDGET_EXCEEDED/);
    // The other strategy was answered throughout, with latencies far below the runaway's budget.
    expect(latencies.length).toBeGreaterThan(3);
    expect(quantile(latencies, 0.99)).toBeLessThan(FREE.callBudgetMs);
    // The stopped strategy answers every later call with its reason and no actions.
    expect(await sandbox.onCandle(0, candle(1))).toMatchObject({
      ok: false,
      trap: { code: 'TIME_BUDGET_EXCEEDED' },
    });
    states.push(sandbox.state);
    await expect.poll(() => sandbox.metrics().lastRunaway).not.toBeNull();
    expect(sandbox.metrics().lastRunaway?.terminatedAfterMs).toBeLessThan(FREE.callBudgetMs + 250);
    await goodTrades();
  });

  it('stops an endless loop in a start function or in qt_init, during start()', async () => {
    for (const parts of [
      { extra: '(func $boot (loop $forever (br $forever))) (start $boot)' },
      { init: '(loop $forever (br $forever)) (i32.const 0)' },
    ]) {
      const { result } = await tradeDuring(launch(parts));
      expect(result.init).toMatchObject({ ok: false, trap: { code: 'TIME_BUDGET_EXCEEDED' } });
      if (!result.init.ok)
        expect(result.init.trap.message).toMatch(/^instantiation\/qt_init ran for more than 50 ms/);
      expect(result.sandbox.state).toBe('failed');
    }
    await goodTrades();
  });

  it('makes a memory grow bomb fail inside the module and keeps host memory bounded', async () => {
    // Grows one page at a time up to the tier cap, writing to every page so it is really resident.
    const { sandbox, init } = await launch(
      withReport({
        memory: `2 ${FREE.memoryPages}`,
        onCandle: `(local $page i32)
          (block $full (loop $grow
            (local.set $page (memory.grow (i32.const 1)))
            (br_if $full (i32.lt_s (local.get $page) (i32.const 0)))
            (i32.store (i32.mul (local.get $page) (i32.const 65536)) (i32.const 7))
            (br $grow)))
          (call $report (f64.convert_i32_s (memory.size)))
          (call $report (f64.convert_i32_s (memory.grow (i32.const 1000))))
          (if (f64.gt (local.get $c) (f64.const 10)) (then unreachable))`,
      }),
    );
    expect(init.ok).toBe(true);
    const before = process.memoryUsage().rss;
    const { result } = await tradeDuring(sandbox.onCandle(0, candle(1)));
    expect(reports(result)).toEqual([FREE.memoryPages, -1]);
    const grownBy = process.memoryUsage().rss - before;
    // The module's 16 MiB, plus slack for the rest of the process; never the 64 MiB that 1,000 more pages were.
    expect(grownBy).toBeLessThan(FREE.memoryPages * 65_536 + 24 * 1024 * 1024);
    // A module that traps at its memory cap is stopped with a reason that says so.
    const out = await sandbox.onCandle(0, candle(50));
    expect(out).toMatchObject({ ok: false, trap: { code: 'MEMORY_LIMIT' } });
    expect(sandbox.reason).toMatch(/^MEMORY_LIMIT: .*declared maximum of 256 pages/);
    await goodTrades();
  });

  it('refuses hostile modules at start with their validation code, without starting a worker', async () => {
    const cases: [StrategyWat | Uint8Array, string][] = [
      [
        {
          imports: '(import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))',
        },
        'FORBIDDEN_IMPORT',
      ],
      [{ imports: '(import "env" "seed" (func (result f64)))' }, 'FORBIDDEN_IMPORT'],
      [{ imports: '(import "qt" "position" (func (param i32) (result i32)))' }, 'IMPORT_SIGNATURE_MISMATCH'],
      [{ memory: '2' }, 'MEMORY_NO_MAXIMUM'],
      [{ memory: '2 4096' }, 'MEMORY_OVER_CAP'],
      [new Uint8Array(FREE.moduleBytes + 100), 'MODULE_TOO_LARGE'],
      [new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 9]), 'MALFORMED_MODULE'],
    ];
    for (const [parts, code] of cases) {
      const sandbox = new StrategySandbox();
      const bytes = parts instanceof Uint8Array ? parts : await wat(strategyWat(parts));
      const err = await sandbox
        .start({ bytes, params: {}, instruments: [BTC], limits: FREE, view })
        .catch((e) => e);
      expect(err).toBeInstanceOf(StrategyValidationError);
      expect(err.code).toBe(code);
      expect(sandbox.threadId).toBe(-1);
    }
    const missing = strategyWat().replace('(export "qt_on_candle")', '');
    const err = await new StrategySandbox()
      .start({ bytes: await wat(missing), params: {}, instruments: [BTC], limits: FREE, view })
      .catch((e) => e);
    expect(err).toMatchObject({ code: 'MISSING_EXPORT' });
    await goodTrades();
  });

  it('applies nothing of a batch that traps half-way, and records the reason', async () => {
    const { sandbox } = await launch({
      onCandle: `
        (drop (call $place (i32.const 0) (i32.const 0) (i32.const 1) (f64.const 1) (f64.const 100) (f64.const nan) (i32.const 0) (i32.const 0)))
        (drop (call $place (i32.const 0) (i32.const 0) (i32.const 1) (f64.const 1) (f64.const 99) (f64.const nan) (i32.const 0) (i32.const 0)))
        unreachable`,
    });
    const out = await sandbox.onCandle(0, candle(1));
    expect(out).toEqual({
      ok: false,
      trap: { code: 'TRAP', message: expect.stringMatching(/unreachable/) },
      logs: [],
    });
    expect(sandbox.state).toBe('failed');
    expect(sandbox.metrics()).toMatchObject({ actions: 0, traps: 1 });
    expect(sandbox.logs().at(-1)).toMatchObject({
      level: 'error',
      message: expect.stringMatching(/^TRAP: .*unreachable/),
    });
    await goodTrades();
  });

  it('records an AssemblyScript abort message as the reason', async () => {
    const { sandbox } = await launch({
      imports: '(import "env" "abort" (func $abort (param i32 i32 i32 i32)))',
      extra: '(data (i32.const 60) "\\08\\00\\00\\00n\\00o\\00p\\00e\\00")',
      onCandle: '(call $abort (i32.const 64) (i32.const 0) (i32.const 3) (i32.const 9))',
    });
    expect(await sandbox.onCandle(0, candle(1))).toMatchObject({
      ok: false,
      trap: { code: 'ABORT', message: 'abort: nope' },
    });
    expect(sandbox.reason).toBe('ABORT: abort: nope');
  });

  it('pauses, resumes and stops; rate-limits log lines per second', async () => {
    const changes: string[] = [];
    const sandbox = new StrategySandbox({ onStateChange: (s) => changes.push(s) });
    sandboxes.push(sandbox);
    const logging = strategyWat({
      imports: '(import "qt" "log" (func $log (param i32 i32 i32)))',
      extra: '(data (i32.const 100) "hello")',
      onCandle: `(local $k i32) (loop $more
          (call $log (i32.const 1) (i32.const 100) (i32.const 5))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br_if $more (i32.lt_s (local.get $k) (i32.const 30))))`,
    });
    await sandbox.start({ bytes: await wat(logging), params: {}, instruments: [BTC], limits: FREE, view });
    const out = await sandbox.onCandle(0, candle(1));
    // The free tier keeps 20 lines a second; the call's other 10 are counted as dropped, and the host
    // (the deployment's log history and its push to the dashboard) gets only the 20 kept.
    expect(out.logs).toHaveLength(FREE.logLinesPerSecond);
    expect(sandbox.logs()).toEqual(out.logs);
    expect(sandbox.metrics().logLinesDropped).toBe(30 - FREE.logLinesPerSecond);
    sandbox.pause();
    expect(await sandbox.onCandle(0, candle(1))).toEqual({ ok: true, actions: [], logs: [], timers: [] });
    expect(sandbox.metrics().skipped).toBe(1);
    sandbox.resume();
    const inFlight = sandbox.onCandle(0, candle(1));
    await sandbox.stop();
    expect((await inFlight).ok).toBe(true); // a call sent before stop() still completes
    expect(await sandbox.onCandle(0, candle(1))).toMatchObject({ ok: false, trap: { code: 'STOPPED' } });
    expect(changes).toEqual(['running', 'paused', 'running', 'stopped']);
    expect(sandbox.reason).toBe('stopped by its owner');
  });

  it('starts no worker when stopped while its entry is being resolved', async () => {
    const sandbox = new StrategySandbox();
    sandboxes.push(sandbox);
    const starting = sandbox.start({
      bytes: await wat(strategyWat({})),
      params: {},
      instruments: [BTC],
      limits: FREE,
      view,
    });
    await sandbox.stop('cancelled before it ran');
    expect(await starting).toMatchObject({
      ok: false,
      trap: { code: 'STOPPED', message: 'The strategy was cancelled before it ran.' },
    });
    expect(sandbox.threadId).toBe(-1);
  });

  it("still runs a strategy through tsx's loader, the fallback when the worker cannot be bundled", async () => {
    const sandbox = new StrategySandbox({ boot: 'tsx' });
    sandboxes.push(sandbox);
    const init = await sandbox.start({
      bytes: await wat(strategyWat()),
      params: {},
      instruments: [BTC],
      limits: FREE,
      view,
    });
    expect(init.ok).toBe(true);
    const out = await sandbox.onCandle(0, candle(1));
    expect(out.ok && out.actions).toEqual([
      expect.objectContaining({ kind: 'place', side: 'buy', quantity: '0.01' }),
    ]);
  });
});
