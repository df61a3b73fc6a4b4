// The functions the host calls (REQUIRED_EXPORTS and the optional qt_on_fill / qt_on_order / qt_on_timer of
// packages/strategy-runtime/src/abi.ts), dispatching to the registered Strategy. An entry file re-exports
// them with `export * from "@qt/strategy-sdk/exports"`: only the entry file's exports reach the module.
//
// Each export collects garbage last, if enough has piled up (gc.ts): the runtime never does it by itself.
//
// qt_on_trade lives in exports-with-trades.ts because exporting it makes the host call the module for every
// venue trade; strategies that only look at candles should not pay for that.

import { ABI_VERSION, OrderStatusCode, Side } from './abi';
import { Candle, Fill } from './events';
import { collectIfDue } from './gc';
import { initRecordError, parseInitRecord } from './init-record';
import { log } from './log';
import { SCRATCH } from './scratch';
import { registeredStrategy } from './strategy';

// Not exported: everything this file exports becomes a WebAssembly export of the user's module.
/** qt_init result when the init record is malformed. */
const INIT_BAD_RECORD: i32 = 2;
/** qt_init result when the entry file never called register(). */
const INIT_NO_STRATEGY: i32 = 3;

const candle = new Candle();
const fill = new Fill();

export function qt_abi_version(): i32 {
  return ABI_VERSION;
}

export function qt_scratch(): usize {
  return SCRATCH;
}

export function qt_init(length: i32): i32 {
  if (!parseInitRecord(length)) {
    log.error(initRecordError);
    return INIT_BAD_RECORD;
  }
  const strategy = registeredStrategy();
  if (strategy === null) {
    log.error('no strategy registered: call register(new MyStrategy()) at the top level of the entry file');
    return INIT_NO_STRATEGY;
  }
  const rc = strategy.onInit();
  collectIfDue();
  return rc;
}

export function qt_on_candle(
  instrument: i32,
  intervalSeconds: i32,
  openTime: f64,
  open: f64,
  high: f64,
  low: f64,
  close: f64,
  volume: f64,
): void {
  const strategy = registeredStrategy();
  if (strategy === null) return;
  candle.intervalSeconds = intervalSeconds;
  candle.openTime = openTime;
  candle.open = open;
  candle.high = high;
  candle.low = low;
  candle.close = close;
  candle.volume = volume;
  strategy.onCandle(instrument, candle);
  collectIfDue();
}

export function qt_on_fill(
  handle: i32,
  instrument: i32,
  side: i32,
  price: f64,
  quantity: f64,
  fee: f64,
  time: f64,
): void {
  const strategy = registeredStrategy();
  if (strategy === null) return;
  fill.handle = handle;
  fill.instrument = instrument;
  fill.side = <Side>side;
  fill.price = price;
  fill.quantity = quantity;
  fill.fee = fee;
  fill.time = time;
  strategy.onFill(fill);
  collectIfDue();
}

export function qt_on_order(handle: i32, status: i32, reason: i32): void {
  const strategy = registeredStrategy();
  if (strategy === null) return;
  strategy.onOrder(handle, <OrderStatusCode>status, reason);
  collectIfDue();
}

export function qt_on_timer(timerId: i32, time: f64): void {
  const strategy = registeredStrategy();
  if (strategy === null) return;
  strategy.onTimer(timerId, time);
  collectIfDue();
}
