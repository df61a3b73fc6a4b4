// Host ABI v1 constants, mirrored from packages/strategy-runtime/src/abi.ts (the source of truth).
// test/abi-constants.test.ts compiles this file and checks every value against the TypeScript side,
// so the two cannot drift apart silently.

export const ABI_VERSION: i32 = 1;
export const SCRATCH_MIN_BYTES: i32 = 65536;
export const MAX_ACTIONS_PER_CALL: i32 = 100;

export enum Side {
  buy = 0,
  sell = 1,
}

export enum OrderTypeCode {
  market = 0,
  limit = 1,
  stop_market = 2,
  stop_limit = 3,
}

export enum TimeInForceCode {
  GTC = 0,
  IOC = 1,
  FOK = 2,
}

/** `new_` because `new` is a reserved word in AssemblyScript; abi.ts calls it `new`. */
export enum OrderStatusCode {
  new_ = 0,
  partially_filled = 1,
  filled = 2,
  canceled = 3,
  rejected = 4,
  expired = 5,
}

/**
 * The `reason` of Strategy.onOrder: why an order was rejected, 0 when it was not. Append-only: a module
 * built against this list keeps reading the codes it knows; compare with `other` for anything newer.
 */
export enum RejectCode {
  none = 0,
  other = 1,
  RISK_KILL_SWITCH = 2,
  RISK_ORDER_RATE = 3,
  RISK_DAILY_LOSS = 4,
  RISK_REDUCE_ONLY = 5,
  RISK_NO_REFERENCE_PRICE = 6,
  RISK_PRICE_BAND = 7,
  RISK_MAX_ORDER_NOTIONAL = 8,
  RISK_MAX_POSITION = 9,
  RISK_MAX_OPEN_ORDERS = 10,
  LEDGER_INSUFFICIENT_FUNDS = 11,
  ORDER_INVALID_TICK = 12,
  ORDER_INVALID_LOT = 13,
  ORDER_BELOW_MIN_NOTIONAL = 14,
  ORDER_INVALID_PRICE = 15,
  POST_ONLY_WOULD_TAKE = 16,
  MARKET_HALTED = 17,
  MARKET_NO_DATA = 18,
}

/** Negative results of host calls. */
export enum HostError {
  ERR_BAD_INSTRUMENT = -1,
  ERR_BAD_ARGUMENT = -2,
  ERR_TOO_MANY = -3,
  ERR_UNKNOWN_HANDLE = -4,
  ERR_BAD_INDICATOR = -5,
}

/** Indicator kinds for ind_create. */
export enum IndicatorKind {
  sma = 1,
  ema = 2,
  rsi = 3,
  macd = 4,
  bbands = 5,
  atr = 6,
  stddev = 7,
}

/** Which asset free_balance reports. */
export enum BalanceAsset {
  base = 0,
  quote = 1,
}

/** Levels of the log import. */
export enum LogLevel {
  debug = 0,
  info = 1,
  warn = 2,
  error = 3,
}
