// The raw `qt` host imports, exactly as HOST_IMPORTS in packages/strategy-runtime/src/abi.ts declares them.
// Strategy code should use the typed wrappers (orders.ts, account.ts, log.ts, indicator.ts) instead.
//
// AssemblyScript takes the import module of a `declare function` from the name of its file, so this file is
// called qt.ts and needs no @external("qt", ...) decorators (which TypeScript tooling cannot parse here).

export declare function place_order(
  instrument: i32,
  side: i32,
  type: i32,
  quantity: f64,
  price: f64,
  stopPrice: f64,
  timeInForce: i32,
  postOnly: i32,
): i32;

export declare function cancel_order(handle: i32): i32;

export declare function cancel_all(instrument: i32): i32;

export declare function position(instrument: i32): f64;

export declare function free_balance(instrument: i32, which: i32): f64;

export declare function now(): f64;

export declare function set_timer(delayMs: f64, timerId: i32): i32;

export declare function log(level: i32, ptr: usize, len: i32): void;

export declare function ind_create(kind: i32, p1: f64, p2: f64, p3: f64): i32;

export declare function ind_update(handle: i32, high: f64, low: f64, close: f64, volume: f64): f64;

export declare function ind_value(handle: i32, output: i32): f64;
