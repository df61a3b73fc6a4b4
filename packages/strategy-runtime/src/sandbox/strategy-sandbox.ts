import { Worker } from 'node:worker_threads';
import { CALL_WATCH_BYTES, createCallWatch } from '../call-watch.ts';
import type {
  CallOutcome,
  CandleEvent,
  FillEvent,
  OrderUpdateEvent,
  StrategyHostView,
  StrategyInstrument,
  StrategyLogLine,
  StrategyTrap,
  TradeEvent,
} from '../driver.ts';
import type { TierLimits } from '../tier-limits.ts';
import { validateStrategyModule } from '../validation/validate-module.ts';
import { workerEntry } from '../worker-bundle.ts';
import { LogRing } from './log-ring.ts';
import {
  CALLBACK_OF,
  type FromWorker,
  type HostSnapshot,
  type SandboxCall,
  type ToWorker,
} from './protocol.ts';
import { sharedWatchdog, type Watchdog, type Watched } from './watchdog.ts';

export type SandboxState = 'starting' | 'running' | 'paused' | 'stopped' | 'failed';

export interface SandboxMetrics {
  /** Calls answered by the module (init included). */
  calls: number;
  /** Time spent inside the module, measured in the worker. */
  totalCallMs: number;
  maxCallMs: number;
  actions: number;
  traps: number;
  /** Events not delivered because the sandbox was paused. */
  skipped: number;
  logLinesDropped: number;
  /** The last runaway: how long its call had run when the watchdog saw it over budget, and when the worker was gone. */
  lastRunaway: { detectedAfterMs: number; terminatedAfterMs: number } | null;
}

export interface SandboxStartOptions {
  bytes: Uint8Array;
  params: Readonly<Record<string, number>>;
  instruments: readonly StrategyInstrument[];
  limits: TierLimits;
  /** Read on the main thread when each event is sent; the module sees that snapshot. */
  view: StrategyHostView;
}

export interface StrategySandboxOptions {
  /** Default: the process-wide one. */
  watchdog?: Watchdog;
  /** Told of every state change, with the reason when it is `failed` or `stopped`. */
  onStateChange?: (state: SandboxState, reason: string | null) => void;
  /** How long the worker may take to boot (load the runtime) before the start counts as failed. */
  bootTimeoutMs?: number;
  /** Lines kept in the log ring (default 500). */
  logCapacity?: number;
  /**
   * How the worker loads the runtime: `bundle` (default) from one plain-JS file built from the sources
   * (worker-bundle.ts), or `tsx` through tsx's loader, which boots and terminates far slower; `bundle`
   * falls back to it, with a warning, when the bundle cannot be built.
   */
  boot?: 'bundle' | 'tsx';
  /** Told once per process why the bundle could not be built. Default: `console.warn`. */
  onBootFallback?: (reason: string) => void;
}

interface Pending {
  kind: SandboxCall['kind'] | 'init';
  resolve(outcome: CallOutcome): void;
}

const WORKER_SOURCE = new URL('../worker/sandbox-worker.ts', import.meta.url);
const TSX_BOOT = new URL('../worker/boot.mjs', import.meta.url);

/**
 * The worker's V8 heap limits: the host side of one strategy needs a few MiB (the runtime's own code,
 * the per-call snapshot and outcome). Linear memory is not V8 heap: it is bounded by the module's
 * declared maximum, which validation caps per tier.
 */
const WORKER_LIMITS = { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16, stackSizeMb: 4 };

const QUIET: CallOutcome = Object.freeze({
  ok: true,
  actions: Object.freeze([]) as unknown as [],
  logs: Object.freeze([]) as unknown as [],
  timers: Object.freeze([]) as unknown as [],
});

/**
 * One strategy in its own worker thread, driven from the main thread: the live path. Calls are
 * answered in the order they were made. A watchdog (shared by all sandboxes) terminates the worker of a
 * call that runs past the tier's budget; because each strategy has its own thread, a runaway one takes
 * no time from the others beyond a share of the CPU until it is stopped.
 */
export class StrategySandbox {
  private worker: Worker | undefined;
  private startCalled = false;
  private watched: Watched | undefined;
  private readonly pending: Pending[] = [];
  private instrumentCount = 0;
  private view: StrategyHostView | undefined;
  private limits: TierLimits | undefined;
  private ring: LogRing | undefined;
  private failure: StrategyTrap | undefined;
  private drained: (() => void) | undefined;
  private readonly watchdog: Watchdog;
  private readonly opts: StrategySandboxOptions;
  private readonly stats: Omit<SandboxMetrics, 'logLinesDropped'> = {
    calls: 0,
    totalCallMs: 0,
    maxCallMs: 0,
    actions: 0,
    traps: 0,
    skipped: 0,
    lastRunaway: null,
  };
  state: SandboxState = 'starting';
  reason: string | null = null;

  constructor(options: StrategySandboxOptions = {}) {
    this.opts = options;
    this.watchdog = options.watchdog ?? sharedWatchdog;
  }

  /**
   * Validates the module (throws StrategyValidationError), starts its worker, instantiates it and runs
   * qt_init under the watchdog. Resolves with the init outcome; the sandbox is `running` when it is ok.
   */
  async start(o: SandboxStartOptions): Promise<CallOutcome> {
    if (this.startCalled || this.state !== 'starting') {
      throw new Error(`start() was already called (the sandbox is ${this.state}).`);
    }
    this.startCalled = true;
    const validated = validateStrategyModule(o.bytes, o.limits);
    this.view = o.view;
    this.limits = o.limits;
    this.instrumentCount = o.instruments.length;
    this.ring = new LogRing(this.opts.logCapacity ?? 500, o.limits.logLinesPerSecond);
    const entry =
      this.opts.boot === 'tsx'
        ? TSX_BOOT
        : await workerEntry(WORKER_SOURCE, {
            fallback: TSX_BOOT,
            ...(this.opts.onBootFallback ? { onFallback: this.opts.onBootFallback } : {}),
          });
    // Stopped while the entry was being resolved (the first start bundles): no worker to start.
    if (this.state !== 'starting') {
      return this.refused({ code: 'STOPPED', message: `The strategy was ${this.reason ?? 'stopped'}.` });
    }
    const watchBuffer = new SharedArrayBuffer(CALL_WATCH_BYTES);
    const worker = new Worker(entry, {
      name: 'strategy-sandbox',
      env: {},
      execArgv: [],
      resourceLimits: WORKER_LIMITS,
    });
    this.worker = worker;
    worker.on('message', (reply: FromWorker) => this.onReply(reply));
    worker.on('error', (err: Error & { code?: string }) =>
      this.fail({
        code: err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'MEMORY_LIMIT' : 'TRAP',
        message: `The sandbox worker failed: ${err.message}`,
      }),
    );
    worker.on('exit', (code) => {
      if (this.state !== 'stopped' && this.state !== 'failed') {
        this.fail({
          code: 'STOPPED',
          message: `The sandbox worker exited unexpectedly (exit code ${code}).`,
        });
      }
    });
    const budgetMs = o.limits.callBudgetMs;
    const watched: Watched = {
      watch: createCallWatch(watchBuffer),
      budgetMs,
      expire: (elapsedMs) => this.expire(elapsedMs),
    };
    this.watched = watched;
    this.watchdog.add(watched);
    const started = this.enqueue('init', {
      t: 'start',
      validated,
      params: { ...o.params },
      instruments: o.instruments.map((i) => ({ ...i })),
      watch: watchBuffer,
      snapshot: this.snapshot(),
    });
    const bootTimeout = setTimeout(() => {
      this.fail({
        code: 'STOPPED',
        message: `The sandbox worker did not start within ${this.opts.bootTimeoutMs ?? 30_000} ms.`,
      });
    }, this.opts.bootTimeoutMs ?? 30_000);
    const outcome = await started;
    clearTimeout(bootTimeout);
    if (outcome.ok && this.state === 'starting') this.setState('running', null);
    return outcome;
  }

  onCandle(instrument: number, event: CandleEvent): Promise<CallOutcome> {
    return this.call({ kind: 'candle', instrument, event });
  }

  onTrade(instrument: number, event: TradeEvent): Promise<CallOutcome> {
    return this.call({ kind: 'trade', instrument, event });
  }

  onFill(event: FillEvent): Promise<CallOutcome> {
    return this.call({ kind: 'fill', event });
  }

  onOrder(event: OrderUpdateEvent): Promise<CallOutcome> {
    return this.call({ kind: 'order', event });
  }

  onTimer(timerId: number, time: number): Promise<CallOutcome> {
    return this.call({ kind: 'timer', timerId, time });
  }

  /** While paused, events are not delivered to the module (each call answers ok with no actions). */
  pause(): void {
    if (this.state === 'running') this.setState('paused', null);
  }

  resume(): void {
    if (this.state === 'paused') this.setState('running', null);
  }

  /** Lets the calls already sent finish (each bounded by the watchdog), then terminates the worker. */
  async stop(reason = 'stopped by its owner'): Promise<void> {
    if (this.state === 'stopped' || this.state === 'failed') return;
    this.setState('stopped', reason);
    if (this.pending.length > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    this.release();
    await this.worker?.terminate();
  }

  metrics(): SandboxMetrics {
    return { ...this.stats, logLinesDropped: this.ring?.dropped ?? 0 };
  }

  /** The last log lines (at most the ring's capacity), oldest first. */
  logs(): StrategyLogLine[] {
    return this.ring?.toArray() ?? [];
  }

  /** The worker's thread id (-1 before start), e.g. to read its resource usage in tests. */
  get threadId(): number {
    return this.worker?.threadId ?? -1;
  }

  private call(call: SandboxCall): Promise<CallOutcome> {
    switch (this.state) {
      case 'failed':
        return Promise.resolve(this.refused(this.failure as StrategyTrap));
      case 'stopped':
        return Promise.resolve(
          this.refused({ code: 'STOPPED', message: `The strategy was ${this.reason ?? 'stopped'}.` }),
        );
      case 'paused':
        this.stats.skipped++;
        return Promise.resolve(QUIET);
      default:
        return this.enqueue(call.kind, { t: 'call', call, snapshot: this.snapshot() });
    }
  }

  private enqueue(kind: Pending['kind'], msg: ToWorker): Promise<CallOutcome> {
    return new Promise((resolve) => {
      this.pending.push({ kind, resolve });
      this.worker?.postMessage(msg);
    });
  }

  private snapshot(): HostSnapshot {
    const view = this.view as StrategyHostView;
    const n = this.instrumentCount;
    const positions = new Array<number>(n);
    const free = new Array<number>(n * 2);
    for (let i = 0; i < n; i++) {
      positions[i] = view.position(i);
      free[i * 2] = view.freeBalance(i, 0);
      free[i * 2 + 1] = view.freeBalance(i, 1);
    }
    return { now: view.now(), positions, free };
  }

  private onReply({ outcome, ms }: FromWorker): void {
    const p = this.pending.shift();
    if (p === undefined) return;
    this.stats.calls++;
    this.stats.totalCallMs += ms;
    if (ms > this.stats.maxCallMs) this.stats.maxCallMs = ms;
    const now = performance.now();
    // Only the lines the ring kept go on to the host (its log history and the push gateway): the rate
    // limit must hold for them too, not just for this ring.
    if (outcome.logs.length > 0) {
      const ring = this.ring;
      outcome.logs = ring ? outcome.logs.filter((line) => ring.push(line, now)) : [];
    }
    if (outcome.ok) {
      this.stats.actions += outcome.actions.length;
      p.resolve(outcome);
    } else {
      p.resolve(outcome);
      this.fail(outcome.trap);
    }
    if (this.pending.length === 0 && this.drained) {
      this.drained();
      this.drained = undefined;
    }
  }

  /** The watchdog saw the call in progress run past the budget: the worker goes, the call fails. */
  private expire(elapsedMs: number): void {
    const head = this.pending[0];
    const limits = this.limits as TierLimits;
    const trap: StrategyTrap = {
      code: 'TIME_BUDGET_EXCEEDED',
      message:
        `${CALLBACK_OF[head?.kind ?? 'candle']} ran for more than ${limits.callBudgetMs} ms, the ${limits.tier} ` +
        "tier's budget per call, and the strategy was stopped. Look for an endless loop or unbounded work per event.",
    };
    const detectedAt = performance.now();
    // The pending calls are answered once the worker is really gone: "stopped" in an outcome is a fact.
    const terminated = (this.worker?.terminate() ?? Promise.resolve()).then(() => {
      this.stats.lastRunaway = {
        detectedAfterMs: elapsedMs,
        terminatedAfterMs: elapsedMs + (performance.now() - detectedAt),
      };
    });
    this.fail(trap, terminated);
  }

  private fail(trap: StrategyTrap, terminated?: Promise<unknown>): void {
    if (this.state === 'failed') return;
    if (this.state === 'stopped' && trap.code === 'STOPPED') return;
    this.failure = trap;
    this.stats.traps++;
    this.ring?.push(
      { level: 'error', message: `${trap.code}: ${trap.message}`, time: this.view?.now() ?? 0 },
      performance.now(),
      true,
    );
    this.setState('failed', `${trap.code}: ${trap.message}`);
    this.release();
    const terminating = terminated ?? this.worker?.terminate() ?? Promise.resolve();
    const pending = this.pending.splice(0);
    const answer = () => {
      for (const p of pending) p.resolve(this.refused(trap));
      this.drained?.();
      this.drained = undefined;
    };
    // A worker that cannot be terminated is still answered for: the outcome must not hang.
    void terminating.then(answer, answer);
  }

  private refused(trap: StrategyTrap): CallOutcome {
    return { ok: false, trap, logs: [] };
  }

  private release(): void {
    if (this.watched) this.watchdog.remove(this.watched);
    this.watched = undefined;
  }

  private setState(state: SandboxState, reason: string | null): void {
    this.state = state;
    this.reason = reason;
    this.opts.onStateChange?.(state, reason);
  }
}
