import { BalanceAsset } from './abi';
import * as qt from './qt';

/** Signed base quantity held on the instrument (negative only where shorting is possible). */
export function position(instrument: i32): f64 {
  return qt.position(instrument);
}

/** Free (not reserved by open orders) balance of the instrument's base asset. */
export function freeBase(instrument: i32): f64 {
  return qt.free_balance(instrument, BalanceAsset.base);
}

/** Free balance of the instrument's quote asset. */
export function freeQuote(instrument: i32): f64 {
  return qt.free_balance(instrument, BalanceAsset.quote);
}

/**
 * The host's clock in ms since the epoch: wall-clock time live, the replayed time in a backtest. It is the
 * only clock a strategy has (there is no Date.now, and no Math.random), which keeps replays deterministic.
 */
export function now(): f64 {
  return qt.now();
}

/** Asks for Strategy.onTimer(timerId, time) once, `delayMs` from now on the host clock. 0 or a HostError. */
export function setTimer(delayMs: f64, timerId: i32): i32 {
  return qt.set_timer(delayMs, timerId);
}
