import { AppError } from '@qt/shared';
import Stripe from 'stripe';

/**
 * Runs one Stripe call and turns its failure into the typed error the API shows. Stripe being unreachable,
 * failing (5xx), rate limiting or refusing our key is BILLING_UNAVAILABLE (try again later; the key is an
 * operator problem, never the caller's, and never shown). A 4xx about the request itself is
 * VALIDATION_FAILED with Stripe's own message (it names a parameter, never a secret).
 */
export async function stripeCall<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toBillingError(what, err);
  }
}

export function toBillingError(what: string, err: unknown): unknown {
  if (err instanceof AppError || !(err instanceof Stripe.errors.StripeError)) return err;
  const status = err.statusCode ?? 0;
  if (
    err instanceof Stripe.errors.StripeConnectionError ||
    err instanceof Stripe.errors.StripeAPIError ||
    err instanceof Stripe.errors.StripeRateLimitError ||
    err instanceof Stripe.errors.StripeAuthenticationError ||
    err instanceof Stripe.errors.StripePermissionError ||
    status === 0 ||
    status === 429 ||
    status >= 500
  ) {
    return new AppError(
      'BILLING_UNAVAILABLE',
      `Billing is unavailable right now (${what}); try again in a minute.`,
      { stripeStatus: status || null },
      { cause: err },
    );
  }
  return new AppError('VALIDATION_FAILED', `Stripe refused ${what}: ${err.message}`, {
    stripeCode: err.code ?? null,
    param: err.param ?? null,
  });
}

/** Whether a Stripe error says the object does not exist (404 resource_missing). */
export function isStripeMissing(err: unknown): boolean {
  return (
    err instanceof Stripe.errors.StripeError && (err.statusCode === 404 || err.code === 'resource_missing')
  );
}

/**
 * Whether Stripe said the object does not exist, and nothing else: only `resource_missing` proves it (a
 * bare 404 can be a wrong base URL or a proxy, which must never end anyone's subscription).
 */
export function isResourceMissing(err: unknown): boolean {
  return err instanceof Stripe.errors.StripeError && err.code === 'resource_missing';
}

/** Whether the failure is Stripe being unreachable or failing (the webhook then answers 503). */
export function isStripeUnavailable(err: unknown): boolean {
  const mapped = toBillingError('', err);
  return mapped instanceof AppError && mapped.code === 'BILLING_UNAVAILABLE';
}
