import type { OrderSide, OrderStatus, OrderType, TimeInForce } from '@qt/shared';

/**
 * What a running strategy looks like to whoever drives it: the live deployment service, and the
 * backtester. Both the WebAssembly instance (WasmStrategy) and plain-TypeScript strategies used as
 * benchmark baselines and test doubles implement it, so the backtester never knows which it runs.
 *
 * Every callback is synchronous and returns the actions the strategy took during that call. A call that
 * trapped returns `{ ok: false }` and its actions are discarded: a batch is applied all or nothing.
 */
export interface StrategyDriver {
  init(params: Readonly<Record<string, number>>, instruments: readonly StrategyInstrument[]): CallOutcome;
  onCandle(instrument: number, candle: CandleEvent): CallOutcome;
  onTrade(instrument: number, trade: TradeEvent): CallOutcome;
  onFill(fill: FillEvent): CallOutcome;
  onOrder(update: OrderUpdateEvent): CallOutcome;
  onTimer(timerId: number, time: number): CallOutcome;
}

/** What the driver's host calls need from the outside: the account view and the clock. */
export interface StrategyHostView {
  now(): number;
  /** Signed base quantity held on the instrument. */
  position(instrument: number): number;
  /** Free balance of the instrument's base (0) or quote (1) asset. */
  freeBalance(instrument: number, which: 0 | 1): number;
}

export interface StrategyInstrument {
  venue: string;
  symbol: string;
  /** Decimal strings, as the instrument catalog holds them. */
  tickSize: string;
  lotSize: string;
}

/** Numbers on purpose: strategies decide on f64 prices; orders go back as decimal strings (OrderIntent). */
export interface CandleEvent {
  intervalSeconds: number;
  openTime: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

export interface TradeEvent {
  time: number;
  price: number;
  quantity: number;
  takerSide: OrderSide;
}

export interface FillEvent {
  handle: number;
  instrument: number;
  side: OrderSide;
  price: number;
  quantity: number;
  fee: number;
  time: number;
}

export interface OrderUpdateEvent {
  handle: number;
  status: OrderStatus;
  /** The risk or matcher code of a rejection, else null. */
  reason: string | null;
}

/**
 * An order the strategy asked for. Quantity and prices are decimal strings already rounded to the
 * instrument's lot (toward zero) and tick (buy limits down, sell limits up), so nothing downstream sees
 * a binary float. `handle` is the strategy's own id for it (unique per deployment), echoed in fills.
 */
export interface OrderIntent {
  kind: 'place';
  handle: number;
  instrument: number;
  side: OrderSide;
  type: OrderType;
  quantity: string;
  price: string | null;
  stopPrice: string | null;
  timeInForce: TimeInForce;
  postOnly: boolean;
}

export interface CancelIntent {
  kind: 'cancel';
  /** A handle from an earlier OrderIntent. */
  handle: number;
}

export interface CancelAllIntent {
  kind: 'cancelAll';
  /** -1 for every instrument. */
  instrument: number;
}

export type StrategyAction = OrderIntent | CancelIntent | CancelAllIntent;

export interface StrategyLogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  time: number;
}

export interface TimerRequest {
  timerId: number;
  /** Absolute time (injected clock) at which onTimer is due. */
  dueAt: number;
}

export type CallOutcome =
  | { ok: true; actions: StrategyAction[]; logs: StrategyLogLine[]; timers: TimerRequest[] }
  | { ok: false; trap: StrategyTrap; logs: StrategyLogLine[] };

/** Why a strategy stopped; `message` is what the user sees. */
export interface StrategyTrap {
  code:
    | 'TRAP' // unreachable, out of bounds, stack overflow, division by zero...
    | 'ABORT' // AssemblyScript abort() with its message
    | 'TIME_BUDGET_EXCEEDED' // the watchdog stopped a call
    | 'INIT_REFUSED' // qt_init returned non-zero
    | 'MEMORY_LIMIT' // the module could not grow further and trapped on it
    | 'STOPPED'; // the sandbox was stopped (or its worker exited) before the call could run
  message: string;
}
