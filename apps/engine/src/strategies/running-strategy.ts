import type {
  CallOutcome,
  CandleEvent,
  FillEvent,
  OrderUpdateEvent,
  StrategyInstrument,
} from '@qt/strategy-runtime';

/**
 * What the deployment runner needs from a sandboxed strategy. The only implementation wraps the
 * runtime's worker sandbox (sandbox-adapter.ts); the runner is written against this so the account view
 * it sends with every event is explicit: a strategy's `position` / `free_balance` answer from it.
 */
export interface HostSnapshot {
  now: number;
  /** Signed base quantity per instrument index. */
  positions: number[];
  /** Free [base, quote] per instrument index. */
  free: [number, number][];
}

export interface RunningStrategyMetrics {
  calls: number;
  totalCallMicros: number;
  maxCallMicros: number;
  traps: number;
  droppedLogLines: number;
}

export interface RunningStrategy {
  onCandle(instrument: number, candle: CandleEvent, view: HostSnapshot): Promise<CallOutcome>;
  onFill(fill: FillEvent, view: HostSnapshot): Promise<CallOutcome>;
  onOrder(update: OrderUpdateEvent, view: HostSnapshot): Promise<CallOutcome>;
  onTimer(timerId: number, time: number, view: HostSnapshot): Promise<CallOutcome>;
  metrics(): RunningStrategyMetrics;
  stop(): Promise<void>;
}

export interface StartStrategyInput {
  wasm: Uint8Array;
  params: Readonly<Record<string, number>>;
  instruments: readonly StrategyInstrument[];
  tier: 'FREE' | 'PRO' | 'ENTERPRISE';
  /** Who it is, for the runtime's logs. */
  label: string;
  view: HostSnapshot;
}

/** Starts a strategy (instantiate + qt_init under the watchdog); a refused init is a failed outcome. */
export type StartStrategy = (
  input: StartStrategyInput,
) => Promise<
  | { ok: true; strategy: RunningStrategy; outcome: CallOutcome }
  | { ok: false; outcome: Extract<CallOutcome, { ok: false }> }
>;
