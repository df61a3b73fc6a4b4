import { Side } from './abi';

// Event objects are owned by the SDK and reused for every call (no allocation on the hot path): read them
// during the callback, copy what you want to keep.

/** A closed candle. Times are ms since the epoch on the host clock. */
export class Candle {
  intervalSeconds: i32 = 0;
  openTime: f64 = 0;
  open: f64 = 0;
  high: f64 = 0;
  low: f64 = 0;
  close: f64 = 0;
  volume: f64 = 0;

  /** The time the candle closed. */
  get closeTime(): f64 {
    return this.openTime + <f64>this.intervalSeconds * 1000;
  }
}

/** One trade printed on the venue. */
export class Trade {
  time: f64 = 0;
  price: f64 = 0;
  quantity: f64 = 0;
  takerSide: Side = Side.buy;
}

/** A (partial) fill of one of the strategy's orders; fee is in the quote asset. */
export class Fill {
  handle: i32 = 0;
  instrument: i32 = 0;
  side: Side = Side.buy;
  price: f64 = 0;
  quantity: f64 = 0;
  fee: f64 = 0;
  time: f64 = 0;
}
