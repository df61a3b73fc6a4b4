import type { CheckoutWait } from './billing-view';

/** The state of a just-finished Checkout: paid, waiting for Stripe's confirmation, confirmed, or slow. */
export function CheckoutBanner({
  wait,
  confirmedText,
  testId = 'checkout-banner',
}: {
  wait: CheckoutWait;
  confirmedText: string;
  testId?: string;
}) {
  const styles =
    wait === 'confirmed'
      ? 'border-emerald-500/30 bg-emerald-500/10 text-emerald-200'
      : wait === 'timeout'
        ? 'border-amber-500/30 bg-amber-500/10 text-amber-200'
        : 'border-sky-500/30 bg-sky-500/10 text-sky-200';
  return (
    <div
      role="status"
      aria-live="polite"
      data-testid={testId}
      data-state={wait}
      className={`flex items-center gap-3 rounded-lg border px-4 py-3 text-sm ${styles}`}
    >
      {wait === 'waiting' && (
        <span
          aria-hidden="true"
          className="size-3.5 shrink-0 animate-spin rounded-full border-2 border-current border-t-transparent"
        />
      )}
      <span>
        {wait === 'waiting' && 'Payment received, waiting for confirmation…'}
        {wait === 'confirmed' && confirmedText}
        {wait === 'timeout' &&
          'Payment received, but the confirmation from Stripe has not arrived yet. It usually does within a minute: reload this page in a moment. You will not be charged twice.'}
      </span>
    </div>
  );
}
