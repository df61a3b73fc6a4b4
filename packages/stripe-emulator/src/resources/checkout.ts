import { attachCard, cardFromNumber } from '../cards.ts';
import { type Ctx, emit, type Handler, nowFor } from '../context.ts';
import { cardDeclined, invalidRequest, missingParam } from '../errors.ts';
import type { Params } from '../http/form.ts';
import { allow, applyMetadata, int, obj, objArr, oneOf, requiredStr, str } from '../http/params.ts';
import { newId, paginate } from '../store.ts';
import type { CheckoutSession, Customer, LineItem, ListObject, Price } from '../wire.ts';
import { buildInvoice, buildSubscription, chargeInvoice, renewalLines } from './billing.ts';
import { createCustomer } from './customers.ts';

/** What the session will buy, kept beside the session (Stripe exposes it only as `line_items`). */
interface SessionTerms {
  price: string;
  quantity: number;
  trialDays: number | null;
  subscriptionMetadata: Record<string, string>;
  applicationFeePercent: number | null;
  description: string | null;
  transferDestination: string | null;
}

const terms = new WeakMap<Ctx, Map<string, SessionTerms>>();
function termsOf(ctx: Ctx): Map<string, SessionTerms> {
  let m = terms.get(ctx);
  if (!m) {
    m = new Map();
    terms.set(ctx, m);
  }
  return m;
}

function sessionTerms(ctx: Ctx, id: string): SessionTerms {
  const t = termsOf(ctx).get(id);
  if (!t) throw new Error(`no terms for ${id}`);
  return t;
}

export function lineItemsOf(ctx: Ctx, session: CheckoutSession): ListObject<LineItem> {
  const t = sessionTerms(ctx, session.id);
  const price = ctx.store.get('price', t.price);
  const amount = (price.unit_amount ?? 0) * t.quantity;
  const product = ctx.store.find('product', price.product as string);
  return {
    object: 'list',
    data: [
      {
        id: `li_${session.id.slice(3, 27)}`,
        object: 'item',
        adjustable_quantity: null,
        amount_discount: 0,
        amount_subtotal: amount,
        amount_tax: 0,
        amount_total: amount,
        currency: price.currency,
        description: product?.name ?? null,
        metadata: {},
        price: structuredClone(price),
        quantity: t.quantity,
      },
    ],
    has_more: false,
    url: `/v1/checkout/sessions/${session.id}/line_items`,
  };
}

function createSession(ctx: Ctx, params: Params): CheckoutSession {
  allow(params, [
    'mode',
    'line_items',
    'customer',
    'customer_email',
    'success_url',
    'cancel_url',
    'client_reference_id',
    'metadata',
    'subscription_data',
    'allow_promotion_codes',
    'payment_method_types',
    'billing_address_collection',
    'expires_at',
    'locale',
    'ui_mode',
  ]);
  const mode = oneOf(params, 'mode', ['payment', 'setup', 'subscription'] as const);
  if (!mode) throw missingParam('mode');
  if (mode !== 'subscription')
    throw invalidRequest('The emulator implements mode=subscription only.', 'mode');
  const successUrl = requiredStr(params, 'success_url');
  const customerId = str(params, 'customer');
  const email = str(params, 'customer_email');
  if (customerId && email) {
    throw invalidRequest(
      'You may only specify one of these parameters: customer, customer_email.',
      'customer_email',
    );
  }
  const customer = customerId ? ctx.store.get('customer', customerId, 'customer') : undefined;
  const items = objArr(params, 'line_items');
  if (!items || items.length === 0) throw missingParam('line_items');
  if (items.length > 1)
    throw invalidRequest('The emulator supports one line item per session.', 'line_items');
  const item = items[0] as Params;
  allow(item, ['price', 'quantity'], 'line_items[0]');
  const price: Price = ctx.store.get(
    'price',
    requiredStr(item, 'price', 'line_items[0][price]'),
    'line_items[0][price]',
  );
  if (!price.active) throw invalidRequest(`The price \`${price.id}\` is not active.`, 'line_items[0][price]');
  if (!price.recurring) {
    throw invalidRequest(
      'You must provide at least one recurring price in `subscription` mode when using prices.',
      'line_items[0][price]',
    );
  }
  const quantity = int(item, 'quantity', 'line_items[0][quantity]') ?? 1;
  if (quantity < 1) throw invalidRequest('quantity must be at least 1.', 'line_items[0][quantity]');
  const subData = obj(params, 'subscription_data') ?? {};
  allow(
    subData,
    ['trial_period_days', 'metadata', 'application_fee_percent', 'description', 'transfer_data'],
    'subscription_data',
  );
  const transfer = obj(subData, 'transfer_data', 'subscription_data[transfer_data]');
  let destination: string | null = null;
  if (transfer) {
    allow(transfer, ['destination'], 'subscription_data[transfer_data]');
    const param = 'subscription_data[transfer_data][destination]';
    const account = ctx.store.get('account', requiredStr(transfer, 'destination', param), param);
    if (account.capabilities?.transfers !== 'active') {
      throw invalidRequest(
        'Your destination account needs to have at least one of the following capabilities enabled: transfers, crypto_transfers, legacy_payments',
        param,
        'insufficient_capabilities_for_transfer',
      );
    }
    destination = account.id;
  }
  const trialDays = int(subData, 'trial_period_days', 'subscription_data[trial_period_days]') ?? null;
  if (trialDays !== null && (trialDays < 1 || trialDays > 730)) {
    throw invalidRequest(
      'trial_period_days must be between 1 and 730.',
      'subscription_data[trial_period_days]',
    );
  }
  const fee = str(subData, 'application_fee_percent', 'subscription_data[application_fee_percent]');
  if (fee !== undefined && !/^\d{1,2}(\.\d{1,2})?$|^100$/.test(fee)) {
    throw invalidRequest(
      'application_fee_percent must be between 0 and 100.',
      'subscription_data[application_fee_percent]',
    );
  }
  const now = nowFor(ctx, customer?.id);
  const id = newId('cs_test', 58);
  const amount = trialDays ? 0 : (price.unit_amount ?? 0) * quantity;
  const session: CheckoutSession = {
    id,
    object: 'checkout.session',
    adaptive_pricing: null,
    after_expiration: null,
    allow_promotion_codes: null,
    allowed_payment_method_types: null,
    amount_subtotal: amount,
    amount_total: amount,
    automatic_tax: { enabled: false, liability: null, provider: null, status: null },
    billing_address_collection: null,
    cancel_url: str(params, 'cancel_url') ?? null,
    client_reference_id: str(params, 'client_reference_id') ?? null,
    client_secret: null,
    collected_information: null,
    consent: null,
    consent_collection: null,
    created: now,
    currency: price.currency,
    currency_conversion: null,
    custom_fields: [],
    custom_text: {
      after_submit: null,
      shipping_address: null,
      submit: null,
      terms_of_service_acceptance: null,
    },
    customer: customer?.id ?? null,
    customer_account: null,
    customer_creation: customer ? null : 'always',
    customer_details: null,
    customer_email: email ?? null,
    discounts: [],
    expires_at: int(params, 'expires_at') ?? now + 86_400,
    integration_identifier: null,
    invoice: null,
    invoice_creation: null,
    livemode: false,
    locale: null,
    managed_payments: null,
    metadata: applyMetadata({}, params),
    mode: 'subscription',
    origin_context: null,
    payment_intent: null,
    payment_link: null,
    payment_method_collection: 'always',
    payment_method_configuration_details: null,
    payment_method_options: null,
    payment_method_types: ['card'],
    payment_status: 'unpaid',
    permissions: null,
    phone_number_collection: { enabled: false },
    recovered_from: null,
    saved_payment_method_options: null,
    setup_intent: null,
    shipping_address_collection: null,
    shipping_cost: null,
    shipping_options: [],
    status: 'open',
    submit_type: null,
    subscription: null,
    success_url: successUrl,
    total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
    ui_mode: 'hosted',
    url: `${ctx.baseUrl}/c/pay/${id}`,
    wallet_options: null,
  };
  ctx.store.insert('checkout.session', session);
  termsOf(ctx).set(id, {
    price: price.id,
    quantity,
    trialDays,
    subscriptionMetadata: applyMetadata({}, subData),
    applicationFeePercent: fee === undefined ? null : Number(fee),
    description: str(subData, 'description') ?? null,
    transferDestination: destination,
  });
  return session;
}

export function openSession(ctx: Ctx, id: string): CheckoutSession {
  const session = ctx.store.get('checkout.session', id);
  if (
    session.status === 'open' &&
    nowFor(ctx, typeof session.customer === 'string' ? session.customer : null) >= session.expires_at
  ) {
    expireSession(ctx, session);
  }
  return session;
}

function expireSession(ctx: Ctx, session: CheckoutSession): void {
  session.status = 'expired';
  session.url = null;
  emit(ctx, 'checkout.session.expired', session);
}

/**
 * The Pay button: charges the card for the first invoice and, only when that succeeds, creates the
 * customer (if needed), the subscription, the paid invoice and the payment intent, then sends the
 * events. A declined card throws a card error and changes nothing, so the page can show it.
 */
export function completeSession(
  ctx: Ctx,
  session: CheckoutSession,
  cardNumber: string,
  email: string | null,
): void {
  if (session.status !== 'open') throw invalidRequest(`This Checkout Session is ${session.status}.`);
  const card = cardFromNumber(cardNumber);
  if (card.behaviour === 'declines') attachCard(ctx, card, null); // throws the decline; nothing changed yet
  const t = sessionTerms(ctx, session.id);
  const price = ctx.store.get('price', t.price);
  const immediate = (price.unit_amount ?? 0) * t.quantity;
  // This card attaches but every charge fails: the first payment declines unless a trial defers it.
  if (card.behaviour === 'fails_on_charge' && immediate > 0 && !t.trialDays) throw cardDeclined();
  let customer: Customer | undefined =
    typeof session.customer === 'string' ? ctx.store.get('customer', session.customer) : undefined;
  const payerEmail = session.customer_email ?? email;
  customer ??= createCustomer(ctx, payerEmail ? { email: payerEmail } : {});
  const pm = attachCard(ctx, card, customer.id);
  customer.invoice_settings.default_payment_method = pm.id;
  const sub = buildSubscription(ctx, {
    customer: customer.id,
    price,
    quantity: t.quantity,
    trialDays: t.trialDays,
    metadata: t.subscriptionMetadata,
    applicationFeePercent: t.applicationFeePercent,
    description: t.description,
    defaultPaymentMethod: pm.id,
    transferDestination: t.transferDestination,
  });
  const start = sub.items.data[0]?.current_period_start ?? 0;
  const lines = renewalLines(ctx, sub, start);
  if (t.trialDays) {
    for (const l of lines) {
      l.amount = 0;
      l.description = `Trial period for ${l.description}`;
      l.period.end = sub.trial_end ?? l.period.end;
    }
  }
  const invoice = buildInvoice(ctx, sub, lines, 'subscription_create');
  const outcome = chargeInvoice(ctx, invoice, pm.id);
  if (!outcome.ok) throw new Error('checkout charge failed after the card was accepted');
  if (!t.trialDays) sub.status = 'active';
  const now = nowFor(ctx, customer.id);
  session.status = 'complete';
  session.payment_status = t.trialDays ? 'no_payment_required' : 'paid';
  session.customer = customer.id;
  session.customer_details = {
    address: null,
    business_name: null,
    email: payerEmail ?? customer.email,
    individual_name: null,
    name: customer.name ?? null,
    phone: null,
    tax_exempt: 'none',
    tax_ids: [],
  };
  session.subscription = sub.id;
  session.invoice = invoice.id;
  session.url = null;
  // The order the brief of issue 11 names; consumers must not rely on it (see `shuffle`).
  emit(ctx, 'checkout.session.completed', session, undefined, now);
  emit(ctx, 'customer.subscription.created', sub, undefined, now);
  emit(ctx, 'invoice.created', invoice, undefined, now);
  emit(ctx, 'invoice.finalized', invoice, undefined, now);
  if (outcome.intent) emit(ctx, 'payment_intent.succeeded', outcome.intent, undefined, now);
  emit(ctx, 'invoice.paid', invoice, undefined, now);
  emit(ctx, 'invoice.payment_succeeded', invoice, undefined, now);
}

export const checkoutRoutes: [string, string, Handler][] = [
  ['POST', '/v1/checkout/sessions', (ctx, p) => createSession(ctx, p)],
  ['GET', '/v1/checkout/sessions/:id', (ctx, _p, [id]) => openSession(ctx, id as string)],
  [
    'GET',
    '/v1/checkout/sessions/:id/line_items',
    (ctx, p, [id]) =>
      paginate(
        lineItemsOf(ctx, openSession(ctx, id as string)).data,
        p,
        `/v1/checkout/sessions/${id}/line_items`,
      ),
  ],
  [
    'POST',
    '/v1/checkout/sessions/:id/expire',
    (ctx, _p, [id]) => {
      const session = openSession(ctx, id as string);
      if (session.status !== 'open') {
        throw invalidRequest(`Only Checkout Sessions with a status in ["open"] can be expired.`, 'session');
      }
      expireSession(ctx, session);
      return session;
    },
  ],
  [
    'GET',
    '/v1/checkout/sessions',
    (ctx, p) => {
      allow(p, ['limit', 'starting_after', 'ending_before', 'customer', 'subscription', 'status', 'created']);
      const customer = str(p, 'customer');
      const subscription = str(p, 'subscription');
      const status = str(p, 'status');
      const all = ctx.store
        .all('checkout.session')
        .filter(
          (s) =>
            (customer === undefined || s.customer === customer) &&
            (subscription === undefined || s.subscription === subscription) &&
            (status === undefined || s.status === status),
        );
      return paginate(all, p, '/v1/checkout/sessions');
    },
  ],
];
