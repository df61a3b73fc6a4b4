/**
 * The strategy host ABI, version 1: the single source of truth for names, signatures and codes.
 * docs/strategy-abi.md explains it for strategy authors; the SDK (packages/strategy-sdk) mirrors these
 * numbers in AssemblyScript, and a test checks that the two agree.
 *
 * Why numbers and not JSON: events cross as numeric call arguments (V8 passes i32/f64 to WebAssembly at
 * about the cost of a JS call; i64 would become a BigInt, so there is none), and the two variable-length
 * records (init, log text) cross through a scratch buffer the module owns.
 */

export const ABI_VERSION = 1;

/** The only import module names a strategy may use. `env` is allowed for AssemblyScript's runtime hooks. */
export const HOST_MODULE = 'qt';

/** Import name -> WebAssembly signature, `params -> results` with i32/f64 only. */
export const HOST_IMPORTS = {
  /** (instrument, side, type, quantity, price, stopPrice, timeInForce, postOnly) -> handle > 0 | error < 0 */
  place_order: 'i32 i32 i32 f64 f64 f64 i32 i32 -> i32',
  /** (handle) -> 0 | error < 0 */
  cancel_order: 'i32 -> i32',
  /** (instrument, or -1 for all) -> 0 | error < 0 */
  cancel_all: 'i32 -> i32',
  /** (instrument) -> signed base quantity held */
  position: 'i32 -> f64',
  /** (instrument, which: 0 base | 1 quote) -> free balance of that asset */
  free_balance: 'i32 i32 -> f64',
  /** () -> the injected clock, ms since epoch (replay time in a backtest) */
  now: ' -> f64',
  /** (delayMs, timerId) -> 0 | error < 0: calls qt_on_timer(timerId, time) once, later */
  set_timer: 'f64 i32 -> i32',
  /** (level 0 debug | 1 info | 2 warn | 3 error, ptr, len): UTF-8 text in the module's memory */
  log: 'i32 i32 i32 -> ',
  /** (kind, p1, p2, p3) -> indicator handle > 0 | error < 0 (kinds: IndicatorKind) */
  ind_create: 'i32 f64 f64 f64 -> i32',
  /** (handle, high, low, close, volume) -> the indicator's main output, NaN while warming up */
  ind_update: 'i32 f64 f64 f64 f64 -> f64',
  /** (handle, output index) -> that output's latest value (e.g. MACD 0 macd, 1 signal, 2 histogram) */
  ind_value: 'i32 i32 -> f64',
} as const;
export type HostImportName = keyof typeof HOST_IMPORTS;

/**
 * AssemblyScript's runtime imports. `abort` becomes a trap with the message; `trace` becomes a log line.
 * Nothing else from `env` (notably not `seed`, which would make runs non-deterministic).
 */
export const ENV_IMPORTS = {
  abort: 'i32 i32 i32 i32 -> ',
  trace: 'i32 i32 f64 f64 f64 f64 f64 -> ',
} as const;

/** Exports every module must have. */
export const REQUIRED_EXPORTS = {
  memory: 'memory',
  /** () -> ABI_VERSION */
  qt_abi_version: ' -> i32',
  /** () -> pointer to a scratch buffer of at least SCRATCH_MIN_BYTES the host may write */
  qt_scratch: ' -> i32',
  /** (length of the init record written at qt_scratch()) -> 0 ok | non-zero: the strategy refuses to start */
  qt_init: 'i32 -> i32',
  /** (instrument, intervalSeconds, openTime, open, high, low, close, volume) -> void; only closed candles */
  qt_on_candle: 'i32 i32 f64 f64 f64 f64 f64 f64 -> ',
} as const;

/** Exports a module may have; the host calls them only when present. */
export const OPTIONAL_EXPORTS = {
  /** (instrument, time, price, quantity, takerSide 0 buy | 1 sell) */
  qt_on_trade: 'i32 f64 f64 f64 i32 -> ',
  /** (handle, instrument, side, price, quantity, fee in quote, time) */
  qt_on_fill: 'i32 i32 i32 f64 f64 f64 f64 -> ',
  /** (handle, status: OrderStatusCode, reason: RejectCode or 0) */
  qt_on_order: 'i32 i32 i32 -> ',
  /** (timerId, time) */
  qt_on_timer: 'i32 f64 -> ',
} as const;

export const SCRATCH_MIN_BYTES = 65_536;
/** At most this many place/cancel calls in one callback; more returns ERR_TOO_MANY. */
export const MAX_ACTIONS_PER_CALL = 100;

export const Side = { buy: 0, sell: 1 } as const;
export const OrderTypeCode = { market: 0, limit: 1, stop_market: 2, stop_limit: 3 } as const;
export const TimeInForceCode = { GTC: 0, IOC: 1, FOK: 2 } as const;
export const OrderStatusCode = {
  new: 0,
  partially_filled: 1,
  filled: 2,
  canceled: 3,
  rejected: 4,
  expired: 5,
} as const;

/**
 * The `reason` argument of qt_on_order: why an order was rejected (the risk engine's or the matcher's
 * error code, see @qt/shared error-codes), 0 when it was not rejected, 1 for a code not listed here.
 * Numbers are append-only: a strategy built against an older list still reads the codes it knows.
 */
export const RejectCode = {
  none: 0,
  other: 1,
  RISK_KILL_SWITCH: 2,
  RISK_ORDER_RATE: 3,
  RISK_DAILY_LOSS: 4,
  RISK_REDUCE_ONLY: 5,
  RISK_NO_REFERENCE_PRICE: 6,
  RISK_PRICE_BAND: 7,
  RISK_MAX_ORDER_NOTIONAL: 8,
  RISK_MAX_POSITION: 9,
  RISK_MAX_OPEN_ORDERS: 10,
  LEDGER_INSUFFICIENT_FUNDS: 11,
  ORDER_INVALID_TICK: 12,
  ORDER_INVALID_LOT: 13,
  ORDER_BELOW_MIN_NOTIONAL: 14,
  ORDER_INVALID_PRICE: 15,
  POST_ONLY_WOULD_TAKE: 16,
  MARKET_HALTED: 17,
  MARKET_NO_DATA: 18,
} as const;

/** Negative results of host calls, so a strategy can branch on them. */
export const HostError = {
  ERR_BAD_INSTRUMENT: -1,
  ERR_BAD_ARGUMENT: -2,
  ERR_TOO_MANY: -3,
  ERR_UNKNOWN_HANDLE: -4,
  ERR_BAD_INDICATOR: -5,
} as const;

/** Indicator kinds for ind_create; parameters p1..p3 per kind (NaN = the default). */
export const IndicatorKind = {
  sma: 1, // p1 period
  ema: 2, // p1 period
  rsi: 3, // p1 period (Wilder)
  macd: 4, // p1 fast, p2 slow, p3 signal; outputs 0 macd, 1 signal, 2 histogram
  bbands: 5, // p1 period, p2 stddev multiplier; outputs 0 middle, 1 upper, 2 lower
  atr: 6, // p1 period
  stddev: 7, // p1 period
} as const;

/**
 * The init record written at qt_scratch() before qt_init(len), little-endian, unaligned:
 *   u32 paramCount, then per param: u16 nameLength, name (UTF-8), f64 value
 *   u32 instrumentCount, then per instrument: u16 nameLength, "venue:SYMBOL" (UTF-8), f64 tickSize,
 *       f64 lotSize
 * Instrument indexes in every call are positions in this list.
 */
export const INIT_RECORD_LAYOUT = 'v1';
