/**
 * Every error a user or a script can see carries one of these stable codes. Codes are part of the public
 * API: scripts branch on them, so a code is never renamed, only added. The HTTP/tRPC status each maps to
 * is decided in exactly one place: `errorStatus` below.
 */
export const errorCodes = {
  // Authentication and authorisation
  AUTH_REQUIRED: 'UNAUTHORIZED',
  AUTH_INVALID_CREDENTIALS: 'UNAUTHORIZED',
  AUTH_SESSION_EXPIRED: 'UNAUTHORIZED',
  AUTH_API_KEY_INVALID: 'UNAUTHORIZED',
  AUTH_API_KEY_REVOKED: 'UNAUTHORIZED',
  AUTH_API_KEY_EXPIRED: 'UNAUTHORIZED',
  AUTH_FORBIDDEN_ROLE: 'FORBIDDEN',
  AUTH_FORBIDDEN_SCOPE: 'FORBIDDEN',
  AUTH_TOO_MANY_ATTEMPTS: 'TOO_MANY_REQUESTS',
  /** The person signed out: engine tokens issued before that are refused (and live connections closed). */
  AUTH_SESSION_REVOKED: 'UNAUTHORIZED',
  /** The person is no longer a member of the tenant the credential was for. */
  AUTH_MEMBERSHIP_REMOVED: 'UNAUTHORIZED',
  // Accounts
  ACCOUNT_EMAIL_TAKEN: 'CONFLICT',
  ACCOUNT_EMAIL_NOT_VERIFIED: 'FORBIDDEN',
  ACCOUNT_TOKEN_INVALID: 'BAD_REQUEST',
  // Tier caps (API keys, paper accounts; deployments and backtests use STRATEGY_LIMIT_REACHED)
  TIER_LIMIT_REACHED: 'TOO_MANY_REQUESTS',
  // Market data
  MARKET_UNKNOWN_INSTRUMENT: 'NOT_FOUND',
  MARKET_UNKNOWN_VENUE: 'NOT_FOUND',
  MARKET_DATA_DISABLED: 'SERVICE_UNAVAILABLE',
  /** An alert on a venue/symbol this engine's feeds do not follow (it could never fire); the message names what is followed. */
  ALERT_MARKET_NOT_FOLLOWED: 'PRECONDITION_FAILED',
  /** `market.follow`: the venue does not list the symbol (or it is not trading) in the engine's instrument list. */
  MARKET_NOT_LISTED: 'NOT_FOUND',
  /** `market.follow`: the engine follows as many extra markets as its operator allows (`MARKET_FOLLOW_MAX`). */
  MARKET_FOLLOW_LIMIT: 'TOO_MANY_REQUESTS',
  /** Watchlist: at most 100 entries per person and tenant. */
  WATCHLIST_FULL: 'BAD_REQUEST',
  // Risk: pre-trade checks (packages/trading/src/risk); a rejected order's `reason` carries the same code
  RISK_KILL_SWITCH: 'FORBIDDEN',
  RISK_ORDER_RATE: 'TOO_MANY_REQUESTS',
  RISK_DAILY_LOSS: 'FORBIDDEN',
  RISK_REDUCE_ONLY: 'FORBIDDEN',
  RISK_NO_REFERENCE_PRICE: 'PRECONDITION_FAILED',
  RISK_PRICE_BAND: 'BAD_REQUEST',
  RISK_MAX_ORDER_NOTIONAL: 'BAD_REQUEST',
  RISK_MAX_POSITION: 'FORBIDDEN',
  RISK_MAX_OPEN_ORDERS: 'FORBIDDEN',
  // Paper trading: the ledger (packages/trading/src/ledger) and the matcher's order rejections
  LEDGER_INSUFFICIENT_FUNDS: 'BAD_REQUEST',
  LEDGER_RESERVATION_EXCEEDED: 'CONFLICT',
  LEDGER_IDEMPOTENCY_CONFLICT: 'CONFLICT',
  LEDGER_ORDER_CONFLICT: 'CONFLICT',
  LEDGER_UNBALANCED_POSTING: 'INTERNAL_SERVER_ERROR',
  LEDGER_INVALID_INPUT: 'BAD_REQUEST',
  ORDER_INVALID_TICK: 'BAD_REQUEST',
  ORDER_INVALID_LOT: 'BAD_REQUEST',
  ORDER_BELOW_MIN_NOTIONAL: 'BAD_REQUEST',
  ORDER_INVALID_PRICE: 'BAD_REQUEST',
  ORDER_DUPLICATE_ID: 'CONFLICT',
  ORDER_NOT_OPEN: 'CONFLICT',
  POST_ONLY_WOULD_TAKE: 'BAD_REQUEST',
  MARKET_HALTED: 'PRECONDITION_FAILED',
  MARKET_NO_DATA: 'PRECONDITION_FAILED',
  PAPER_ACCOUNT_NAME_TAKEN: 'CONFLICT',
  // Strategies (WebAssembly) and backtests; an invalid module's `details.reason` is the validator's code
  // (FORBIDDEN_IMPORT, MEMORY_NO_MAXIMUM, MODULE_TOO_LARGE, ...)
  STRATEGY_INVALID_MODULE: 'BAD_REQUEST',
  STRATEGY_STATE_CONFLICT: 'CONFLICT',
  STRATEGY_LIMIT_REACHED: 'TOO_MANY_REQUESTS',
  /** The editor's source did not compile (a save; `compile` answers diagnostics instead of failing). */
  STRATEGY_COMPILE_FAILED: 'BAD_REQUEST',
  /** The engine's compiler is busy (a compile of the tenant's in flight, or its queue full). */
  STRATEGY_COMPILER_BUSY: 'TOO_MANY_REQUESTS',
  /** A version uploaded as a module has no source to open in the editor. */
  STRATEGY_NO_SOURCE: 'PRECONDITION_FAILED',
  BACKTEST_NO_DATA: 'PRECONDITION_FAILED',
  BACKTEST_NOT_CANCELLABLE: 'CONFLICT',
  BACKTEST_TOO_LARGE: 'BAD_REQUEST',
  /** The engine's backtest queue is full (all tenants): try again when a job has finished. */
  BACKTEST_QUEUE_FULL: 'TOO_MANY_REQUESTS',
  // Billing (Stripe) and the marketplace
  /** Stripe (or the emulator) could not be reached or refused the call: try again later. */
  BILLING_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  /** The tenant already has this plan (change it in the billing portal instead). */
  BILLING_ALREADY_SUBSCRIBED: 'CONFLICT',
  /** The tenant has no Stripe customer or subscription yet (nothing to manage in the portal). */
  BILLING_NO_CUSTOMER: 'PRECONDITION_FAILED',
  /** A paid listing needs the seller's Stripe Connect onboarding finished (charges enabled). */
  SELLER_NOT_ONBOARDED: 'PRECONDITION_FAILED',
  /** The listing is not open to new subscribers (verifying, failed verification, unlisted). */
  LISTING_NOT_AVAILABLE: 'PRECONDITION_FAILED',
  /** Deploying or reviewing a listing needs an active subscription to it. */
  SUBSCRIPTION_REQUIRED: 'FORBIDDEN',
  /** A parameter outside the listing's tunable set or bounds. */
  LISTING_PARAM_NOT_ALLOWED: 'BAD_REQUEST',
  // Requests and connections: bounded inputs
  REQUEST_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  REQUEST_MALFORMED: 'BAD_REQUEST',
  BATCH_TOO_LARGE: 'BAD_REQUEST',
  BATCH_NOT_ALLOWED: 'BAD_REQUEST',
  SUBSCRIPTION_LIMIT: 'TOO_MANY_REQUESTS',
  INVALID_CURSOR: 'BAD_REQUEST',
  VALUE_OUT_OF_RANGE: 'BAD_REQUEST',
  /** A subscription asked for over plain HTTP (SSE): subscriptions run over the WebSocket only. */
  SUBSCRIPTION_NEEDS_WEBSOCKET: 'METHOD_NOT_SUPPORTED',
  /** Too many calls running at once on one WebSocket connection: wait for answers before sending more. */
  CALLS_IN_FLIGHT_LIMIT: 'TOO_MANY_REQUESTS',
  /** A request body did not arrive within the time allowed for it. */
  REQUEST_TIMEOUT: 'TIMEOUT',
  // Generic
  NOT_FOUND: 'NOT_FOUND',
  VALIDATION_FAILED: 'BAD_REQUEST',
  RATE_LIMITED: 'TOO_MANY_REQUESTS',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INTERNAL: 'INTERNAL_SERVER_ERROR',
} as const;

export type ErrorCode = keyof typeof errorCodes;
/** The transport-level class of an error code (tRPC's names; mapped to HTTP by tRPC itself). */
export type ErrorStatus = (typeof errorCodes)[ErrorCode];

export function errorStatus(code: ErrorCode): ErrorStatus {
  return errorCodes[code];
}
