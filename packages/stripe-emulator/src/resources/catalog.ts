import { type Ctx, emit, type Handler, previousAttributes } from '../context.ts';
import { invalidRequest, missingParam } from '../errors.ts';
import type { Params } from '../http/form.ts';
import {
  allow,
  applyMetadata,
  bool,
  int,
  nullable,
  obj,
  oneOf,
  requiredStr,
  str,
  strArr,
} from '../http/params.ts';
import { newId, paginate } from '../store.ts';
import type { Price, Product } from '../wire.ts';

// Stripe's own ceiling for unit_amount (eight digits of minor units).
const maxUnitAmount = 99_999_999;
const intervals = ['day', 'week', 'month', 'year'] as const;

function createProduct(ctx: Ctx, params: Params): Product {
  allow(params, [
    'id',
    'name',
    'description',
    'metadata',
    'active',
    'url',
    'images',
    'statement_descriptor',
    'unit_label',
  ]);
  const id = str(params, 'id') || newId('prod', 14);
  if (ctx.store.find('product', id)) {
    throw invalidRequest(`Product already exists.`, 'id', 'resource_already_exists');
  }
  const now = ctx.wallSeconds();
  const product: Product = {
    id,
    object: 'product',
    active: bool(params, 'active') ?? true,
    created: now,
    default_price: null,
    description: nullable(params, 'description', null),
    images: strArr(params, 'images') ?? [],
    livemode: false,
    marketing_features: [],
    metadata: applyMetadata({}, params),
    name: requiredStr(params, 'name'),
    package_dimensions: null,
    shippable: null,
    statement_descriptor: nullable(params, 'statement_descriptor', null),
    tax_code: null,
    tax_details: null,
    type: 'service',
    unit_label: nullable(params, 'unit_label', null),
    updated: now,
    url: nullable(params, 'url', null),
  };
  ctx.store.insert('product', product);
  emit(ctx, 'product.created', product);
  return product;
}

function updateProduct(ctx: Ctx, product: Product, params: Params): Product {
  allow(params, ['name', 'description', 'metadata', 'active', 'url', 'default_price']);
  const before = structuredClone(product);
  const name = str(params, 'name');
  if (name === '') throw missingParam('name');
  if (name) product.name = name;
  product.description = nullable(params, 'description', product.description);
  product.url = nullable(params, 'url', product.url);
  product.active = bool(params, 'active') ?? product.active;
  product.metadata = applyMetadata(product.metadata, params);
  const defaultPrice = str(params, 'default_price');
  if (defaultPrice !== undefined) {
    if (defaultPrice !== '') ctx.store.get('price', defaultPrice, 'default_price');
    product.default_price = defaultPrice || null;
  }
  const previous = previousAttributes(before, product);
  if (Object.keys(previous).length > 0) {
    product.updated = ctx.wallSeconds();
    emit(ctx, 'product.updated', product, previous);
  }
  return product;
}

/** Moves `lookup_key` to `price` when asked to, else refuses a key another price holds (as Stripe). */
function claimLookupKey(ctx: Ctx, price: Price, key: string | null, transfer: boolean): void {
  if (key !== null) {
    if (key.length > 200) throw invalidRequest('lookup_key can be at most 200 characters.', 'lookup_key');
    const holder = ctx.store.all('price').find((p) => p.lookup_key === key && p.id !== price.id);
    if (holder) {
      if (!transfer) {
        throw invalidRequest(
          `A price (\`${holder.id}\`) already uses that lookup key. Set \`transfer_lookup_key\` to move it.`,
          'lookup_key',
        );
      }
      const before = structuredClone(holder);
      holder.lookup_key = null;
      emit(ctx, 'price.updated', holder, previousAttributes(before, holder));
    }
  }
  price.lookup_key = key;
}

function createPrice(ctx: Ctx, params: Params): Price {
  allow(params, [
    'currency',
    'unit_amount',
    'unit_amount_decimal',
    'product',
    'product_data',
    'recurring',
    'lookup_key',
    'transfer_lookup_key',
    'nickname',
    'metadata',
    'active',
    'tax_behavior',
    'billing_scheme',
  ]);
  const currency = requiredStr(params, 'currency').toLowerCase();
  if (!/^[a-z]{3}$/.test(currency)) throw invalidRequest(`Invalid currency: ${currency}`, 'currency');
  let unitAmount = int(params, 'unit_amount');
  const decimal = str(params, 'unit_amount_decimal');
  if (unitAmount === undefined && decimal !== undefined) {
    // Whole minor units only: fractional cents would need decimal arithmetic the emulator does not do.
    if (!/^\d{1,8}$/.test(decimal)) {
      throw invalidRequest(
        'The emulator supports whole-unit unit_amount_decimal only.',
        'unit_amount_decimal',
      );
    }
    unitAmount = Number(decimal);
  }
  if (unitAmount === undefined) throw missingParam('unit_amount');
  if (unitAmount < 0 || unitAmount > maxUnitAmount) {
    throw invalidRequest(`unit_amount must be between 0 and ${maxUnitAmount}.`, 'unit_amount');
  }
  let productId = str(params, 'product');
  const productData = obj(params, 'product_data');
  if (productId && productData) {
    throw invalidRequest('You may only specify one of these parameters: product, product_data.', 'product');
  }
  if (productData) productId = createProduct(ctx, productData).id;
  if (!productId) throw missingParam('product');
  ctx.store.get('product', productId, 'product');
  const recurringParams = obj(params, 'recurring');
  let recurring: Price['recurring'] = null;
  if (recurringParams) {
    allow(recurringParams, ['interval', 'interval_count', 'usage_type', 'trial_period_days'], 'recurring');
    const interval = oneOf(recurringParams, 'interval', intervals, 'recurring[interval]');
    if (!interval) throw missingParam('recurring[interval]');
    const count = int(recurringParams, 'interval_count', 'recurring[interval_count]') ?? 1;
    if (count < 1 || (interval === 'year' && count > 3) || (interval === 'month' && count > 36)) {
      throw invalidRequest('The maximum billing interval is three years.', 'recurring[interval_count]');
    }
    recurring = {
      interval,
      interval_count: count,
      meter: null,
      trial_period_days: null,
      usage_type: 'licensed',
    };
  }
  const price: Price = {
    id: newId('price'),
    object: 'price',
    active: bool(params, 'active') ?? true,
    billing_scheme: 'per_unit',
    created: ctx.wallSeconds(),
    currency,
    custom_unit_amount: null,
    livemode: false,
    lookup_key: null,
    metadata: applyMetadata({}, params),
    nickname: nullable(params, 'nickname', null),
    product: productId,
    recurring,
    tax_behavior:
      oneOf(params, 'tax_behavior', ['exclusive', 'inclusive', 'unspecified'] as const) ?? 'unspecified',
    tiers_mode: null,
    transform_quantity: null,
    type: recurring ? 'recurring' : 'one_time',
    unit_amount: unitAmount,
    unit_amount_decimal: String(unitAmount),
  };
  claimLookupKey(
    ctx,
    price,
    nullable(params, 'lookup_key', null),
    bool(params, 'transfer_lookup_key') ?? false,
  );
  ctx.store.insert('price', price);
  emit(ctx, 'price.created', price);
  return price;
}

function updatePrice(ctx: Ctx, price: Price, params: Params): Price {
  allow(params, ['active', 'metadata', 'nickname', 'lookup_key', 'transfer_lookup_key', 'tax_behavior']);
  const before = structuredClone(price);
  price.active = bool(params, 'active') ?? price.active;
  price.metadata = applyMetadata(price.metadata, params);
  price.nickname = nullable(params, 'nickname', price.nickname);
  if (params.lookup_key !== undefined) {
    claimLookupKey(
      ctx,
      price,
      nullable(params, 'lookup_key', null),
      bool(params, 'transfer_lookup_key') ?? false,
    );
  }
  const previous = previousAttributes(before, price);
  if (Object.keys(previous).length > 0) emit(ctx, 'price.updated', price, previous);
  return price;
}

export const catalogRoutes: [string, string, Handler][] = [
  ['POST', '/v1/products', (ctx, p) => createProduct(ctx, p)],
  ['GET', '/v1/products/:id', (ctx, _p, [id]) => ctx.store.get('product', id as string)],
  [
    'POST',
    '/v1/products/:id',
    (ctx, p, [id]) => updateProduct(ctx, ctx.store.get('product', id as string), p),
  ],
  [
    'GET',
    '/v1/products',
    (ctx, p) => {
      allow(p, ['limit', 'starting_after', 'ending_before', 'active', 'ids', 'created', 'url']);
      const active = bool(p, 'active');
      const ids = strArr(p, 'ids');
      const all = ctx.store
        .all('product')
        .filter((x) => (active === undefined || x.active === active) && (!ids || ids.includes(x.id)));
      return paginate(all, p, '/v1/products');
    },
  ],
  ['POST', '/v1/prices', (ctx, p) => createPrice(ctx, p)],
  ['GET', '/v1/prices/:id', (ctx, _p, [id]) => ctx.store.get('price', id as string)],
  ['POST', '/v1/prices/:id', (ctx, p, [id]) => updatePrice(ctx, ctx.store.get('price', id as string), p)],
  [
    'GET',
    '/v1/prices',
    (ctx, p) => {
      allow(p, [
        'limit',
        'starting_after',
        'ending_before',
        'active',
        'product',
        'type',
        'currency',
        'lookup_keys',
        'recurring',
        'created',
      ]);
      const active = bool(p, 'active');
      const product = str(p, 'product');
      const type = oneOf(p, 'type', ['one_time', 'recurring'] as const);
      const currency = str(p, 'currency')?.toLowerCase();
      const lookupKeys = strArr(p, 'lookup_keys');
      if (lookupKeys && lookupKeys.length > 10) {
        throw invalidRequest('You can pass at most 10 lookup_keys.', 'lookup_keys');
      }
      const recurring = obj(p, 'recurring');
      const interval = recurring ? oneOf(recurring, 'interval', intervals, 'recurring[interval]') : undefined;
      const all = ctx.store
        .all('price')
        .filter(
          (x) =>
            (active === undefined || x.active === active) &&
            (product === undefined || x.product === product) &&
            (type === undefined || x.type === type) &&
            (currency === undefined || x.currency === currency) &&
            (!lookupKeys || (x.lookup_key !== null && lookupKeys.includes(x.lookup_key))) &&
            (interval === undefined || x.recurring?.interval === interval),
        );
      return paginate(all, p, '/v1/prices');
    },
  ],
];
