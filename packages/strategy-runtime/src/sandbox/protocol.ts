import type {
  CallOutcome,
  CandleEvent,
  FillEvent,
  OrderUpdateEvent,
  StrategyInstrument,
  TradeEvent,
} from '../driver.ts';
import type { ValidatedModule } from '../validation/validate-module.ts';

/**
 * What the host view answers from during one call, taken on the main thread when the event is sent:
 * host calls inside WebAssembly are synchronous, so the worker cannot ask the main thread mid-call.
 */
export interface HostSnapshot {
  now: number;
  /** Signed base position per instrument. */
  positions: number[];
  /** Free balances, two per instrument: [base0, quote0, base1, quote1, ...]. */
  free: number[];
}

export type SandboxCall =
  | { kind: 'candle'; instrument: number; event: CandleEvent }
  | { kind: 'trade'; instrument: number; event: TradeEvent }
  | { kind: 'fill'; event: FillEvent }
  | { kind: 'order'; event: OrderUpdateEvent }
  | { kind: 'timer'; timerId: number; time: number };

export type ToWorker =
  | {
      t: 'start';
      validated: ValidatedModule;
      params: Record<string, number>;
      instruments: StrategyInstrument[];
      watch: SharedArrayBuffer;
      snapshot: HostSnapshot;
    }
  | { t: 'call'; call: SandboxCall; snapshot: HostSnapshot };

/** One answer per message, in order; `ms` is the time spent inside the module. */
export interface FromWorker {
  outcome: CallOutcome;
  ms: number;
}

/** The export each call kind runs, for messages. */
export const CALLBACK_OF: Readonly<Record<SandboxCall['kind'] | 'init', string>> = {
  init: 'instantiation/qt_init',
  candle: 'qt_on_candle',
  trade: 'qt_on_trade',
  fill: 'qt_on_fill',
  order: 'qt_on_order',
  timer: 'qt_on_timer',
};
