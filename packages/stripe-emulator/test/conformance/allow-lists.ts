/**
 * Known differences between the emulator's answers and Stripe's example objects, each with its reason.
 * Paths start at the nearest object type that has an example (`subscription_item.current_trial`), list
 * positions read `[]`, and `.*` covers a subtree. The conformance test fails on any difference not listed
 * here and on any entry that no longer matches a difference, so the lists stay exact.
 */

/**
 * Keys the emulator answers with that Stripe's example lacks. Every one is in the pinned SDK's type of the
 * object (API 2026-11-18, newer than the example; `src/wire.ts` makes the compiler check that), unless the
 * reason says otherwise.
 */
export const allowedExtra: Record<string, string> = {
  'account.business_profile.specified_commercial_transactions_act_url': 'newer than the example',
  'account.controller.*':
    "Stripe's example is an account that controls itself (`type: account`, nothing else); a platform's Express account has fees, losses, requirement_collection and stripe_dashboard",
  'billing_portal.configuration.features.subscription_cancel.cancellation_reason.feedback_options':
    'newer than the example',
  'billing_portal.configuration.features.subscription_pause': 'newer than the example',
  'billing_portal.configuration.features.subscription_update.products':
    "absent from Stripe's example, which has no products; nullable in the SDK's type",
  'checkout.session.allowed_payment_method_types': 'newer than the example',
  'checkout.session.line_items': 'includable: only with expand[]=line_items, which the flow asks for',
  'event.data.previous_attributes': "only on *.updated events; Stripe's example is a plan.created event",
  'invoice.payments':
    'includable: Stripe sends it only with expand[]=payments; the emulator always does (callers must still expand it against Stripe)',
  'line_item.pricing.price_details': "Stripe's example shows `pricing` without its details",
  'payment_intent.allowed_payment_method_types': 'newer than the example',
  'payment_intent.payment_record': 'newer than the example',
  'product.tax_details': 'newer than the example',
  'refund.application': 'newer than the example',
  'subscription.cancellation_details.feedback_option': 'newer than the example',
  'subscription.trial_settings.end_behavior.billing_cycle_anchor': 'newer than the example',
  'subscription_item.current_trial': 'newer than the example',
  'test_helpers.test_clock.status_details.advancing':
    "only while a clock advances (the test_helpers.test_clock.advancing event); Stripe's example is a ready clock",
};

/** Keys of Stripe's example the emulator leaves out, each with why. */
export const allowedMissing: Record<string, string> = {
  'account.settings': 'not emulated: account settings (branding, payout schedule, statement descriptors)',
  'charge.refunds': 'includable since API 2022-11-15: only with expand[]=refunds, which the flow also checks',
  'invoice.subscription':
    "not in the SDK's Invoice type at API 2026-11-18 (moved to parent.subscription_details in 2025-03-31); the example keeps it",
  'payment_method.allow_redisplay':
    'not yet emulated: PaymentMethods are made in src/cards.ts, outside the resources this test fixed',
};

/** Values whose type or id prefix differs from Stripe's example, matched by path and detail. */
export const allowedType: Record<string, { detail: RegExp; reason: string }> = {
  'balance_transaction.source': {
    detail: /^"re_\w+" lacks Stripe's prefix ch_$/,
    reason: "polymorphic: a refund's transactions point at the refund; Stripe's example is a charge's",
  },
  'invoice.id': {
    detail: /^"upcoming_in_\w+" lacks Stripe's prefix in_$/,
    reason: 'a preview invoice (create_preview) is not stored and has an upcoming_in_ id, as on Stripe',
  },
  'line_item.invoice': {
    detail: /^"upcoming_in_\w+" lacks Stripe's prefix in_$/,
    reason: 'the lines of a preview invoice point at its upcoming_in_ id',
  },
};

/**
 * Object types the emulator answers with that the examples file has no example of: only their `object`
 * and id prefix are checked.
 */
export const withoutExample: Record<string, string> = {
  item: "a Checkout Session's line item; the examples file was cut without it",
};

const covers = (entry: string, path: string): boolean =>
  entry.endsWith('.*') ? path.startsWith(entry.slice(0, -1)) : path === entry;

/** The allow-list entry that covers a difference, if any (its key, for the staleness check). */
export function allowedBy(
  problem: { kind: 'extra' | 'missing'; path: string } | { kind: 'type'; path: string; detail: string },
): string | undefined {
  if (problem.kind === 'type') {
    const entry = allowedType[problem.path];
    return entry?.detail.test(problem.detail) ? `type:${problem.path}` : undefined;
  }
  const list = problem.kind === 'extra' ? allowedExtra : allowedMissing;
  const key = Object.keys(list).find((entry) => covers(entry, problem.path));
  return key === undefined ? undefined : `${problem.kind}:${key}`;
}

/** Every entry's key as `allowedBy` names it. */
export const allEntries = (): string[] => [
  ...Object.keys(allowedExtra).map((k) => `extra:${k}`),
  ...Object.keys(allowedMissing).map((k) => `missing:${k}`),
  ...Object.keys(allowedType).map((k) => `type:${k}`),
];
