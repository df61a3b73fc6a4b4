import { type Ctx, emit, type Handler, nowFor } from '../context.ts';
import { invalidRequest, missingParam } from '../errors.ts';
import type { Params } from '../http/form.ts';
import { allow, applyMetadata, bool, int, oneOf, str } from '../http/params.ts';
import { newId, paginate } from '../store.ts';
import type {
  ApplicationFee,
  Balance,
  BalanceTransaction,
  Charge,
  Invoice,
  ListObject,
  PaymentIntent,
  Refund,
} from '../wire.ts';

/**
 * Where an invoice's payment goes: the connected account of its subscription's
 * `transfer_data.destination` and the application fee taken from `amount`, or none of either.
 */
export function splitOf(
  ctx: Ctx,
  invoice: Invoice,
  amount: number,
): { destinationId: string | null; feeAmount: number | null } {
  const subId = invoice.parent?.subscription_details?.subscription;
  const sub = typeof subId === 'string' ? ctx.store.find('subscription', subId) : undefined;
  const destination = sub?.transfer_data?.destination;
  const destinationId = typeof destination === 'string' ? destination : (destination?.id ?? null);
  const bps = feeBasisPoints(sub?.application_fee_percent ?? null);
  const feeAmount = destinationId && bps !== null ? share(amount, bps, 10_000) : null;
  return { destinationId, feeAmount };
}

/**
 * Stripe's standard card pricing (2.9 % + 30 cents) as the emulator's processing fee, in integer minor
 * units; real fees depend on the account, country and card.
 */
export function processingFee(amount: number): number {
  return Number((BigInt(amount) * 29n + 500n) / 1000n) + 30;
}

/** Basis points of `amount`, rounded half up, in integers. */
function share(amount: number, numerator: number, denominator: number): number {
  return Number((BigInt(amount) * BigInt(numerator) * 2n + BigInt(denominator)) / (2n * BigInt(denominator)));
}

function balanceTransaction(
  ctx: Ctx,
  owner: string | null,
  type: BalanceTransaction['type'],
  amount: number,
  fee: number,
  currency: string,
  source: string,
  description: string | null,
  at: number,
): BalanceTransaction {
  const txn: BalanceTransaction = {
    id: newId('txn'),
    object: 'balance_transaction',
    amount,
    // Funds are available at once in the emulator; Stripe holds them for days.
    available_on: at,
    balance_type: 'payments',
    created: at,
    currency,
    description,
    exchange_rate: null,
    fee,
    fee_details: fee
      ? [
          {
            amount: fee,
            application: null,
            currency,
            description: 'Stripe processing fees',
            type: 'stripe_fee',
          },
        ]
      : [],
    net: amount - fee,
    reporting_category: type === 'charge' || type === 'payment' ? 'charge' : type,
    source,
    status: 'available',
    type,
  };
  ctx.store.insert('balance_transaction', txn);
  ctx.balanceOwners.set(txn.id, owner);
  return txn;
}

/** What the platform keeps of a subscription's payments, as basis points (application_fee_percent × 100). */
function feeBasisPoints(percent: number | null): number | null {
  return percent === null ? null : Math.round(percent * 100);
}

/**
 * Records a successful payment: the Charge, the platform's balance transaction and, for a subscription
 * paying a connected account (`transfer_data.destination`), the application fee and the transfer, so that
 * the platform keeps the fee less Stripe's fee and the account receives the rest.
 */
export function recordCharge(ctx: Ctx, intent: PaymentIntent, invoice: Invoice): Charge {
  const customer = typeof intent.customer === 'string' ? intent.customer : null;
  const at = nowFor(ctx, customer);
  const amount = intent.amount;
  const { destinationId, feeAmount } = splitOf(ctx, invoice, amount);
  const id = intent.latest_charge as string;
  const stripeFee = processingFee(amount);
  const platformTxn = balanceTransaction(
    ctx,
    null,
    'charge',
    amount,
    stripeFee,
    intent.currency,
    id,
    'Subscription payment',
    at,
  );
  const charge: Charge = {
    id,
    object: 'charge',
    amount,
    amount_captured: amount,
    amount_refunded: 0,
    application: null,
    application_fee: null,
    application_fee_amount: feeAmount,
    balance_transaction: platformTxn.id,
    billing_details: { address: null, email: null, name: null, phone: null, tax_id: null },
    calculated_statement_descriptor: 'QUANT-TRADER',
    captured: true,
    created: at,
    currency: intent.currency,
    customer,
    description: intent.description,
    disputed: false,
    failure_balance_transaction: null,
    failure_code: null,
    failure_message: null,
    fraud_details: {},
    livemode: false,
    metadata: {},
    on_behalf_of: null,
    outcome: null,
    paid: true,
    payment_intent: intent.id,
    payment_method: typeof intent.payment_method === 'string' ? intent.payment_method : null,
    payment_method_details: null,
    receipt_email: null,
    receipt_number: null,
    receipt_url: null,
    refunded: false,
    review: null,
    shipping: null,
    source: null,
    source_transfer: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: 'succeeded',
    transfer_data: destinationId ? { amount: null, destination: destinationId } : null,
    transfer_group: null,
  };
  ctx.store.insert('charge', charge);
  if (destinationId && feeAmount !== null) {
    const transferred = amount - feeAmount;
    balanceTransaction(
      ctx,
      null,
      'transfer',
      -transferred,
      0,
      intent.currency,
      id,
      `Transfer to ${destinationId}`,
      at,
    );
    balanceTransaction(
      ctx,
      destinationId,
      'payment',
      transferred,
      0,
      intent.currency,
      id,
      'Payment from platform',
      at,
    );
    const feeId = newId('fee');
    const fee: ApplicationFee = {
      id: feeId,
      object: 'application_fee',
      account: destinationId,
      amount: feeAmount,
      amount_refunded: 0,
      application: 'ca_emulator',
      balance_transaction: null,
      charge: id,
      created: at,
      currency: intent.currency,
      fee_source: { charge: id, payout: undefined, type: 'charge' },
      livemode: false,
      originating_transaction: null,
      refunded: false,
      refunds: { object: 'list', data: [], has_more: false, url: `/v1/application_fees/${feeId}/refunds` },
    };
    ctx.store.insert('application_fee', fee);
    charge.application_fee = fee.id;
    emit(ctx, 'application_fee.created', fee, undefined, at);
  }
  emit(ctx, 'charge.succeeded', charge, undefined, at);
  return charge;
}

function createRefund(ctx: Ctx, params: Params): Refund {
  allow(params, [
    'payment_intent',
    'charge',
    'amount',
    'reason',
    'metadata',
    'reverse_transfer',
    'refund_application_fee',
  ]);
  const piId = str(params, 'payment_intent');
  const chargeId = str(params, 'charge');
  if (!piId && !chargeId) throw missingParam('charge');
  const intent = piId ? ctx.store.get('payment_intent', piId, 'payment_intent') : undefined;
  const charge = ctx.store.get(
    'charge',
    chargeId ?? (intent?.latest_charge as string | null) ?? '',
    chargeId ? 'charge' : 'payment_intent',
  );
  const remaining = charge.amount - charge.amount_refunded;
  const amount = int(params, 'amount') ?? remaining;
  if (amount <= 0) throw invalidRequest('Refund amount must be positive.', 'amount');
  if (amount > remaining) {
    throw invalidRequest(
      `Refund amount (${amount}) is greater than unrefunded amount on charge (${remaining})`,
      'amount',
      'amount_too_large',
    );
  }
  const customer = typeof charge.customer === 'string' ? charge.customer : null;
  const at = nowFor(ctx, customer);
  const id = newId('re');
  const txn = balanceTransaction(
    ctx,
    null,
    'refund',
    -amount,
    0,
    charge.currency,
    id,
    'REFUND FOR CHARGE',
    at,
  );
  const destination = charge.transfer_data?.destination;
  const destinationId = typeof destination === 'string' ? destination : (destination?.id ?? null);
  if (destinationId && bool(params, 'reverse_transfer')) {
    // The transfer is reversed in proportion to the part of the charge refunded, as Stripe does.
    const transferred = charge.amount - (charge.application_fee_amount ?? 0);
    const back = share(transferred, amount, charge.amount);
    balanceTransaction(
      ctx,
      null,
      'transfer_refund',
      back,
      0,
      charge.currency,
      id,
      `Reversal from ${destinationId}`,
      at,
    );
    balanceTransaction(
      ctx,
      destinationId,
      'payment_refund',
      -back,
      0,
      charge.currency,
      id,
      'Refund of payment',
      at,
    );
  }
  const feeId = typeof charge.application_fee === 'string' ? charge.application_fee : null;
  if (feeId && bool(params, 'refund_application_fee')) {
    const fee = ctx.store.get('application_fee', feeId);
    fee.amount_refunded = Math.min(
      fee.amount,
      fee.amount_refunded + share(fee.amount, amount, charge.amount),
    );
    fee.refunded = fee.amount_refunded === fee.amount;
  }
  const refund: Refund = {
    id,
    object: 'refund',
    amount,
    application: null,
    balance_transaction: txn.id,
    charge: charge.id,
    created: at,
    currency: charge.currency,
    customer,
    customer_account: null,
    // Back to the card it came from (`reversal` would mean the authorisation was voided instead).
    destination_details: { card: { type: 'refund' }, type: 'card' },
    metadata: applyMetadata({}, params),
    payment_intent: charge.payment_intent,
    payment_method: charge.payment_method,
    reason: oneOf(params, 'reason', ['duplicate', 'fraudulent', 'requested_by_customer'] as const) ?? null,
    receipt_number: null,
    source_transfer_reversal: null,
    status: 'succeeded',
    transfer_reversal: null,
  };
  ctx.store.insert('refund', refund);
  charge.amount_refunded += amount;
  charge.refunded = charge.amount_refunded === charge.amount;
  emit(ctx, 'refund.created', refund, undefined, at);
  emit(ctx, 'charge.refunded', charge, undefined, at);
  return refund;
}

/** A charge's refunds, newest first, as `expand[]=refunds` shows them (the first 100, as Stripe's). */
export function refundsOf(ctx: Ctx, chargeId: string): ListObject<Refund> {
  const data = ctx.store.all('refund').filter((r) => r.charge === chargeId);
  return {
    object: 'list',
    data: data.slice(0, 100),
    has_more: data.length > 100,
    url: `/v1/charges/${chargeId}/refunds`,
  };
}

/** Whose money a request looks at: the `Stripe-Account` header's account, else the platform. */
function owner(ctx: Ctx): string | null {
  const account = ctx.request?.account ?? null;
  if (account) ctx.store.get('account', account, 'Stripe-Account');
  return account;
}

function balance(ctx: Ctx): Balance {
  const who = owner(ctx);
  const totals = new Map<string, number>();
  for (const txn of ctx.store.oldestFirst('balance_transaction')) {
    if (ctx.balanceOwners.get(txn.id) !== who) continue;
    totals.set(txn.currency, (totals.get(txn.currency) ?? 0) + txn.net);
  }
  const available = [...totals].map(([currency, amount]) => ({
    amount,
    currency,
    source_types: { card: amount },
  }));
  return {
    object: 'balance',
    available: available.length ? available : [{ amount: 0, currency: 'usd', source_types: { card: 0 } }],
    // Reserved for connected accounts' negative balances: never any, as balances here cannot go negative
    // through disputes or payouts (neither is emulated).
    connect_reserved: [{ amount: 0, currency: available[0]?.currency ?? 'usd' }],
    livemode: false,
    pending: [{ amount: 0, currency: available[0]?.currency ?? 'usd', source_types: { card: 0 } }],
  };
}

export const moneyRoutes: [string, string, Handler][] = [
  ['GET', '/v1/charges/:id', (ctx, _p, [id]) => ctx.store.get('charge', id as string)],
  [
    'GET',
    '/v1/charges',
    (ctx, p) => {
      allow(p, ['limit', 'starting_after', 'ending_before', 'customer', 'payment_intent', 'created']);
      const customer = str(p, 'customer');
      const pi = str(p, 'payment_intent');
      const all = ctx.store
        .all('charge')
        .filter(
          (c) =>
            (customer === undefined || c.customer === customer) &&
            (pi === undefined || c.payment_intent === pi),
        );
      return paginate(all, p, '/v1/charges');
    },
  ],
  ['POST', '/v1/refunds', (ctx, p) => createRefund(ctx, p)],
  ['GET', '/v1/refunds/:id', (ctx, _p, [id]) => ctx.store.get('refund', id as string)],
  [
    'GET',
    '/v1/refunds',
    (ctx, p) => {
      allow(p, ['limit', 'starting_after', 'ending_before', 'charge', 'payment_intent', 'created']);
      const charge = str(p, 'charge');
      const pi = str(p, 'payment_intent');
      const all = ctx.store
        .all('refund')
        .filter(
          (r) =>
            (charge === undefined || r.charge === charge) && (pi === undefined || r.payment_intent === pi),
        );
      return paginate(all, p, '/v1/refunds');
    },
  ],
  [
    'GET',
    '/v1/balance',
    (ctx, p) => {
      allow(p, []);
      return balance(ctx);
    },
  ],
  [
    'GET',
    '/v1/balance_transactions/:id',
    (ctx, _p, [id]) => {
      const txn = ctx.store.get('balance_transaction', id as string);
      if (ctx.balanceOwners.get(txn.id) !== owner(ctx))
        throw invalidRequest(`No such balance transaction: '${id}'`, 'id', 'resource_missing');
      return txn;
    },
  ],
  [
    'GET',
    '/v1/balance_transactions',
    (ctx, p) => {
      allow(p, [
        'limit',
        'starting_after',
        'ending_before',
        'type',
        'source',
        'currency',
        'created',
        'payout',
      ]);
      const who = owner(ctx);
      const type = str(p, 'type');
      const source = str(p, 'source');
      const all = ctx.store
        .all('balance_transaction')
        .filter(
          (t) =>
            ctx.balanceOwners.get(t.id) === who &&
            (type === undefined || t.type === type) &&
            (source === undefined || t.source === source),
        );
      return paginate(all, p, '/v1/balance_transactions');
    },
  ],
  ['GET', '/v1/application_fees/:id', (ctx, _p, [id]) => ctx.store.get('application_fee', id as string)],
  [
    'GET',
    '/v1/application_fees',
    (ctx, p) => {
      allow(p, ['limit', 'starting_after', 'ending_before', 'charge', 'created']);
      const charge = str(p, 'charge');
      const all = ctx.store.all('application_fee').filter((f) => charge === undefined || f.charge === charge);
      return paginate(all, p, '/v1/application_fees');
    },
  ],
];
