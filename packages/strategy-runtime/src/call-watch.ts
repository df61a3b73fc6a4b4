/**
 * What the watchdog sees of a strategy's worker: slots in a SharedArrayBuffer, written by the worker
 * around every call into the module and read by the main thread on a timer. A runaway module blocks its
 * worker's event loop, so the worker cannot answer a message; shared memory is the one channel that
 * still works. The counter tells a long call apart from two short calls in a row; the start time lets
 * the watchdog measure a call from its real start, not from the tick that first saw it.
 */
export interface CallWatch {
  /** [IN_CALL] 1 while inside the module, else 0; [COUNTER] incremented on every entry. */
  readonly slots: Int32Array;
  /** [0] when the current call started, ms since the epoch with sub-ms precision (comparable across threads). */
  readonly started: Float64Array;
}

const IN_CALL = 0;
const COUNTER = 1;
export const CALL_WATCH_BYTES = 16;

export function createCallWatch(
  buffer: SharedArrayBuffer = new SharedArrayBuffer(CALL_WATCH_BYTES),
): CallWatch {
  return { slots: new Int32Array(buffer, 0, 2), started: new Float64Array(buffer, 8, 1) };
}

/** performance.now() is per-thread; timeOrigin + now is the same clock in every thread. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

export function enterCall(w: CallWatch): void {
  w.started[0] = wallNow(); // published by the atomic stores below
  Atomics.add(w.slots, COUNTER, 1);
  Atomics.store(w.slots, IN_CALL, 1);
}

export function leaveCall(w: CallWatch): void {
  Atomics.store(w.slots, IN_CALL, 0);
}

/** The counter of the call in progress, or -1 when the worker is not inside the module. */
export function currentCall(w: CallWatch): number {
  const counter = Atomics.load(w.slots, COUNTER);
  return Atomics.load(w.slots, IN_CALL) === 1 ? counter : -1;
}

/** When the call in progress started (wallNow() clock); read after currentCall() saw a new counter. */
export function callStartedAt(w: CallWatch): number {
  return w.started[0] as number;
}
