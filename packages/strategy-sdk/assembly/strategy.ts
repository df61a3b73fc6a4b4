import { OrderStatusCode } from './abi';
import { Candle, Fill, Trade } from './events';

/**
 * Extend this class and override the callbacks you need, then call register(new MyStrategy()) at the top
 * level of your entry file. Every callback runs inside a host call with a time budget; orders placed during
 * one callback are applied together when it returns, or not at all if it traps.
 */
export class Strategy {
  /** Called once after the params and instruments are known. Return non-zero to refuse to start. */
  onInit(): i32 {
    return 0;
  }

  /** A closed candle on instrument `instrument` (an index into the instrument list). */
  onCandle(instrument: i32, candle: Candle): void {}

  /** A venue trade; only delivered when the entry exports qt_on_trade ("@qt/strategy-sdk/exports-with-trades"). */
  onTrade(instrument: i32, trade: Trade): void {}

  /** A fill of one of this strategy's orders. */
  onFill(fill: Fill): void {}

  /** An order changed status; `reason` is a RejectCode (an i32, so codes newer than this SDK still arrive). */
  onOrder(handle: i32, status: OrderStatusCode, reason: i32): void {}

  /** A timer set with setTimer() fired; `time` is the host clock. */
  onTimer(timerId: i32, time: f64): void {}
}

let registered: Strategy | null = null;

/** Makes `strategy` the one the exported ABI functions dispatch to. Call it once, at the top level. */
export function register(strategy: Strategy): void {
  registered = strategy;
}

export function registeredStrategy(): Strategy | null {
  return registered;
}
