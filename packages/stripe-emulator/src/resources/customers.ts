import { attachCard, cardFromToken } from '../cards.ts';
import { type Ctx, emit, type Handler, nowFor, previousAttributes } from '../context.ts';
import { invalidRequest, resourceMissing } from '../errors.ts';
import type { Params } from '../http/form.ts';
import { allow, applyMetadata, nullable, obj, str } from '../http/params.ts';
import { newId, paginate } from '../store.ts';
import type { Customer, PaymentMethod } from '../wire.ts';

const editable = [
  'email',
  'name',
  'description',
  'phone',
  'metadata',
  'invoice_settings',
  'preferred_locales',
];

/** A PaymentMethod id, or a test token such as `pm_card_visa` (which makes a new PaymentMethod). */
export function resolvePaymentMethod(
  ctx: Ctx,
  id: string,
  customer: string | null,
  param: string,
): PaymentMethod {
  const card = cardFromToken(id);
  if (card) return attachCard(ctx, card, customer);
  const pm = ctx.store.get('payment_method', id, param);
  if (customer && pm.customer && pm.customer !== customer) {
    throw invalidRequest(`The payment method ${id} belongs to another customer.`, param);
  }
  if (customer && !pm.customer) pm.customer = customer;
  return pm;
}

function defaultPaymentMethod(ctx: Ctx, customer: Customer, params: Params): void {
  const settings = obj(params, 'invoice_settings');
  if (!settings) return;
  allow(settings, ['default_payment_method'], 'invoice_settings');
  const pm = str(settings, 'default_payment_method', 'invoice_settings[default_payment_method]');
  if (pm === undefined) return;
  customer.invoice_settings = {
    ...customer.invoice_settings,
    default_payment_method:
      pm === ''
        ? null
        : resolvePaymentMethod(ctx, pm, customer.id, 'invoice_settings[default_payment_method]').id,
  };
}

function edit(ctx: Ctx, customer: Customer, params: Params): void {
  customer.email = nullable(params, 'email', customer.email);
  customer.name = nullable(params, 'name', customer.name ?? null);
  customer.description = nullable(params, 'description', customer.description);
  customer.phone = nullable(params, 'phone', customer.phone ?? null);
  customer.metadata = applyMetadata(customer.metadata, params);
  defaultPaymentMethod(ctx, customer, params);
}

export function createCustomer(ctx: Ctx, params: Params): Customer {
  allow(params, [...editable, 'payment_method', 'test_clock']);
  const clock = str(params, 'test_clock');
  if (clock) ctx.store.get('test_helpers.test_clock', clock, 'test_clock');
  const id = newId('cus', 14);
  const customer: Customer = {
    id,
    object: 'customer',
    address: null,
    balance: 0,
    created: 0,
    currency: null,
    default_source: null,
    delinquent: false,
    description: null,
    discount: null,
    email: null,
    invoice_prefix: id.slice(4, 12).toUpperCase(),
    invoice_settings: {
      custom_fields: null,
      default_payment_method: null,
      footer: null,
      rendering_options: null,
    },
    livemode: false,
    metadata: {},
    name: null,
    next_invoice_sequence: 1,
    phone: null,
    preferred_locales: [],
    shipping: null,
    tax_exempt: 'none',
    test_clock: clock ?? null,
  };
  ctx.store.insert('customer', customer);
  customer.created = nowFor(ctx, id);
  edit(ctx, customer, params);
  const pm = str(params, 'payment_method');
  if (pm) resolvePaymentMethod(ctx, pm, id, 'payment_method');
  emit(ctx, 'customer.created', customer);
  return customer;
}

export function updateCustomer(ctx: Ctx, customer: Customer, params: Params): Customer {
  const before = structuredClone(customer);
  edit(ctx, customer, params);
  const previous = previousAttributes(before, customer);
  if (Object.keys(previous).length > 0) emit(ctx, 'customer.updated', customer, previous);
  return customer;
}

const liveCustomer = (ctx: Ctx, id: string): Customer => {
  const c = ctx.store.get('customer', id);
  if (c.deleted) throw resourceMissing('customer', id);
  return c;
};

export const customerRoutes: [string, string, Handler][] = [
  ['POST', '/v1/customers', (ctx, p) => createCustomer(ctx, p)],
  ['GET', '/v1/customers/:id', (ctx, _p, [id]) => ctx.store.get('customer', id as string)],
  [
    'POST',
    '/v1/customers/:id',
    (ctx, p, [id]) => {
      allow(p, editable);
      return updateCustomer(ctx, liveCustomer(ctx, id as string), p);
    },
  ],
  [
    'DELETE',
    '/v1/customers/:id',
    (ctx, _p, [id]) => {
      const c = liveCustomer(ctx, id as string);
      ctx.store.remove('customer', c.id);
      emit(ctx, 'customer.deleted', c);
      return { id: c.id, object: 'customer', deleted: true };
    },
  ],
  [
    'GET',
    '/v1/customers',
    (ctx, p) => {
      allow(p, ['limit', 'starting_after', 'ending_before', 'email', 'test_clock', 'created']);
      const email = str(p, 'email');
      const clock = str(p, 'test_clock');
      const all = ctx.store
        .all('customer')
        .filter(
          (c) =>
            (email === undefined || c.email === email) && (clock === undefined || c.test_clock === clock),
        );
      return paginate(all, p, '/v1/customers');
    },
  ],
  [
    'POST',
    '/v1/payment_methods/:id/attach',
    (ctx, p, [id]) => {
      allow(p, ['customer']);
      const customer = liveCustomer(ctx, str(p, 'customer') ?? '');
      const pm = resolvePaymentMethod(ctx, id as string, customer.id, 'payment_method');
      emit(ctx, 'payment_method.attached', pm);
      return pm;
    },
  ],
  ['GET', '/v1/payment_methods/:id', (ctx, _p, [id]) => ctx.store.get('payment_method', id as string)],
  [
    'GET',
    '/v1/customers/:id/payment_methods',
    (ctx, p, [id]) => {
      allow(p, ['limit', 'starting_after', 'ending_before', 'type']);
      liveCustomer(ctx, id as string);
      const all = ctx.store.all('payment_method').filter((pm) => pm.customer === id);
      return paginate(all, p, `/v1/customers/${id}/payment_methods`);
    },
  ],
];
