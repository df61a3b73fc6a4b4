/// <reference path="./types/webassembly.d.ts" />
import {
  ABI_VERSION,
  HostError,
  MAX_ACTIONS_PER_CALL,
  OrderStatusCode,
  OrderTypeCode,
  RejectCode,
  SCRATCH_MIN_BYTES,
  Side,
  TimeInForceCode,
} from './abi.ts';
import { type CallWatch, enterCall, leaveCall } from './call-watch.ts';
import type {
  CallOutcome,
  CandleEvent,
  FillEvent,
  OrderUpdateEvent,
  StrategyAction,
  StrategyDriver,
  StrategyHostView,
  StrategyInstrument,
  StrategyLogLine,
  StrategyTrap,
  TimerRequest,
  TradeEvent,
} from './driver.ts';
import { IndicatorTable } from './host/indicator-table.ts';
import { encodeInitRecord } from './host/init-record.ts';
import { readAssemblyScriptString, readUtf8 } from './host/memory-text.ts';
import { parseStep, roundToStep, type Step } from './host/step-rounding.ts';
import { WASM_PAGE_BYTES } from './tier-limits.ts';
import type { ValidatedModule } from './validation/validate-module.ts';

export interface WasmStrategyOptions {
  /** Answers position / free_balance / now during a call. */
  view: StrategyHostView;
  /** Written around every call into the module, for a watchdog on another thread (StrategySandbox). */
  watch?: CallWatch;
  /** Longest log line kept, in UTF-8 bytes (default 1024); longer lines are cut. */
  maxLogBytes?: number;
  /** Log lines kept per call (default 100); the rest are counted in one closing line. */
  maxLogLinesPerCall?: number;
}

type Fn = (...args: number[]) => number | undefined;

interface Exports {
  memory: WebAssembly.Memory;
  qt_abi_version: () => number;
  qt_scratch: () => number;
  qt_init: (len: number) => number;
  qt_on_candle: Fn;
  qt_on_trade?: Fn;
  qt_on_fill?: Fn;
  qt_on_order?: Fn;
  qt_on_timer?: Fn;
}

interface InstrumentSteps {
  tick: Step;
  lot: Step;
}

/** Thrown by the host's `env.abort`; unwinds the module and becomes an ABORT trap. */
class StrategyAbort extends Error {}

/** abi.ts's name -> code tables turned around, code -> name, so argument checks are one array lookup. */
function byCode<K extends string>(table: Readonly<Record<K, number>>): (K | undefined)[] {
  const out: (K | undefined)[] = [];
  for (const [name, code] of Object.entries(table) as [K, number][]) out[code] = name;
  return out;
}
const SIDES = byCode(Side);
const TYPES = byCode(OrderTypeCode);
const TIFS = byCode(TimeInForceCode);
const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
const NO_ACTIONS: StrategyAction[] = Object.freeze([]) as unknown as StrategyAction[];
const NO_LOGS: StrategyLogLine[] = Object.freeze([]) as unknown as StrategyLogLine[];
const NO_TIMERS: TimerRequest[] = Object.freeze([]) as unknown as TimerRequest[];
/** The outcome of a call that did nothing, shared (frozen) so the per-candle path allocates nothing. */
const QUIET: CallOutcome = Object.freeze({ ok: true, actions: NO_ACTIONS, logs: NO_LOGS, timers: NO_TIMERS });

/**
 * A strategy module running in the current thread: the host side of ABI v1 (abi.ts). The backtester
 * runs it directly inside its own worker; the live path runs it inside StrategySandbox's worker, which
 * adds the watchdog. Everything a call does (orders, cancels, timers) is collected and returned only if
 * the call returns normally; after a trap the strategy is failed and every later call returns that trap.
 */
export class WasmStrategy implements StrategyDriver {
  private readonly validated: ValidatedModule;
  private readonly view: StrategyHostView;
  private readonly watch: CallWatch | undefined;
  private readonly maxLogBytes: number;
  private readonly maxLogLines: number;
  private exports: Exports | undefined;
  private steps: InstrumentSteps[] = [];
  private readonly indicators = new IndicatorTable();
  private nextHandle = 1;
  private failure: StrategyTrap | undefined;
  // Per-call buffers, null until the call uses them (most candles place nothing).
  private actions: StrategyAction[] | null = null;
  private logs: StrategyLogLine[] | null = null;
  private timers: TimerRequest[] | null = null;
  private droppedLogs = 0;

  constructor(validated: ValidatedModule, options: WasmStrategyOptions) {
    this.validated = validated;
    this.view = options.view;
    this.watch = options.watch;
    this.maxLogBytes = options.maxLogBytes ?? 1024;
    this.maxLogLines = options.maxLogLinesPerCall ?? 100;
  }

  /** Why the strategy stopped, once it has. */
  get failed(): StrategyTrap | undefined {
    return this.failure;
  }

  init(params: Readonly<Record<string, number>>, instruments: readonly StrategyInstrument[]): CallOutcome {
    if (this.exports !== undefined || this.failure !== undefined) {
      // Not this.fail(): a second init must not stop a strategy that is running.
      return {
        ok: false,
        trap: { code: 'INIT_REFUSED', message: 'init() was already called on this strategy.' },
        logs: [],
      };
    }
    let record: Uint8Array;
    try {
      this.steps = instruments.map((i) => ({ tick: parseStep(i.tickSize), lot: parseStep(i.lotSize) }));
      record = encodeInitRecord(params, instruments);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      return {
        ok: false,
        trap: { code: 'INIT_REFUSED', message: `Bad instruments or parameters: ${why}` },
        logs: [],
      };
    }
    if (record.length > SCRATCH_MIN_BYTES) {
      return this.fail({
        code: 'INIT_REFUSED',
        message: `The parameters and instruments take ${record.length} bytes; the init record holds at most ${SCRATCH_MIN_BYTES}.`,
      });
    }
    this.beginCall();
    if (this.watch) enterCall(this.watch);
    try {
      // The start function (if any) runs here, inside the watched call.
      const instance = new WebAssembly.Instance(this.validated.module, this.imports());
      const ex = instance.exports as unknown as Exports;
      this.exports = ex;
      const version = ex.qt_abi_version();
      if (version !== ABI_VERSION) {
        return this.fail({
          code: 'INIT_REFUSED',
          message: `The module was built for host ABI version ${version}; this host speaks version ${ABI_VERSION}. Rebuild it with the current SDK.`,
        });
      }
      const at = ex.qt_scratch() >>> 0;
      if (at + SCRATCH_MIN_BYTES > ex.memory.buffer.byteLength) {
        return this.fail({
          code: 'INIT_REFUSED',
          message: `qt_scratch() returned ${at}, which leaves less than ${SCRATCH_MIN_BYTES} bytes before the end of memory.`,
        });
      }
      new Uint8Array(ex.memory.buffer, at, record.length).set(record);
      const rc = ex.qt_init(record.length);
      if (rc !== 0)
        return this.fail({
          code: 'INIT_REFUSED',
          message: `qt_init returned ${rc}: the strategy refused to start.`,
        });
      return this.endCall();
    } catch (err) {
      return this.trapped(err);
    } finally {
      if (this.watch) leaveCall(this.watch);
    }
  }

  onCandle(instrument: number, c: CandleEvent): CallOutcome {
    const ex = this.exports;
    if (ex === undefined || this.failure !== undefined) return this.notRunning();
    this.beginCall();
    if (this.watch) enterCall(this.watch);
    try {
      ex.qt_on_candle(instrument, c.intervalSeconds, c.openTime, c.open, c.high, c.low, c.close, c.volume);
      return this.endCall();
    } catch (err) {
      return this.trapped(err);
    } finally {
      if (this.watch) leaveCall(this.watch);
    }
  }

  onTrade(instrument: number, t: TradeEvent): CallOutcome {
    return this.callOptional(
      this.exports?.qt_on_trade,
      instrument,
      t.time,
      t.price,
      t.quantity,
      t.takerSide === 'buy' ? Side.buy : Side.sell,
    );
  }

  onFill(f: FillEvent): CallOutcome {
    return this.callOptional(
      this.exports?.qt_on_fill,
      f.handle,
      f.instrument,
      f.side === 'buy' ? Side.buy : Side.sell,
      f.price,
      f.quantity,
      f.fee,
      f.time,
    );
  }

  onOrder(u: OrderUpdateEvent): CallOutcome {
    return this.callOptional(
      this.exports?.qt_on_order,
      u.handle,
      OrderStatusCode[u.status],
      rejectCode(u.reason),
    );
  }

  onTimer(timerId: number, time: number): CallOutcome {
    return this.callOptional(this.exports?.qt_on_timer, timerId, time);
  }

  private callOptional(fn: Fn | undefined, ...args: number[]): CallOutcome {
    if (this.exports === undefined || this.failure !== undefined) return this.notRunning();
    if (fn === undefined) return QUIET;
    this.beginCall();
    if (this.watch) enterCall(this.watch);
    try {
      fn(...args);
      return this.endCall();
    } catch (err) {
      return this.trapped(err);
    } finally {
      if (this.watch) leaveCall(this.watch);
    }
  }

  private beginCall(): void {
    this.actions = null;
    this.logs = null;
    this.timers = null;
    this.droppedLogs = 0;
  }

  private endCall(): CallOutcome {
    if (this.actions === null && this.logs === null && this.timers === null) return QUIET;
    return {
      ok: true,
      actions: this.actions ?? [],
      logs: this.takeLogs(),
      timers: this.timers ?? [],
    };
  }

  private takeLogs(): StrategyLogLine[] {
    const logs = this.logs ?? [];
    if (this.droppedLogs > 0) {
      logs.push({
        level: 'warn',
        message: `${this.droppedLogs} more log lines in this call were dropped (at most ${this.maxLogLines} per call).`,
        time: this.view.now(),
      });
    }
    return logs;
  }

  private notRunning(): CallOutcome {
    return {
      ok: false,
      trap: this.failure ?? {
        code: 'INIT_REFUSED',
        message: 'The strategy was not started: call init() first.',
      },
      logs: [],
    };
  }

  private fail(trap: StrategyTrap): CallOutcome {
    this.failure = trap;
    return { ok: false, trap, logs: this.takeLogs() };
  }

  private trapped(err: unknown): CallOutcome {
    return this.fail(this.describe(err));
  }

  private describe(err: unknown): StrategyTrap {
    if (err instanceof StrategyAbort) return { code: 'ABORT', message: err.message };
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof RangeError && /call stack/i.test(message)) {
      return { code: 'TRAP', message: `stack overflow (${message}): unbounded recursion in the strategy?` };
    }
    const memory = this.exports?.memory;
    const max = this.validated.memory.maximumPages;
    if (memory !== undefined && memory.buffer.byteLength >= max * WASM_PAGE_BYTES) {
      return {
        code: 'MEMORY_LIMIT',
        message:
          `${message}, with the strategy's memory full at its declared maximum of ${max} pages ` +
          `(${(max * WASM_PAGE_BYTES) / 1048576} MiB): most likely an allocation failed after memory.grow was refused.`,
      };
    }
    return { code: 'TRAP', message };
  }

  private imports(): WebAssembly.Imports {
    return {
      qt: {
        place_order: this.placeOrder.bind(this),
        cancel_order: (handle: number) => {
          if (!(handle >= 1 && handle < this.nextHandle)) return HostError.ERR_UNKNOWN_HANDLE;
          return this.pushAction({ kind: 'cancel', handle });
        },
        cancel_all: (instrument: number) => {
          if (instrument !== -1 && !this.validInstrument(instrument)) return HostError.ERR_BAD_INSTRUMENT;
          return this.pushAction({ kind: 'cancelAll', instrument });
        },
        position: (instrument: number) =>
          this.validInstrument(instrument) ? this.view.position(instrument) : Number.NaN,
        free_balance: (instrument: number, which: number) =>
          this.validInstrument(instrument) && (which === 0 || which === 1)
            ? this.view.freeBalance(instrument, which)
            : Number.NaN,
        now: () => this.view.now(),
        set_timer: (delayMs: number, timerId: number) => {
          if (!(delayMs >= 0) || delayMs === Number.POSITIVE_INFINITY) return HostError.ERR_BAD_ARGUMENT;
          this.timers ??= [];
          if (this.timers.length >= MAX_ACTIONS_PER_CALL) return HostError.ERR_TOO_MANY;
          this.timers.push({ timerId, dueAt: this.view.now() + delayMs });
          return 0;
        },
        log: (level: number, ptr: number, len: number) => {
          this.addLog(
            LEVELS[level] ?? 'info',
            readUtf8(this.memory(), ptr >>> 0, len >>> 0, this.maxLogBytes),
          );
        },
        ind_create: (kind: number, p1: number, p2: number, p3: number) =>
          this.indicators.create(kind, p1, p2, p3),
        ind_update: (h: number, high: number, low: number, close: number, volume: number) =>
          this.indicators.update(h, high, low, close, volume),
        ind_value: (h: number, output: number) => this.indicators.value(h, output),
      },
      env: {
        abort: (msg: number, file: number, line: number, col: number) => {
          const memory = this.memory();
          const text = msg === 0 ? null : readAssemblyScriptString(memory, msg >>> 0, 2048);
          const where = file === 0 ? null : readAssemblyScriptString(memory, file >>> 0, 512);
          throw new StrategyAbort(
            `abort: ${text ?? '(no message)'}${where === null ? '' : ` at ${where}:${line}:${col}`}`,
          );
        },
        trace: (msg: number, n: number, a0: number, a1: number, a2: number, a3: number, a4: number) => {
          const text = readAssemblyScriptString(this.memory(), msg >>> 0, this.maxLogBytes);
          const args = [a0, a1, a2, a3, a4].slice(0, Math.max(0, Math.min(5, n)));
          this.addLog(
            'debug',
            text === null ? null : `trace: ${text}${args.length ? ` ${args.join(', ')}` : ''}`,
          );
        },
      },
    };
  }

  /** Null while the start function runs: the instance (and so its exported memory) does not exist yet. */
  private memory(): WebAssembly.Memory | null {
    return this.exports?.memory ?? null;
  }

  private addLog(level: StrategyLogLine['level'], message: string | null): void {
    this.logs ??= [];
    if (this.logs.length >= this.maxLogLines) {
      this.droppedLogs++;
      return;
    }
    this.logs.push({
      level,
      message: message ?? '(log text outside the strategy memory)',
      time: this.view.now(),
    });
  }

  private validInstrument(i: number): boolean {
    return i >= 0 && i < this.steps.length;
  }

  private pushAction(a: StrategyAction): number {
    this.actions ??= [];
    if (this.actions.length >= MAX_ACTIONS_PER_CALL) return HostError.ERR_TOO_MANY;
    this.actions.push(a);
    return 0;
  }

  private placeOrder(
    instrument: number,
    side: number,
    type: number,
    quantity: number,
    price: number,
    stopPrice: number,
    timeInForce: number,
    postOnly: number,
  ): number {
    const steps = this.steps[instrument];
    if (steps === undefined || instrument < 0) return HostError.ERR_BAD_INSTRUMENT;
    const sideName = SIDES[side];
    const typeName = TYPES[type];
    const tif = TIFS[timeInForce];
    if (sideName === undefined || typeName === undefined || tif === undefined)
      return HostError.ERR_BAD_ARGUMENT;
    if (postOnly !== 0 && postOnly !== 1) return HostError.ERR_BAD_ARGUMENT;
    if (postOnly === 1 && type !== OrderTypeCode.limit) return HostError.ERR_BAD_ARGUMENT;
    const qty = roundToStep(quantity, steps.lot, 'floor');
    if (qty === null) return HostError.ERR_BAD_ARGUMENT;
    // A buy never pays more than asked and a sell never receives less: buy prices round down, sell up.
    const mode = side === Side.buy ? 'floor' : 'ceil';
    let limitPrice: string | null = null;
    if (type === OrderTypeCode.limit || type === OrderTypeCode.stop_limit) {
      limitPrice = roundToStep(price, steps.tick, mode);
      if (limitPrice === null) return HostError.ERR_BAD_ARGUMENT;
    }
    let stop: string | null = null;
    if (type === OrderTypeCode.stop_market || type === OrderTypeCode.stop_limit) {
      stop = roundToStep(stopPrice, steps.tick, mode);
      if (stop === null) return HostError.ERR_BAD_ARGUMENT;
    }
    this.actions ??= [];
    if (this.actions.length >= MAX_ACTIONS_PER_CALL) return HostError.ERR_TOO_MANY;
    const handle = this.nextHandle++;
    this.actions.push({
      kind: 'place',
      handle,
      instrument,
      side: sideName,
      type: typeName,
      quantity: qty,
      price: limitPrice,
      stopPrice: stop,
      timeInForce: tif,
      postOnly: postOnly === 1,
    });
    return handle;
  }
}

function rejectCode(reason: string | null): number {
  if (reason === null) return RejectCode.none;
  return Object.hasOwn(RejectCode, reason) ? RejectCode[reason as keyof typeof RejectCode] : RejectCode.other;
}
