import {
  type Ctx,
  emit,
  nowFor,
  previousAttributes,
  type SubscriptionState,
  testClockOf,
} from '../context.ts';
import { newId } from '../store.ts';
import type {
  Invoice,
  InvoiceLineItem,
  PaymentIntent,
  Price,
  Subscription,
  SubscriptionItem,
} from '../wire.ts';
import { recordCharge, splitOf } from './money.ts';

const day = 86_400;

/**
 * The end of period `n` counted from `anchor`, on the UTC calendar. Counted from the anchor (not
 * chained) so a subscription started on the 31st bills on the last day of short months and returns to
 * the 31st afterwards, as Stripe's billing cycle anchor does.
 */
export function periodBoundary(anchor: number, price: Price, n: number): number {
  const rec = price.recurring;
  if (!rec) throw new Error(`price ${price.id} is not recurring`);
  const steps = rec.interval_count * n;
  if (rec.interval === 'day') return anchor + steps * day;
  if (rec.interval === 'week') return anchor + steps * 7 * day;
  const d = new Date(anchor * 1000);
  const months = rec.interval === 'month' ? steps : steps * 12;
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  const out = Date.UTC(
    y,
    m,
    Math.min(d.getUTCDate(), lastDay),
    d.getUTCHours(),
    d.getUTCMinutes(),
    d.getUTCSeconds(),
  );
  return Math.floor(out / 1000);
}

/** amount * part / whole, rounded half away from zero, in integers (money never goes through floats). */
export function prorate(amount: number, part: number, whole: number): number {
  const a = BigInt(amount) * BigInt(part) * 2n;
  const w = BigInt(whole);
  const q = (a + (a >= 0n ? w : -w)) / (2n * w);
  return Number(q);
}

export function stateOf(ctx: Ctx, sub: Subscription): SubscriptionState {
  let s = ctx.subscriptions.get(sub.id);
  if (!s) {
    s = { pendingProrations: [], dunning: null };
    ctx.subscriptions.set(sub.id, s);
  }
  return s;
}

export function firstItem(sub: Subscription): SubscriptionItem {
  const item = sub.items.data[0];
  if (!item) throw new Error(`subscription ${sub.id} has no item`);
  return item;
}

export function customerOf(obj: { customer: unknown }): string {
  return typeof obj.customer === 'string' ? obj.customer : (obj.customer as { id: string }).id;
}

export interface NewSubscription {
  customer: string;
  price: Price;
  quantity: number;
  trialDays: number | null;
  metadata: Record<string, string>;
  applicationFeePercent: number | null;
  description: string | null;
  defaultPaymentMethod: string | null;
  /** A connected account the payments go to (destination charges), less the application fee. */
  transferDestination: string | null;
}

export function buildSubscription(ctx: Ctx, n: NewSubscription): Subscription {
  const now = nowFor(ctx, n.customer);
  const trialEnd = n.trialDays ? now + n.trialDays * day : null;
  const id = newId('sub');
  const item: SubscriptionItem = {
    id: newId('si', 14),
    object: 'subscription_item',
    billing_thresholds: null,
    created: now,
    current_period_end: trialEnd ?? periodBoundary(now, n.price, 1),
    current_period_start: now,
    current_trial: null,
    discounts: [],
    metadata: {},
    plan: planOf(n.price),
    price: structuredClone(n.price),
    quantity: n.quantity,
    subscription: id,
    tax_rates: [],
  };
  const sub: Subscription = {
    id,
    object: 'subscription',
    application: null,
    application_fee_percent: n.applicationFeePercent,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null },
    billing_cycle_anchor: trialEnd ?? now,
    billing_cycle_anchor_config: null,
    billing_mode: { flexible: null, type: 'classic' },
    billing_schedules: [],
    billing_thresholds: null,
    cancel_at: null,
    cancel_at_period_end: false,
    canceled_at: null,
    cancellation_details: { comment: null, feedback: null, feedback_option: null, reason: null },
    collection_method: 'charge_automatically',
    created: now,
    currency: n.price.currency,
    customer: n.customer,
    customer_account: null,
    days_until_due: null,
    default_payment_method: n.defaultPaymentMethod,
    default_source: null,
    default_tax_rates: [],
    description: n.description,
    discounts: [],
    ended_at: null,
    invoice_settings: {
      account_tax_ids: null,
      custom_fields: null,
      description: null,
      footer: null,
      issuer: { type: 'self' },
    },
    items: {
      object: 'list',
      data: [item],
      has_more: false,
      url: `/v1/subscription_items?subscription=${id}`,
    },
    latest_invoice: null,
    livemode: false,
    managed_payments: null,
    metadata: n.metadata,
    next_pending_invoice_item_invoice: null,
    on_behalf_of: null,
    pause_collection: null,
    payment_settings: {
      payment_method_options: null,
      payment_method_types: null,
      save_default_payment_method: 'off',
    },
    pending_invoice_item_interval: null,
    pending_setup_intent: null,
    pending_update: null,
    schedule: null,
    start_date: now,
    status: trialEnd ? 'trialing' : 'incomplete',
    test_clock: testClockOf(ctx, n.customer),
    transfer_data: n.transferDestination
      ? { amount_percent: null, destination: n.transferDestination }
      : null,
    trial_end: trialEnd,
    trial_settings: {
      end_behavior: { billing_cycle_anchor: null, missing_payment_method: 'create_invoice' },
    },
    trial_start: trialEnd ? now : null,
  };
  ctx.store.insert('subscription', sub);
  stateOf(ctx, sub);
  return sub;
}

function planOf(price: Price): SubscriptionItem['plan'] {
  const rec = price.recurring;
  return {
    id: price.id,
    object: 'plan',
    active: price.active,
    amount: price.unit_amount,
    amount_decimal: price.unit_amount_decimal,
    billing_scheme: 'per_unit',
    created: price.created,
    currency: price.currency,
    interval: rec?.interval ?? 'month',
    interval_count: rec?.interval_count ?? 1,
    livemode: false,
    metadata: price.metadata,
    meter: null,
    nickname: price.nickname,
    product: price.product as string,
    tiers_mode: null,
    transform_usage: null,
    trial_period_days: null,
    usage_type: 'licensed',
  };
}

export function setItemPrice(sub: Subscription, price: Price): void {
  const item = firstItem(sub);
  item.price = structuredClone(price);
  item.plan = planOf(price);
}

export interface LineSpec {
  amount: number;
  description: string;
  price: Price;
  quantity: number;
  period: { start: number; end: number };
  proration: boolean;
}

/** A finalized (open) invoice for a subscription; `store: false` builds the upcoming preview. */
export function buildInvoice(
  ctx: Ctx,
  sub: Subscription,
  lines: LineSpec[],
  reason: NonNullable<Invoice['billing_reason']>,
  options: { store?: boolean } = {},
): Invoice {
  const customerId = customerOf(sub);
  const customer = ctx.store.get('customer', customerId);
  const now = nowFor(ctx, customerId);
  const id = options.store === false ? `upcoming_${newId('in', 14)}` : newId('in');
  const total = lines.reduce((s, l) => s + l.amount, 0);
  const lineItems: InvoiceLineItem[] = lines.map((l) => ({
    id: newId('il'),
    object: 'line_item',
    amount: l.amount,
    currency: sub.currency,
    description: l.description,
    discount_amounts: [],
    discountable: !l.proration,
    discounts: [],
    invoice: id,
    livemode: false,
    metadata: {},
    parent: {
      invoice_item_details: null,
      subscription_item_details: {
        invoice_item: null,
        proration: l.proration,
        proration_details: { credited_items: null },
        subscription: sub.id,
        subscription_item: firstItem(sub).id,
      },
      type: 'subscription_item_details',
    },
    period: l.period,
    pretax_credit_amounts: [],
    pricing: {
      price_details: { price: l.price.id, product: l.price.product as string },
      type: 'price_details',
      unit_amount_decimal: l.price.unit_amount_decimal,
    },
    quantity: l.quantity,
    quantity_decimal: String(l.quantity),
    subscription: sub.id,
    subtotal: l.amount,
    taxes: [],
  }));
  const periodStart = Math.min(...lines.map((l) => l.period.start));
  const periodEnd = Math.max(...lines.map((l) => l.period.end));
  // A negative total (a downgrade's credit) is not charged: it goes to the customer's credit balance.
  const due = Math.max(0, total);
  const invoice: Invoice = {
    id,
    object: 'invoice',
    account_country: 'US',
    account_name: 'Quant-Trader (emulated)',
    account_tax_ids: null,
    amount_due: due,
    amount_overpaid: 0,
    amount_paid: 0,
    amount_remaining: due,
    amount_shipping: 0,
    application: null,
    attempt_count: 0,
    attempted: false,
    auto_advance: true,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null, provider: null, status: null },
    automatically_finalizes_at: null,
    billing_reason: reason,
    collection_method: 'charge_automatically',
    created: now,
    currency: sub.currency,
    custom_fields: null,
    customer: customerId,
    customer_account: null,
    customer_address: null,
    customer_email: customer.email,
    customer_name: customer.name ?? null,
    customer_phone: customer.phone ?? null,
    customer_shipping: null,
    customer_tax_exempt: 'none',
    customer_tax_ids: [],
    default_payment_method: null,
    default_source: null,
    default_tax_rates: [],
    description: null,
    discounts: [],
    due_date: null,
    effective_at: now,
    ending_balance: 0,
    footer: null,
    from_invoice: null,
    hosted_invoice_url: `${ctx.baseUrl}/i/${id}`,
    invoice_pdf: null,
    issuer: { type: 'self' },
    last_finalization_error: null,
    latest_revision: null,
    lines: { object: 'list', data: lineItems, has_more: false, url: `/v1/invoices/${id}/lines` },
    livemode: false,
    metadata: {},
    next_payment_attempt: null,
    number:
      options.store === false
        ? null
        : `${customer.invoice_prefix}-${String(customer.next_invoice_sequence ?? 1).padStart(4, '0')}`,
    on_behalf_of: null,
    parent: {
      quote_details: null,
      subscription_details: { metadata: { ...sub.metadata }, subscription: sub.id },
      type: 'subscription_details',
    },
    payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
    period_end: periodEnd,
    period_start: periodStart,
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    receipt_number: null,
    rendering: null,
    shipping_cost: null,
    shipping_details: null,
    starting_balance: 0,
    statement_descriptor: null,
    status: 'open',
    status_transitions: { finalized_at: now, marked_uncollectible_at: null, paid_at: null, voided_at: null },
    subtotal: total,
    subtotal_excluding_tax: total,
    test_clock: sub.test_clock,
    total,
    total_discount_amounts: [],
    total_excluding_tax: total,
    total_pretax_credit_amounts: [],
    total_taxes: [],
    webhooks_delivered_at: now,
  };
  if (options.store !== false) {
    ctx.store.insert('invoice', invoice);
    customer.next_invoice_sequence = (customer.next_invoice_sequence ?? 1) + 1;
    if (total < 0) customer.balance += total;
    sub.latest_invoice = id;
  }
  return invoice;
}

/** The lines of the next renewal: the price for the coming period plus waiting prorations. */
export function renewalLines(ctx: Ctx, sub: Subscription, start: number): LineSpec[] {
  const item = firstItem(sub);
  const price = ctx.store.get('price', item.price.id);
  const quantity = item.quantity ?? 1;
  const end = periodBoundary(start, price, 1);
  const lines: LineSpec[] = stateOf(ctx, sub).pendingProrations.map((p) => ({
    amount: p.amount,
    description: p.description,
    price: ctx.store.get('price', p.price),
    quantity,
    period: { start: item.current_period_start, end: item.current_period_end },
    proration: true,
  }));
  lines.push({
    amount: (price.unit_amount ?? 0) * quantity,
    description: `${quantity} × ${productName(ctx, price)} (at ${formatAmount(price.unit_amount ?? 0, price.currency)} / ${price.recurring?.interval})`,
    price,
    quantity,
    period: { start, end },
    proration: false,
  });
  return lines;
}

export function productName(ctx: Ctx, price: Price): string {
  return ctx.store.find('product', price.product as string)?.name ?? 'product';
}

export function formatAmount(minor: number, currency: string): string {
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor);
  return `${sign}${currency.toUpperCase()} ${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

export function paymentMethodFor(ctx: Ctx, sub: Subscription): string | null {
  if (typeof sub.default_payment_method === 'string') return sub.default_payment_method;
  const customer = ctx.store.find('customer', customerOf(sub));
  const pm = customer?.invoice_settings.default_payment_method;
  return typeof pm === 'string' ? pm : null;
}

export interface PaymentOutcome {
  ok: boolean;
  intent: PaymentIntent | null;
  error?: { code: string; decline_code: string; message: string };
}

/** Charges an open invoice with a payment method (test-card behaviour decides) without emitting events. */
export function chargeInvoice(ctx: Ctx, invoice: Invoice, paymentMethod: string | null): PaymentOutcome {
  const customerId = customerOf({ customer: invoice.customer });
  const now = nowFor(ctx, customerId);
  invoice.attempted = true;
  if (invoice.amount_due === 0) {
    markPaid(invoice, now, 0);
    return { ok: true, intent: null };
  }
  invoice.attempt_count++;
  const behaviour = paymentMethod ? ctx.cards.get(paymentMethod) : undefined;
  const ok = behaviour === 'succeeds';
  const error = ok
    ? undefined
    : paymentMethod
      ? { code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' }
      : { code: 'payment_method_missing', decline_code: '', message: 'The customer has no payment method.' };
  // A destination charge's intent carries the transfer and the fee, as Stripe's for such a subscription.
  const split = splitOf(ctx, invoice, invoice.amount_due);
  const intent: PaymentIntent = {
    id: newId('pi'),
    object: 'payment_intent',
    allowed_payment_method_types: null,
    amount: invoice.amount_due,
    amount_capturable: 0,
    amount_details: { tip: {} },
    amount_received: ok ? invoice.amount_due : 0,
    application: null,
    application_fee_amount: split.feeAmount,
    automatic_payment_methods: null,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: 'automatic',
    client_secret: `${newId('pi')}_secret_${newId('x').slice(2)}`,
    confirmation_method: 'automatic',
    created: now,
    currency: invoice.currency,
    customer: customerId,
    customer_account: null,
    description:
      invoice.billing_reason === 'subscription_create' ? 'Subscription creation' : 'Subscription update',
    excluded_payment_method_types: null,
    last_payment_error: error
      ? {
          code: error.code,
          ...(error.decline_code ? { decline_code: error.decline_code } : {}),
          message: error.message,
          type: 'card_error',
        }
      : null,
    latest_charge: ok ? newId('ch') : null,
    livemode: false,
    managed_payments: null,
    metadata: {},
    next_action: null,
    on_behalf_of: null,
    payment_method: paymentMethod,
    payment_method_configuration_details: null,
    payment_method_options: null,
    payment_method_types: ['card'],
    payment_record: null,
    processing: null,
    receipt_email: null,
    review: null,
    setup_future_usage: null,
    shipping: null,
    source: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: ok ? 'succeeded' : 'requires_payment_method',
    transfer_data: split.destinationId ? { destination: split.destinationId } : null,
    transfer_group: null,
  };
  ctx.store.insert('payment_intent', intent);
  const payments = invoice.payments?.data ?? [];
  payments.unshift({
    id: newId('inpay'),
    object: 'invoice_payment',
    amount_paid: ok ? invoice.amount_due : null,
    amount_requested: invoice.amount_due,
    created: now,
    currency: invoice.currency,
    invoice: invoice.id,
    is_default: payments.length === 0,
    livemode: false,
    payment: { payment_intent: intent.id, type: 'payment_intent' },
    status: ok ? 'paid' : 'open',
    status_transitions: { canceled_at: null, paid_at: ok ? now : null },
  });
  invoice.payments = {
    object: 'list',
    data: payments,
    has_more: false,
    url: `/v1/invoice_payments?invoice=${invoice.id}`,
  };
  if (ok) {
    markPaid(invoice, now, invoice.amount_due);
    recordCharge(ctx, intent, invoice);
  }
  return { ok, intent, ...(error ? { error } : {}) };
}

function markPaid(invoice: Invoice, now: number, amount: number): void {
  invoice.status = 'paid';
  invoice.amount_paid = amount;
  invoice.amount_remaining = 0;
  invoice.next_payment_attempt = null;
  invoice.status_transitions.paid_at = now;
}

/** The events Stripe sends for a payment attempt on an invoice. */
export function emitPaymentEvents(ctx: Ctx, invoice: Invoice, outcome: PaymentOutcome, at: number): void {
  if (outcome.intent) {
    emit(
      ctx,
      outcome.ok ? 'payment_intent.succeeded' : 'payment_intent.payment_failed',
      outcome.intent,
      undefined,
      at,
    );
  }
  if (outcome.ok) {
    emit(ctx, 'invoice.paid', invoice, undefined, at);
    emit(ctx, 'invoice.payment_succeeded', invoice, undefined, at);
  } else {
    emit(ctx, 'invoice.payment_failed', invoice, undefined, at);
  }
}

export function emitSubscriptionUpdated(
  ctx: Ctx,
  before: Subscription,
  sub: Subscription,
  at?: number,
): void {
  const previous = previousAttributes(before, sub);
  if (Object.keys(previous).length > 0) emit(ctx, 'customer.subscription.updated', sub, previous, at);
}

export function endSubscription(
  ctx: Ctx,
  sub: Subscription,
  at: number,
  reason: 'cancellation_requested' | 'payment_failed',
): void {
  sub.status = 'canceled';
  sub.ended_at = at;
  sub.canceled_at ??= at;
  sub.cancel_at = null;
  sub.cancellation_details = { comment: null, feedback: null, feedback_option: null, reason };
  const state = stateOf(ctx, sub);
  state.dunning = null;
  state.pendingProrations = [];
  emit(ctx, 'customer.subscription.deleted', sub, undefined, at);
}

/** When something next happens to `sub` on its own (renewal, payment retry, end), or null. */
export function nextDue(ctx: Ctx, sub: Subscription): number | null {
  if (sub.status === 'canceled' || sub.status === 'incomplete' || sub.status === 'incomplete_expired')
    return null;
  const end = firstItem(sub).current_period_end;
  const retry = stateOf(ctx, sub).dunning?.nextAttemptAt;
  return retry !== undefined && retry < end ? retry : end;
}

/**
 * Performs what is due at `at` (a value `nextDue` returned): a payment retry, or the period end
 * (cancel at period end, or renew: new period, invoice, charge the default payment method).
 */
export function runDue(ctx: Ctx, sub: Subscription, at: number): void {
  const state = stateOf(ctx, sub);
  const before = structuredClone(sub);
  const item = firstItem(sub);
  if (state.dunning && state.dunning.nextAttemptAt === at && at < item.current_period_end) {
    const invoice = ctx.store.get('invoice', state.dunning.invoice);
    const outcome = chargeInvoice(ctx, invoice, paymentMethodFor(ctx, sub));
    if (outcome.ok) {
      state.dunning = null;
      sub.status = 'active';
      emitPaymentEvents(ctx, invoice, outcome, at);
      emitSubscriptionUpdated(ctx, before, sub, at);
      return;
    }
    state.dunning.retriesDone++;
    scheduleRetry(ctx, sub, invoice, at);
    emitPaymentEvents(ctx, invoice, outcome, at);
    afterFailure(ctx, before, sub, at);
    return;
  }
  const end = item.current_period_end;
  if (sub.cancel_at_period_end || (sub.cancel_at !== null && sub.cancel_at <= end)) {
    endSubscription(ctx, sub, end, 'cancellation_requested');
    return;
  }
  const price = ctx.store.get('price', item.price.id);
  const lines = renewalLines(ctx, sub, end);
  state.pendingProrations = [];
  item.current_period_start = end;
  item.current_period_end = periodBoundary(end, price, 1);
  if (sub.status === 'trialing') sub.status = 'active';
  if (sub.status === 'unpaid') {
    // Stripe keeps invoicing an unpaid subscription but does not try to collect; nothing to charge here.
    emitSubscriptionUpdated(ctx, before, sub, end);
    return;
  }
  const invoice = buildInvoice(ctx, sub, lines, 'subscription_cycle');
  emit(ctx, 'invoice.created', invoice, undefined, end);
  emit(ctx, 'invoice.finalized', invoice, undefined, end);
  const outcome = chargeInvoice(ctx, invoice, paymentMethodFor(ctx, sub));
  if (outcome.ok) {
    sub.status = 'active';
    emitPaymentEvents(ctx, invoice, outcome, end);
    emitSubscriptionUpdated(ctx, before, sub, end);
    return;
  }
  state.dunning = { invoice: invoice.id, retriesDone: 0, nextAttemptAt: end };
  scheduleRetry(ctx, sub, invoice, end);
  emitPaymentEvents(ctx, invoice, outcome, end);
  afterFailure(ctx, before, sub, end);
}

function scheduleRetry(ctx: Ctx, sub: Subscription, invoice: Invoice, at: number): void {
  const state = stateOf(ctx, sub);
  if (!state.dunning) return;
  const delayDays = ctx.billing.retryDelaysDays[state.dunning.retriesDone];
  if (delayDays === undefined) {
    invoice.next_payment_attempt = null;
    state.dunning.nextAttemptAt = Number.POSITIVE_INFINITY;
  } else {
    state.dunning.nextAttemptAt = at + delayDays * day;
    invoice.next_payment_attempt = state.dunning.nextAttemptAt;
  }
}

/** past_due while retries remain; after the last, Stripe's configured outcome. */
function afterFailure(ctx: Ctx, before: Subscription, sub: Subscription, at: number): void {
  const state = stateOf(ctx, sub);
  const exhausted = state.dunning !== null && !Number.isFinite(state.dunning.nextAttemptAt);
  if (!exhausted) {
    sub.status = 'past_due';
    emitSubscriptionUpdated(ctx, before, sub, at);
    return;
  }
  state.dunning = null;
  if (ctx.billing.afterFinalFailure === 'cancel') {
    endSubscription(ctx, sub, at, 'payment_failed');
    return;
  }
  sub.status = ctx.billing.afterFinalFailure === 'unpaid' ? 'unpaid' : 'past_due';
  emitSubscriptionUpdated(ctx, before, sub, at);
}

/** Pays an open invoice now (the `pay` endpoint, a portal card update): clears dunning on success. */
export function payNow(ctx: Ctx, invoice: Invoice, paymentMethod: string | null): PaymentOutcome {
  const subId = invoice.parent?.subscription_details?.subscription;
  const sub = typeof subId === 'string' ? ctx.store.find('subscription', subId) : undefined;
  const at = nowFor(ctx, customerOf({ customer: invoice.customer }));
  const before = sub ? structuredClone(sub) : undefined;
  const outcome = chargeInvoice(ctx, invoice, paymentMethod);
  emitPaymentEvents(ctx, invoice, outcome, at);
  if (sub && before && outcome.ok) {
    const state = stateOf(ctx, sub);
    if (state.dunning?.invoice === invoice.id) state.dunning = null;
    if (sub.status === 'past_due' || sub.status === 'unpaid' || sub.status === 'incomplete')
      sub.status = 'active';
    emitSubscriptionUpdated(ctx, before, sub, at);
  }
  return outcome;
}
