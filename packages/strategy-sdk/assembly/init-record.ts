import { SCRATCH, SCRATCH_BYTES } from './scratch';

// The init record (see docs/strategy-abi.md, "Init record"), little-endian and unaligned:
//   u32 paramCount, per param: u16 nameLength, UTF-8 name, f64 value
//   u32 instrumentCount, per instrument: u16 nameLength, UTF-8 "venue:SYMBOL", f64 tickSize, f64 lotSize

const paramNames: string[] = [];
const paramValues: f64[] = [];
const instrumentNames: string[] = [];
const instrumentTicks: f64[] = [];
const instrumentLots: f64[] = [];

/** Where parsing stopped and why, for the log line qt_init writes when it refuses a record. */
export let initRecordError: string = '';

class Reader {
  pos: usize;
  end: usize;
  failed: bool = false;

  constructor(start: usize, end: usize) {
    this.pos = start;
    this.end = end;
  }

  private need(bytes: usize): bool {
    if (this.failed || this.pos + bytes > this.end) {
      this.failed = true;
      return false;
    }
    return true;
  }

  u16(): i32 {
    if (!this.need(2)) return 0;
    const v = <i32>load<u16>(this.pos);
    this.pos += 2;
    return v;
  }

  u32(): u32 {
    if (!this.need(4)) return 0;
    const v = load<u32>(this.pos);
    this.pos += 4;
    return v;
  }

  f64(): f64 {
    if (!this.need(8)) return NaN;
    const v = load<f64>(this.pos);
    this.pos += 8;
    return v;
  }

  text(): string {
    const len = <usize>this.u16();
    if (!this.need(len)) return '';
    const s = String.UTF8.decodeUnsafe(this.pos, len);
    this.pos += len;
    return s;
  }
}

/** Parses the record of `length` bytes at the scratch buffer. Returns false (and sets initRecordError) if malformed. */
export function parseInitRecord(length: i32): bool {
  paramNames.length = 0;
  paramValues.length = 0;
  instrumentNames.length = 0;
  instrumentTicks.length = 0;
  instrumentLots.length = 0;
  initRecordError = '';
  if (length < 8 || length > SCRATCH_BYTES) {
    initRecordError =
      'init record length ' + length.toString() + ' is outside 8..' + SCRATCH_BYTES.toString();
    return false;
  }
  const r = new Reader(SCRATCH, SCRATCH + <usize>length);
  const paramCount = r.u32();
  for (let i: u32 = 0; i < paramCount && !r.failed; i++) {
    const name = r.text();
    const value = r.f64();
    paramNames.push(name);
    paramValues.push(value);
  }
  const instrumentCount = r.u32();
  for (let i: u32 = 0; i < instrumentCount && !r.failed; i++) {
    const name = r.text();
    const tick = r.f64();
    const lot = r.f64();
    instrumentNames.push(name);
    instrumentTicks.push(tick);
    instrumentLots.push(lot);
  }
  if (r.failed) {
    initRecordError =
      'init record is truncated: the field at byte ' +
      (r.pos - SCRATCH).toString() +
      ' does not fit in ' +
      length.toString() +
      ' bytes';
    return false;
  }
  return true;
}

/** The value of the named parameter, or `fallback` when the deployment did not set it. */
export function param(name: string, fallback: f64): f64 {
  for (let i = 0, n = paramNames.length; i < n; i++) {
    if (unchecked(paramNames[i]) == name) return unchecked(paramValues[i]);
  }
  return fallback;
}

/** `param` rounded toward zero to an integer, for periods and counts. */
export function paramInt(name: string, fallback: i32): i32 {
  const v = param(name, <f64>fallback);
  return isFinite(v) ? <i32>v : fallback;
}

export function hasParam(name: string): bool {
  return paramNames.includes(name);
}

export function paramCount(): i32 {
  return paramNames.length;
}

export function paramName(index: i32): string {
  return paramNames[index];
}

export function paramValue(index: i32): f64 {
  return paramValues[index];
}

/** Instruments are addressed by their position in this list in every host call and event. */
export function instrumentCount(): i32 {
  return instrumentNames.length;
}

/** "venue:SYMBOL", e.g. "binance:BTCUSDT". */
export function instrumentName(index: i32): string {
  return instrumentNames[index];
}

/** The index of "venue:SYMBOL", or -1. */
export function instrumentIndex(name: string): i32 {
  return instrumentNames.indexOf(name);
}

export function tickSize(index: i32): f64 {
  return instrumentTicks[index];
}

export function lotSize(index: i32): f64 {
  return instrumentLots[index];
}

/**
 * `quantity` rounded toward zero to a whole number of lots, as the host will round it anyway; handy to
 * decide whether an order would be empty before sending it.
 */
export function floorToLot(index: i32, quantity: f64): f64 {
  const lot = instrumentLots[index];
  if (!(lot > 0)) return quantity;
  // The small nudge keeps 0.3 / 0.1 (= 2.9999999999999996 in binary) at 3 lots; the host's own rounding is
  // exact decimal arithmetic, so this is only a preview.
  return Math.trunc(quantity / lot + 1e-9) * lot;
}
