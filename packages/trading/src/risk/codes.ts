import { AppError, type ErrorCode } from '@qt/shared';

/**
 * The stable codes of the pre-trade checks, in the order the engine runs them (see README.md). They are
 * `ErrorCode`s, so the tRPC status each maps to is decided in `@qt/shared`'s error-codes.ts.
 */
export const riskCheckOrder = [
  'RISK_KILL_SWITCH',
  'RISK_ORDER_RATE',
  'RISK_REDUCE_ONLY',
  'RISK_NO_REFERENCE_PRICE',
  'RISK_PRICE_BAND',
  'RISK_MAX_ORDER_NOTIONAL',
  'RISK_MAX_POSITION',
  'RISK_MAX_OPEN_ORDERS',
] as const satisfies readonly ErrorCode[];

/** A code an order can be rejected with. */
export type RiskRejectionCode = (typeof riskCheckOrder)[number];

/**
 * Why an account is reduce-only. The daily-loss check never rejects by itself: crossing the limit puts the
 * account in reduce-only mode, and orders that would not reduce a position are rejected RISK_REDUCE_ONLY
 * with `details.cause = 'RISK_DAILY_LOSS'`.
 */
export type ReduceOnlyCause = Extract<ErrorCode, 'RISK_DAILY_LOSS'>;

/** Values safe to show the account's owner (decimal strings for amounts, never bigints). */
export type RiskDetails = Readonly<Record<string, string | number | boolean | null>>;

export interface RiskRejection {
  readonly code: RiskRejectionCode;
  /** Says what happened and what to do. */
  readonly message: string;
  readonly details: RiskDetails;
}

/** The engine never throws for a rule: it answers. */
export type RiskDecision = { readonly ok: true } | { readonly ok: false; readonly rejection: RiskRejection };

export const riskAccepted: RiskDecision = { ok: true };

export function riskRejected(code: RiskRejectionCode, message: string, details: RiskDetails): RiskDecision {
  return { ok: false, rejection: { code, message, details } };
}

/** For callers that throw across a boundary (the orders API): the same code, message and details. */
export function riskRejectionToAppError(rejection: RiskRejection): AppError {
  return new AppError(rejection.code, rejection.message, { ...rejection.details });
}
