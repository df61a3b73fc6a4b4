/**
 * Why the ledger refused a change. Stable codes: the order flow maps them to order rejections and the API
 * maps them to statuses (they belong in `@qt/shared` errorCodes once that registry takes ledger codes).
 */
export type LedgerErrorCode =
  /** The free balance does not cover a withdrawal or an order's reservation. */
  | 'LEDGER_INSUFFICIENT_FUNDS'
  /** A fill would take more than its order reserved (quantity, quote or fee reserve), or breaks its limit. */
  | 'LEDGER_RESERVATION_EXCEEDED'
  /** A posting id seen before, arriving with different content: a retried message was altered. */
  | 'LEDGER_IDEMPOTENCY_CONFLICT'
  /** A posting built from an order state the ledger has moved past, or for an order it does not hold. */
  | 'LEDGER_ORDER_CONFLICT'
  /** A posting whose entries do not sum to zero per asset. */
  | 'LEDGER_UNBALANCED_POSTING'
  /** A non-positive amount, an unknown symbol shape, a fee rate outside [0, 1], ... */
  | 'LEDGER_INVALID_INPUT';

export class LedgerError extends Error {
  readonly code: LedgerErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: LedgerErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'LedgerError';
    this.code = code;
    this.details = details;
  }
}

export function isLedgerError(err: unknown, code?: LedgerErrorCode): err is LedgerError {
  return err instanceof LedgerError && (code === undefined || err.code === code);
}
