/**
 * The WebAssembly strategy sandbox: an SMA crossover strategy's callbacks per second.
 *
 *   npx tsx bench/strategy-sandbox.bench.ts          (BENCH_SECONDS=10 by default, in total)
 *   npx tsx bench/strategy-sandbox.bench.ts --wat    (the hand-written WAT module instead of the SDK's)
 *   npx tsx bench/strategy-sandbox.bench.ts --module=old/sma-crossover.wasm   (another build, e.g. the
 *     previous SDK's, for a before/after: run both ways one after the other and compare the ratios)
 *   npx tsx bench/strategy-sandbox.bench.ts --cpu    (in-thread rates per CPU second of the
 *     process instead of per wall second: on a loaded machine the wall clock also counts the time the
 *     thread waited for a core, which lands on whichever case was running and swamps the ratio)
 *   npx tsx bench/strategy-sandbox.bench.ts --in-thread   (part 1 only)
 *
 * 1. In-thread (how backtests run, inside their own worker): WasmStrategy.onCandle over a fixed-seed
 *    random walk of closes, against the same logic written as a plain TypeScript StrategyDriver
 *    (baseline). Both see the same candles, the same host view, and get their orders applied the same
 *    way (an immediate fill that moves the position). The module is the SDK's example
 *    (packages/strategy-sdk/build/sma-crossover.wasm, built by `npm run build -w @qt/strategy-sdk`) when
 *    it exists, else an equivalent module written in WAT below. Latency is per batch of 1,024 candles.
 * 2. The live path: StrategySandbox.onCandle, one call in flight (main thread -> worker -> module ->
 *    back), against a bare worker that echoes the same message (baseline).
 * 3. The watchdog: repeated runaway modules (an endless loop in qt_on_candle); the figure is the time
 *    from the budget's expiry to the call being answered with the worker terminated. Each runaway's
 *    sandbox boots its worker from the bundle (the default) or through tsx's loader (the fallback,
 *    interleaved, as the comparison); their start() times are the boot figure.
 */
import { existsSync, readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import {
  type CallOutcome,
  type CandleEvent,
  type FillEvent,
  type OrderUpdateEvent,
  parseStep,
  roundToStep,
  type StrategyDriver,
  type StrategyHostView,
  type StrategyInstrument,
  StrategySandbox,
  TIER_LIMITS,
  type TradeEvent,
  validateStrategyModule,
  WasmStrategy,
} from '../packages/strategy-runtime/src/index.ts';
import {
  against,
  type BenchResult,
  benchRounds,
  benchSeconds,
  type Case,
  closedLoop,
  interleaved,
  type LoadResult,
  latencyHistogram,
  report,
  round,
  table,
  warmupFor,
} from './lib/measure.ts';

const SECONDS = benchSeconds(10);
const ROUNDS = benchRounds(4);
const CANDLES = 1 << 20;
const BATCH = 1024;
const PARAMS = { fast: 10, slow: 30, quantity: 1 };
const INSTRUMENT: StrategyInstrument = {
  venue: 'binance',
  symbol: 'BTC-USDT',
  tickSize: '0.01',
  lotSize: '0.00001',
};
const LIMITS = TIER_LIMITS.FREE;
const CPU_CLOCK = process.argv.includes('--cpu');
const log = (line: string) => process.stdout.write(`${line}\n`);

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const closes = new Float64Array(CANDLES);
{
  const rnd = mulberry32(42);
  let p = 50_000;
  for (let i = 0; i < CANDLES; i++) {
    p = Math.max(1, p + (rnd() - 0.5) * 100);
    closes[i] = Math.round(p * 100) / 100;
  }
}

/** The SMA crossover of packages/strategy-sdk/examples/sma-crossover.ts, for when that build is absent. */
const SMA_CROSSOVER_WAT = `(module
  (import "qt" "place_order" (func $place (param i32 i32 i32 f64 f64 f64 i32 i32) (result i32)))
  (import "qt" "position" (func $position (param i32) (result f64)))
  (memory (export "memory") 2 2)
  (global $fi (mut i32) (i32.const 0)) (global $fc (mut i32) (i32.const 0)) (global $fsum (mut f64) (f64.const 0))
  (global $si (mut i32) (i32.const 0)) (global $sc (mut i32) (i32.const 0)) (global $ssum (mut f64) (f64.const 0))
  (global $last (mut f64) (f64.const nan))
  (func (export "qt_abi_version") (result i32) (i32.const 1))
  (func (export "qt_scratch") (result i32) (i32.const 2048))
  (func (export "qt_init") (param i32) (result i32) (i32.const 0))
  (func (export "qt_on_candle") (param $i i32) (param $iv i32) (param $t f64)
    (param $o f64) (param $h f64) (param $l f64) (param $c f64) (param $v f64)
    (local $fast f64) (local $slow f64) (local $spread f64) (local $last f64) (local $held f64)
    ;; fast mean: 10 slots at 0
    (if (i32.eq (global.get $fc) (i32.const 10))
      (then (global.set $fsum (f64.sub (global.get $fsum) (f64.load (i32.shl (global.get $fi) (i32.const 3))))))
      (else (global.set $fc (i32.add (global.get $fc) (i32.const 1)))))
    (f64.store (i32.shl (global.get $fi) (i32.const 3)) (local.get $c))
    (global.set $fsum (f64.add (global.get $fsum) (local.get $c)))
    (global.set $fi (select (i32.const 0) (i32.add (global.get $fi) (i32.const 1)) (i32.eq (global.get $fi) (i32.const 9))))
    (local.set $fast (select (f64.div (global.get $fsum) (f64.const 10)) (f64.const nan) (i32.eq (global.get $fc) (i32.const 10))))
    ;; slow mean: 30 slots at 1024
    (if (i32.eq (global.get $sc) (i32.const 30))
      (then (global.set $ssum (f64.sub (global.get $ssum)
        (f64.load (i32.add (i32.const 1024) (i32.shl (global.get $si) (i32.const 3)))))))
      (else (global.set $sc (i32.add (global.get $sc) (i32.const 1)))))
    (f64.store (i32.add (i32.const 1024) (i32.shl (global.get $si) (i32.const 3))) (local.get $c))
    (global.set $ssum (f64.add (global.get $ssum) (local.get $c)))
    (global.set $si (select (i32.const 0) (i32.add (global.get $si) (i32.const 1)) (i32.eq (global.get $si) (i32.const 29))))
    (local.set $slow (select (f64.div (global.get $ssum) (f64.const 30)) (f64.const nan) (i32.eq (global.get $sc) (i32.const 30))))
    (local.set $spread (f64.sub (local.get $fast) (local.get $slow)))
    (local.set $last (global.get $last))
    (global.set $last (local.get $spread))
    (if (i32.and (f64.le (local.get $last) (f64.const 0)) (f64.gt (local.get $spread) (f64.const 0)))
      (then (if (f64.le (call $position (local.get $i)) (f64.const 0))
        (then (drop (call $place (local.get $i) (i32.const 0) (i32.const 0) (f64.const 1)
          (f64.const nan) (f64.const nan) (i32.const 1) (i32.const 0))))))
      (else (if (i32.and (f64.ge (local.get $last) (f64.const 0)) (f64.lt (local.get $spread) (f64.const 0)))
        (then
          (local.set $held (call $position (local.get $i)))
          (if (f64.gt (local.get $held) (f64.const 0))
            (then (drop (call $place (local.get $i) (i32.const 1) (i32.const 0) (local.get $held)
              (f64.const nan) (f64.const nan) (i32.const 1) (i32.const 0))))))))))
)`;

const SDK_WASM = new URL('../packages/strategy-sdk/build/sma-crossover.wasm', import.meta.url);

async function moduleBytes(): Promise<{ bytes: Uint8Array; source: string }> {
  const given = process.argv.find((a) => a.startsWith('--module='))?.slice('--module='.length);
  if (given) return { bytes: readFileSync(given), source: `module ${given}` };
  // `--wat` measures the hand-written module: the host's own overhead without the SDK's code.
  if (!process.argv.includes('--wat') && existsSync(SDK_WASM))
    return { bytes: readFileSync(SDK_WASM), source: 'AssemblyScript SDK example' };
  const wabt = await (await import('wabt')).default();
  const mod = wabt.parseWat('sma-crossover.wat', SMA_CROSSOVER_WAT);
  return { bytes: new Uint8Array(mod.toBinary({}).buffer), source: 'hand-written WAT' };
}

/** The same strategy in plain TypeScript: O(1) rolling means, market orders at the lot. */
class TsSmaCrossover implements StrategyDriver {
  private readonly fast = new RollingMean(PARAMS.fast);
  private readonly slow = new RollingMean(PARAMS.slow);
  private lastSpread = Number.NaN;
  private handle = 1;
  private readonly lot = parseStep(INSTRUMENT.lotSize);
  private static readonly QUIET: CallOutcome = Object.freeze({
    ok: true,
    actions: [],
    logs: [],
    timers: [],
  }) as CallOutcome;

  constructor(private readonly view: StrategyHostView) {}

  init(): CallOutcome {
    return TsSmaCrossover.QUIET;
  }

  onCandle(instrument: number, c: CandleEvent): CallOutcome {
    const spread = this.fast.push(c.close) - this.slow.push(c.close);
    const last = this.lastSpread;
    this.lastSpread = spread;
    if (last <= 0 && spread > 0) {
      if (this.view.position(instrument) <= 0) return this.market(instrument, 'buy', PARAMS.quantity);
    } else if (last >= 0 && spread < 0) {
      const held = this.view.position(instrument);
      if (held > 0) return this.market(instrument, 'sell', held);
    }
    return TsSmaCrossover.QUIET;
  }

  private market(instrument: number, side: 'buy' | 'sell', qty: number): CallOutcome {
    const quantity = roundToStep(qty, this.lot, 'floor');
    if (quantity === null) return TsSmaCrossover.QUIET;
    return {
      ok: true,
      actions: [
        {
          kind: 'place',
          handle: this.handle++,
          instrument,
          side,
          type: 'market',
          quantity,
          price: null,
          stopPrice: null,
          timeInForce: 'IOC',
          postOnly: false,
        },
      ],
      logs: [],
      timers: [],
    };
  }

  onTrade(_i: number, _t: TradeEvent): CallOutcome {
    return TsSmaCrossover.QUIET;
  }
  onFill(_f: FillEvent): CallOutcome {
    return TsSmaCrossover.QUIET;
  }
  onOrder(_u: OrderUpdateEvent): CallOutcome {
    return TsSmaCrossover.QUIET;
  }
  onTimer(): CallOutcome {
    return TsSmaCrossover.QUIET;
  }
}

class RollingMean {
  private readonly window: Float64Array;
  private next = 0;
  private count = 0;
  private sum = 0;
  constructor(private readonly period: number) {
    this.window = new Float64Array(period);
  }
  push(v: number): number {
    if (this.count === this.period) this.sum -= this.window[this.next] as number;
    else this.count++;
    this.window[this.next] = v;
    this.sum += v;
    this.next = this.next + 1 === this.period ? 0 : this.next + 1;
    return this.count === this.period ? this.sum / this.period : Number.NaN;
  }
}

/** A driver fed candles in batches; positions move on every order (an immediate fill), the same for both. */
function inThreadCase(
  name: string,
  make: (view: StrategyHostView) => StrategyDriver,
  counts: { orders: number },
): Case {
  const state = { i: 0, position: 0, orders: 0 };
  const view: StrategyHostView = { now: () => 0, position: () => state.position, freeBalance: () => 1e9 };
  const driver = make(view);
  const init = driver.init(PARAMS, [INSTRUMENT]);
  if (!init.ok) throw new Error(`${name}: init failed: ${init.trap.message}`);
  const c: CandleEvent = { intervalSeconds: 60, openTime: 0, open: 0, high: 0, low: 0, close: 0, volume: 1 };
  // Each case gets its own compiled copy of the loop: one shared call site would see both drivers, go
  // polymorphic and slow both down, measuring V8's inline caches rather than the strategies.
  const loop = new Function(
    'driver',
    'c',
    'closes',
    'state',
    'mask',
    'n',
    `for (let k = 0; k < n; k++) {
      const close = closes[state.i++ & mask];
      c.openTime += 60000;
      c.open = c.high = c.low = c.close = close;
      const out = driver.onCandle(0, c);
      if (!out.ok) throw new Error(out.trap.message);
      for (const a of out.actions) {
        if (a.kind !== 'place') continue;
        state.position += (a.side === 'buy' ? 1 : -1) * Number(a.quantity);
        state.orders++;
      }
    }`,
  ) as (
    d: StrategyDriver,
    c: CandleEvent,
    closes: Float64Array,
    s: typeof state,
    mask: number,
    n: number,
  ) => void;
  const batch = (hist: LoadResult['histogram'] | null) => {
    const t0 = performance.now();
    loop(driver, c, closes, state, CANDLES - 1, BATCH);
    counts.orders = state.orders;
    hist?.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
  };
  return {
    name,
    async run(seconds, warmupSeconds) {
      const warmEnd = performance.now() + warmupSeconds * 1000;
      while (performance.now() < warmEnd) batch(null);
      const histogram = latencyHistogram();
      const started = performance.now();
      const cpuStarted = process.cpuUsage();
      const end = started + seconds * 1000;
      let ops = 0;
      while (performance.now() < end) {
        batch(histogram);
        ops += BATCH;
      }
      const cpu = process.cpuUsage(cpuStarted);
      const elapsed = CPU_CLOCK ? (cpu.user + cpu.system) / 1e6 : (performance.now() - started) / 1000;
      return { ops, seconds: elapsed, histogram };
    },
  };
}

const ECHO_WORKER = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (m) => parentPort.postMessage({ outcome: { ok: true, actions: [], logs: [], timers: [] }, ms: 0, echo: m.t }));
`;

async function liveCases(bytes: Uint8Array): Promise<{ cases: Case[]; close: () => Promise<void> }> {
  let position = 0;
  const view: StrategyHostView = {
    now: () => 1_700_000_000_000,
    position: () => position,
    freeBalance: () => 1e9,
  };
  const sandbox = new StrategySandbox();
  const init = await sandbox.start({
    bytes,
    params: PARAMS,
    instruments: [INSTRUMENT],
    limits: LIMITS,
    view,
  });
  if (!init.ok) throw new Error(`sandbox init failed: ${init.trap.message}`);
  let i = 0;
  const nextCandle = (): CandleEvent => {
    const close = closes[i++ & (CANDLES - 1)] as number;
    return {
      intervalSeconds: 60,
      openTime: i * 60_000,
      open: close,
      high: close,
      low: close,
      close,
      volume: 1,
    };
  };
  const echo = new Worker(ECHO_WORKER, { eval: true, env: {} });
  let resolveEcho: ((v: unknown) => void) | undefined;
  echo.on('message', (m) => resolveEcho?.(m));
  const snapshot = { now: 1_700_000_000_000, positions: [0], free: [1e9, 1e9] };
  return {
    cases: [
      {
        name: 'strategy.sandbox.round-trip',
        run: (s, w) =>
          closedLoop(
            async () => {
              const out = await sandbox.onCandle(0, nextCandle());
              if (!out.ok) throw new Error(out.trap.message);
              for (const a of out.actions)
                if (a.kind === 'place') position += (a.side === 'buy' ? 1 : -1) * Number(a.quantity);
            },
            { seconds: s, warmupSeconds: w, concurrency: 1 },
          ),
      },
      {
        name: 'worker.echo.round-trip',
        run: (s, w) =>
          closedLoop(
            () =>
              new Promise((resolve) => {
                resolveEcho = resolve;
                echo.postMessage({
                  t: 'call',
                  call: { kind: 'candle', instrument: 0, event: nextCandle() },
                  snapshot,
                });
              }),
            { seconds: s, warmupSeconds: w, concurrency: 1 },
          ),
      },
    ],
    close: async () => {
      await sandbox.stop();
      await echo.terminate();
    },
  };
}

type Boot = 'bundle' | 'tsx';

/** What the runaways of one boot mode measured. */
interface StopRuns {
  boot: Boot;
  /** start() to init answered: the worker's boot, the module's instantiation, qt_init. */
  boots: LoadResult['histogram'];
  bootMs: number[];
  /** Past the budget until the call was answered with the worker terminated. */
  stops: LoadResult['histogram'];
  overBudget: number[];
  detection: number[];
  termination: number[];
}

function stopRuns(boot: Boot): StopRuns {
  return {
    boot,
    boots: latencyHistogram(),
    bootMs: [],
    stops: latencyHistogram(),
    overBudget: [],
    detection: [],
    termination: [],
  };
}

async function runaway(bytes: Uint8Array, into: StopRuns | null, boot: Boot): Promise<void> {
  const view: StrategyHostView = { now: () => 0, position: () => 0, freeBalance: () => 0 };
  const sandbox = new StrategySandbox({ boot });
  const b0 = performance.now();
  const init = await sandbox.start({ bytes, params: {}, instruments: [INSTRUMENT], limits: LIMITS, view });
  const bootMs = performance.now() - b0;
  if (!init.ok) throw new Error(init.trap.message);
  const t0 = performance.now();
  const out = await sandbox.onCandle(0, {
    intervalSeconds: 60,
    openTime: 0,
    open: 1,
    high: 1,
    low: 1,
    close: 1,
    volume: 1,
  });
  const ms = performance.now() - t0 - LIMITS.callBudgetMs;
  if (out.ok || out.trap.code !== 'TIME_BUDGET_EXCEEDED')
    throw new Error('the runaway was not stopped by the watchdog');
  if (into === null) return;
  into.bootMs.push(bootMs);
  into.boots.recordValue(Math.max(1, Math.round(bootMs * 1000)));
  into.overBudget.push(ms);
  into.stops.recordValue(Math.max(1, Math.round(ms * 1000)));
  const r = sandbox.metrics().lastRunaway;
  if (r) {
    into.detection.push(r.detectedAfterMs - LIMITS.callBudgetMs);
    into.termination.push(r.terminatedAfterMs - r.detectedAfterMs);
  }
}

/**
 * Runaways started through the bundled worker and through tsx's loader (the fallback, and how every
 * worker booted before), interleaved so both see the same machine load: `perTsx` bundled ones per tsx one.
 */
async function runaways(bytes: Uint8Array, tsxRuns: number, perTsx: number): Promise<BenchResult[]> {
  const bundle = stopRuns('bundle');
  const tsx = stopRuns('tsx');
  // One of each first, unrecorded: the first bundled start may build the bundle.
  await runaway(bytes, null, 'bundle');
  await runaway(bytes, null, 'tsx');
  for (let r = 0; r < tsxRuns; r++) {
    await runaway(bytes, tsx, 'tsx');
    for (let k = 0; k < perTsx; k++) await runaway(bytes, bundle, 'bundle');
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const stop = (s: StopRuns): BenchResult => ({
    bench: s.boot === 'bundle' ? 'strategy.watchdog.stop' : 'strategy.watchdog.stop.tsx',
    throughput: round(1000 / mean(s.overBudget.map((ms) => ms + LIMITS.callBudgetMs)), 2),
    unit: 'runaways stopped/s (budget included)',
    p50_us: s.stops.getValueAtPercentile(50),
    p99_us: s.stops.getValueAtPercentile(99),
    baseline: LIMITS.callBudgetMs,
    baseline_name: `call budget (${LIMITS.tier}, ms)`,
    ratio: round(Math.max(...s.overBudget) / LIMITS.callBudgetMs, 3),
    notes:
      `${s.overBudget.length} runaways (endless loop in qt_on_candle), worker booted via ${s.boot}; p50/p99 = ` +
      `time past the ${LIMITS.callBudgetMs} ms budget until the call was answered with the worker terminated; ` +
      `ratio = worst overshoot / budget. Median split: watchdog saw it ${round(median(s.detection), 1)} ms ` +
      `past the budget, terminate() took ${round(median(s.termination), 1)} ms.`,
  });
  const bootRate = (s: StopRuns) => 1000 / mean(s.bootMs);
  return [
    stop(bundle),
    stop(tsx),
    {
      bench: 'strategy.sandbox.boot',
      throughput: round(bootRate(bundle), 2),
      unit: 'starts/s',
      p50_us: bundle.boots.getValueAtPercentile(50),
      p99_us: bundle.boots.getValueAtPercentile(99),
      baseline: round(bootRate(tsx), 2),
      baseline_name: `tsx boot (p50 ${round(tsx.boots.getValueAtPercentile(50) / 1000)} ms, p99 ${round(tsx.boots.getValueAtPercentile(99) / 1000)} ms)`,
      ratio: round(bootRate(bundle) / bootRate(tsx), 3),
      notes:
        `StrategySandbox.start() until qt_init answered (worker boot, instantiation, init), ${bundle.bootMs.length} ` +
        `through the bundled worker against ${tsx.bootMs.length} through tsx's loader, interleaved.`,
    },
  ];
}

const { bytes, source } = await moduleBytes();
const validated = validateStrategyModule(bytes, LIMITS);
log(`module: ${source}, ${bytes.byteLength} bytes; ${CANDLES} candles (seed 42); ${SECONDS} s in total`);

const wasmOrders = { orders: 0 };
const tsOrders = { orders: 0 };
const inThread = await interleaved(
  [
    inThreadCase('strategy.wasm.sma-crossover', (view) => new WasmStrategy(validated, { view }), wasmOrders),
    inThreadCase('strategy.ts.sma-crossover', (view) => new TsSmaCrossover(view), tsOrders),
  ],
  { seconds: SECONDS * 0.5, rounds: ROUNDS, warmupSeconds: warmupFor(SECONDS * 0.5, ROUNDS) },
  log,
);
const [wasm, ts] = inThread as [(typeof inThread)[0], (typeof inThread)[0]];
const results: BenchResult[] = [
  against(
    wasm,
    ts,
    'candles/s',
    `p50/p99 per ${BATCH}-candle batch; ${CPU_CLOCK ? 'per CPU second; ' : ''}${source}; orders per 1,000 candles: ${round((wasmOrders.orders / wasm.ops) * 1000, 2)} (wasm) vs ${round((tsOrders.orders / ts.ops) * 1000, 2)} (ts)`,
  ),
  against(ts, ts, 'candles/s', `p50/p99 per ${BATCH}-candle batch`),
];

const IN_THREAD_ONLY = process.argv.includes('--in-thread');
if (IN_THREAD_ONLY) {
  for (const r of results) report(r);
  log(table(results));
  process.exit(0);
}
const live = await liveCases(bytes);
const liveRes = await interleaved(
  live.cases,
  { seconds: SECONDS * 0.3, rounds: 2, warmupSeconds: warmupFor(SECONDS * 0.3, 2) },
  log,
);
await live.close();
const [trip, echo] = liveRes as [(typeof liveRes)[0], (typeof liveRes)[0]];
results.push(
  against(trip, echo, 'calls/s', 'one call in flight: main -> worker -> module -> main, snapshot included'),
);
results.push(against(echo, echo, 'calls/s', 'bare worker postMessage echo of the same message'));

const runawayModule = await (async () => {
  const wabt = await (await import('wabt')).default();
  const text = `(module
    (memory (export "memory") 2 2)
    (func (export "qt_abi_version") (result i32) (i32.const 1))
    (func (export "qt_scratch") (result i32) (i32.const 2048))
    (func (export "qt_init") (param i32) (result i32) (i32.const 0))
    (func (export "qt_on_candle") (param i32 i32 f64 f64 f64 f64 f64 f64) (loop $forever (br $forever))))`;
  return new Uint8Array(wabt.parseWat('runaway.wat', text).toBinary({}).buffer);
})();
results.push(...(await runaways(runawayModule, Math.max(5, Math.round(SECONDS)), 4)));

for (const r of results) report(r);
log(table(results));
