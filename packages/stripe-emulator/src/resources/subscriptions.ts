import { type Ctx, emit, type Handler, nowFor } from '../context.ts';
import { cardDeclined, invalidRequest, StripeApiError } from '../errors.ts';
import type { Params } from '../http/form.ts';
import { allow, applyMetadata, bool, int, nullable, objArr, oneOf, str } from '../http/params.ts';
import { paginate } from '../store.ts';
import type { Price, Subscription } from '../wire.ts';
import {
  buildInvoice,
  customerOf,
  emitSubscriptionUpdated,
  endSubscription,
  firstItem,
  type LineSpec,
  paymentMethodFor,
  payNow,
  periodBoundary,
  productName,
  prorate,
  renewalLines,
  setItemPrice,
  stateOf,
} from './billing.ts';
import { resolvePaymentMethod } from './customers.ts';

const prorationBehaviours = ['create_prorations', 'none', 'always_invoice'] as const;

/**
 * Changes the subscription's price. Same interval: prorations for the rest of the period (waiting for
 * the next invoice, invoiced now, or none). Other interval: Stripe resets the billing cycle to now and
 * invoices at once, crediting the unused time of the old price.
 */
function changePrice(
  ctx: Ctx,
  sub: Subscription,
  price: Price,
  quantity: number,
  behaviour: (typeof prorationBehaviours)[number],
): void {
  const item = firstItem(sub);
  const old = ctx.store.get('price', item.price.id);
  const oldQuantity = item.quantity ?? 1;
  if (!price.recurring) throw invalidRequest('The price must be recurring.', 'items[0][price]');
  if (price.currency !== sub.currency)
    throw invalidRequest('The price currency must match the subscription.', 'items[0][price]');
  const now = nowFor(ctx, customerOf(sub));
  const start = item.current_period_start;
  const end = item.current_period_end;
  const remaining = Math.max(0, end - now);
  const whole = Math.max(1, end - start);
  const sameCycle =
    old.recurring?.interval === price.recurring.interval &&
    old.recurring?.interval_count === price.recurring.interval_count;
  const credit: LineSpec = {
    amount: -prorate((old.unit_amount ?? 0) * oldQuantity, remaining, whole),
    description: `Unused time on ${oldQuantity} × ${productName(ctx, old)}`,
    price: old,
    quantity: oldQuantity,
    period: { start: now, end },
    proration: true,
  };
  setItemPrice(sub, price);
  item.quantity = quantity;
  const inTrial = sub.status === 'trialing';
  if (!sameCycle && !inTrial) {
    item.current_period_start = now;
    item.current_period_end = periodBoundary(now, price, 1);
    sub.billing_cycle_anchor = now;
    const lines = renewalLines(ctx, sub, now);
    if (behaviour !== 'none') lines.unshift(credit);
    stateOf(ctx, sub).pendingProrations = [];
    invoiceNow(ctx, sub, lines);
    return;
  }
  if (behaviour === 'none' || inTrial || remaining === 0) return;
  const debit: LineSpec = {
    amount: prorate((price.unit_amount ?? 0) * quantity, remaining, whole),
    description: `Remaining time on ${quantity} × ${productName(ctx, price)}`,
    price,
    quantity,
    period: { start: now, end },
    proration: true,
  };
  if (behaviour === 'always_invoice') {
    invoiceNow(ctx, sub, [credit, debit]);
    return;
  }
  const pending = stateOf(ctx, sub).pendingProrations;
  for (const l of [credit, debit])
    pending.push({ amount: l.amount, description: l.description, price: l.price.id });
}

function invoiceNow(ctx: Ctx, sub: Subscription, lines: LineSpec[]): void {
  const invoice = buildInvoice(ctx, sub, lines, 'subscription_update');
  emit(ctx, 'invoice.created', invoice);
  emit(ctx, 'invoice.finalized', invoice);
  const outcome = payNow(ctx, invoice, paymentMethodFor(ctx, sub));
  if (!outcome.ok) {
    // Stripe's default payment_behavior (allow_incomplete) keeps the change and leaves the invoice open.
    sub.status = 'past_due';
  }
}

export function updateSubscription(ctx: Ctx, sub: Subscription, params: Params): Subscription {
  allow(params, [
    'items',
    'proration_behavior',
    'cancel_at_period_end',
    'cancel_at',
    'metadata',
    'default_payment_method',
    'description',
    'payment_behavior',
  ]);
  if (sub.status === 'canceled') {
    throw invalidRequest(
      'A canceled subscription can only update its cancellation_details and metadata.',
      'id',
    );
  }
  const before = structuredClone(sub);
  const behaviour = oneOf(params, 'proration_behavior', prorationBehaviours) ?? 'create_prorations';
  const pm = str(params, 'default_payment_method');
  if (pm !== undefined) {
    sub.default_payment_method =
      pm === '' ? null : resolvePaymentMethod(ctx, pm, customerOf(sub), 'default_payment_method').id;
  }
  const items = objArr(params, 'items');
  if (items) {
    if (items.length !== 1)
      throw invalidRequest('The emulator supports subscriptions with one item.', 'items');
    const entry = items[0] as Params;
    allow(entry, ['id', 'price', 'quantity'], 'items[0]');
    const itemId = str(entry, 'id', 'items[0][id]');
    if (itemId && itemId !== firstItem(sub).id) {
      throw invalidRequest(`No such subscription item: '${itemId}'`, 'items[0][id]', 'resource_missing');
    }
    const priceId = str(entry, 'price', 'items[0][price]');
    const price = priceId
      ? ctx.store.get('price', priceId, 'items[0][price]')
      : ctx.store.get('price', firstItem(sub).price.id);
    const quantity = int(entry, 'quantity', 'items[0][quantity]') ?? firstItem(sub).quantity ?? 1;
    if (quantity < 1) throw invalidRequest('quantity must be at least 1.', 'items[0][quantity]');
    changePrice(ctx, sub, price, quantity, behaviour);
  }
  const cape = bool(params, 'cancel_at_period_end');
  if (cape !== undefined) {
    sub.cancel_at_period_end = cape;
    sub.cancel_at = cape ? firstItem(sub).current_period_end : null;
    sub.canceled_at = cape ? nowFor(ctx, customerOf(sub)) : null;
    sub.cancellation_details = {
      comment: null,
      feedback: null,
      feedback_option: null,
      reason: cape ? 'cancellation_requested' : null,
    };
  }
  sub.metadata = applyMetadata(sub.metadata, params);
  sub.description = nullable(params, 'description', sub.description);
  emitSubscriptionUpdated(ctx, before, sub);
  return sub;
}

export function cancelSubscription(ctx: Ctx, sub: Subscription): Subscription {
  if (sub.status === 'canceled')
    throw invalidRequest(`No such subscription: '${sub.id}'`, 'id', 'resource_missing');
  endSubscription(ctx, sub, nowFor(ctx, customerOf(sub)), 'cancellation_requested');
  return sub;
}

export const subscriptionRoutes: [string, string, Handler][] = [
  ['GET', '/v1/subscriptions/:id', (ctx, _p, [id]) => ctx.store.get('subscription', id as string)],
  [
    'POST',
    '/v1/subscriptions/:id',
    (ctx, p, [id]) => updateSubscription(ctx, ctx.store.get('subscription', id as string), p),
  ],
  [
    'DELETE',
    '/v1/subscriptions/:id',
    (ctx, p, [id]) => {
      allow(p, ['invoice_now', 'prorate', 'cancellation_details']);
      return cancelSubscription(ctx, ctx.store.get('subscription', id as string));
    },
  ],
  [
    'GET',
    '/v1/subscriptions',
    (ctx, p) => {
      allow(p, [
        'limit',
        'starting_after',
        'ending_before',
        'customer',
        'price',
        'status',
        'test_clock',
        'created',
      ]);
      const customer = str(p, 'customer');
      const price = str(p, 'price');
      const status = str(p, 'status');
      const clock = str(p, 'test_clock');
      const all = ctx.store.all('subscription').filter(
        (s) =>
          (customer === undefined || s.customer === customer) &&
          (price === undefined || firstItem(s).price.id === price) &&
          // Stripe lists all but canceled by default; `status=all` includes them.
          (status === 'all' ? true : status === undefined ? s.status !== 'canceled' : s.status === status) &&
          (clock === undefined || s.test_clock === clock),
      );
      return paginate(all, p, '/v1/subscriptions');
    },
  ],
  ['GET', '/v1/invoices/:id', (ctx, _p, [id]) => ctx.store.get('invoice', id as string)],
  [
    'GET',
    '/v1/invoices',
    (ctx, p) => {
      allow(p, [
        'limit',
        'starting_after',
        'ending_before',
        'customer',
        'subscription',
        'status',
        'created',
        'collection_method',
      ]);
      const customer = str(p, 'customer');
      const subscription = str(p, 'subscription');
      const status = str(p, 'status');
      const all = ctx.store
        .all('invoice')
        .filter(
          (i) =>
            (customer === undefined || i.customer === customer) &&
            (subscription === undefined || i.parent?.subscription_details?.subscription === subscription) &&
            (status === undefined || i.status === status),
        );
      return paginate(all, p, '/v1/invoices');
    },
  ],
  [
    'POST',
    '/v1/invoices/:id/pay',
    (ctx, p, [id]) => {
      allow(p, ['payment_method', 'off_session']);
      const invoice = ctx.store.get('invoice', id as string);
      if (invoice.status !== 'open')
        throw invalidRequest('Invoice is already paid.', 'id', 'invoice_already_paid');
      const subId = invoice.parent?.subscription_details?.subscription;
      const sub = typeof subId === 'string' ? ctx.store.find('subscription', subId) : undefined;
      const customer = customerOf({ customer: invoice.customer });
      const pmParam = str(p, 'payment_method');
      const pm = pmParam
        ? resolvePaymentMethod(ctx, pmParam, customer, 'payment_method').id
        : sub
          ? paymentMethodFor(ctx, sub)
          : null;
      const outcome = payNow(ctx, invoice, pm);
      if (!outcome.ok) {
        if (!pm)
          throw new StripeApiError(402, {
            type: 'card_error',
            code: 'invoice_payment_intent_requires_action',
            message: 'The customer has no payment method.',
          });
        throw cardDeclined();
      }
      return invoice;
    },
  ],
  [
    'POST',
    '/v1/invoices/create_preview',
    (ctx, p) => {
      allow(p, ['customer', 'subscription']);
      const subId = str(p, 'subscription');
      if (!subId)
        throw invalidRequest(
          'The emulator previews the next invoice of a subscription; pass subscription.',
          'subscription',
        );
      const sub = ctx.store.get('subscription', subId, 'subscription');
      const customer = str(p, 'customer');
      if (customer && customer !== sub.customer)
        throw invalidRequest('The subscription belongs to another customer.', 'customer');
      if (sub.status === 'canceled' || sub.cancel_at_period_end) {
        throw invalidRequest(
          'No upcoming invoices for this subscription.',
          'subscription',
          'invoice_upcoming_none',
        );
      }
      const start = firstItem(sub).current_period_end;
      const preview = buildInvoice(ctx, sub, renewalLines(ctx, sub, start), 'upcoming', { store: false });
      preview.status = 'draft';
      preview.created = start;
      preview.status_transitions.finalized_at = null;
      return preview;
    },
  ],
  ['GET', '/v1/payment_intents/:id', (ctx, _p, [id]) => ctx.store.get('payment_intent', id as string)],
];
