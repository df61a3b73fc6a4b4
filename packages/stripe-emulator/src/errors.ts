/**
 * Stripe's error object. The SDK picks its error class from the HTTP status (400/404 ->
 * StripeInvalidRequestError or StripeIdempotencyError by `type`, 402 -> StripeCardError, 401 ->
 * StripeAuthenticationError, 429 -> StripeRateLimitError), so status and type must agree.
 */
export type StripeErrorType =
  | 'invalid_request_error'
  | 'card_error'
  | 'api_error'
  | 'idempotency_error'
  | 'authentication_error'
  | 'rate_limit_error';

export interface StripeErrorBody {
  type: StripeErrorType;
  message: string;
  code?: string;
  param?: string;
  decline_code?: string;
  doc_url?: string;
}

export class StripeApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: StripeErrorBody,
  ) {
    super(body.message);
    this.name = 'StripeApiError';
  }
}

export function invalidRequest(message: string, param?: string, code = 'parameter_invalid'): StripeApiError {
  return new StripeApiError(400, {
    type: 'invalid_request_error',
    code,
    message,
    ...(param ? { param } : {}),
  });
}

export function missingParam(param: string): StripeApiError {
  return invalidRequest(`Missing required param: ${param}.`, param, 'parameter_missing');
}

export function unknownParam(param: string): StripeApiError {
  return invalidRequest(`Received unknown parameter: ${param}`, param, 'parameter_unknown');
}

export function resourceMissing(noun: string, id: string, param = 'id'): StripeApiError {
  return new StripeApiError(404, {
    type: 'invalid_request_error',
    code: 'resource_missing',
    message: `No such ${noun}: '${id}'`,
    param,
  });
}

export function cardDeclined(
  message = 'Your card was declined.',
  declineCode = 'generic_decline',
): StripeApiError {
  return new StripeApiError(402, {
    type: 'card_error',
    code: 'card_declined',
    decline_code: declineCode,
    message,
  });
}

export function idempotencyMismatch(key: string): StripeApiError {
  return new StripeApiError(400, {
    type: 'idempotency_error',
    message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
  });
}

/** The emulator's own bound on stored objects; real Stripe has none this small. */
export function objectLimit(kind: string, cap: number): StripeApiError {
  return new StripeApiError(429, {
    type: 'rate_limit_error',
    code: 'emulator_object_limit',
    message: `The Stripe emulator keeps at most ${cap} ${kind} objects in memory; restart it or raise limits.maxObjectsPerKind.`,
  });
}
