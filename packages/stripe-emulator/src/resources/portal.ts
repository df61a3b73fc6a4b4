import { type Ctx, type Handler, nowFor } from '../context.ts';
import { invalidRequest } from '../errors.ts';
import type { Params } from '../http/form.ts';
import {
  allow,
  applyMetadata,
  bool,
  nullable,
  obj,
  objArr,
  oneOf,
  requiredStr,
  str,
  strArr,
} from '../http/params.ts';
import { newId, paginate } from '../store.ts';
import type { PortalConfiguration, PortalSession, Price, Subscription } from '../wire.ts';

type Features = PortalConfiguration['features'];

function features(params: Params): Features {
  const f = obj(params, 'features') ?? {};
  allow(
    f,
    [
      'customer_update',
      'invoice_history',
      'payment_method_update',
      'subscription_cancel',
      'subscription_pause',
      'subscription_update',
    ],
    'features',
  );
  const update = obj(f, 'subscription_update') ?? {};
  const cancel = obj(f, 'subscription_cancel') ?? {};
  const pmUpdate = obj(f, 'payment_method_update') ?? {};
  const history = obj(f, 'invoice_history') ?? {};
  const products = (objArr(update, 'products', 'features[subscription_update][products]') ?? []).map(
    (p, i) => {
      const param = `features[subscription_update][products][${i}]`;
      return {
        adjustable_quantity: { enabled: false, maximum: null, minimum: 1 },
        prices: strArr(p, 'prices', `${param}[prices]`) ?? [],
        product: requiredStr(p, 'product', `${param}[product]`),
      };
    },
  );
  const updateEnabled = bool(update, 'enabled', 'features[subscription_update][enabled]') ?? false;
  if (updateEnabled && products.length === 0) {
    throw invalidRequest(
      'features[subscription_update][products] is required when subscription_update is enabled.',
      'features[subscription_update][products]',
    );
  }
  return {
    customer_update: { allowed_updates: [], enabled: false },
    invoice_history: { enabled: bool(history, 'enabled', 'features[invoice_history][enabled]') ?? true },
    payment_method_update: {
      enabled: bool(pmUpdate, 'enabled', 'features[payment_method_update][enabled]') ?? true,
      payment_method_configuration: null,
    },
    subscription_cancel: {
      cancellation_reason: { enabled: false, feedback_options: null, options: [] },
      enabled: bool(cancel, 'enabled', 'features[subscription_cancel][enabled]') ?? true,
      mode:
        oneOf(
          cancel,
          'mode',
          ['at_period_end', 'immediately'] as const,
          'features[subscription_cancel][mode]',
        ) ?? 'at_period_end',
      proration_behavior: 'none',
    },
    subscription_pause: { duration: { interval_options: [], type: 'unlimited' }, enabled: false },
    subscription_update: {
      billing_cycle_anchor: null,
      default_allowed_updates: updateEnabled ? ['price'] : [],
      enabled: updateEnabled,
      products,
      proration_behavior:
        oneOf(
          update,
          'proration_behavior',
          ['always_invoice', 'create_prorations', 'none'] as const,
          'features[subscription_update][proration_behavior]',
        ) ?? 'create_prorations',
      schedule_at_period_end: { conditions: [] },
      trial_update_behavior: 'end_trial',
    },
  };
}

function createConfiguration(ctx: Ctx, params: Params): PortalConfiguration {
  allow(params, ['features', 'business_profile', 'default_return_url', 'metadata', 'name', 'login_page']);
  const profile = obj(params, 'business_profile') ?? {};
  const now = ctx.wallSeconds();
  const config: PortalConfiguration = {
    id: newId('bpc'),
    object: 'billing_portal.configuration',
    active: true,
    application: null,
    business_profile: {
      headline: nullable(profile, 'headline', null),
      privacy_policy_url: nullable(profile, 'privacy_policy_url', null),
      terms_of_service_url: nullable(profile, 'terms_of_service_url', null),
    },
    created: now,
    default_return_url: nullable(params, 'default_return_url', null),
    features: features(params),
    is_default: false,
    livemode: false,
    login_page: { enabled: false, url: null },
    metadata: applyMetadata({}, params),
    name: nullable(params, 'name', null),
    updated: now,
  };
  for (const p of config.features.subscription_update.products ?? []) {
    ctx.store.get('product', p.product, 'features[subscription_update][products][product]');
    for (const price of p.prices)
      ctx.store.get('price', price, 'features[subscription_update][products][prices]');
  }
  return ctx.store.insert('billing_portal.configuration', config);
}

/**
 * The configuration Stripe's dashboard would hold by default. The emulator's default allows cancelling
 * at period end, updating the card and switching to any active recurring price in the same currency.
 */
function defaultConfiguration(ctx: Ctx): PortalConfiguration {
  const existing = ctx.store.all('billing_portal.configuration').find((c) => c.is_default);
  if (existing) return existing;
  const config = createConfiguration(ctx, {});
  config.is_default = true;
  return config;
}

/** Prices a portal session may switch `sub` to. */
export function switchablePrices(ctx: Ctx, config: PortalConfiguration, sub: Subscription): Price[] {
  const update = config.features.subscription_update;
  const current = sub.items.data[0]?.price.id;
  const candidates = config.is_default
    ? ctx.store.all('price').filter((p) => p.recurring && p.currency === sub.currency)
    : update.enabled
      ? (update.products ?? []).flatMap((p) => p.prices.map((id) => ctx.store.get('price', id)))
      : [];
  return candidates.filter((p) => p.active && p.id !== current);
}

export function portalConfigOf(ctx: Ctx, session: PortalSession): PortalConfiguration {
  return ctx.store.get('billing_portal.configuration', session.configuration as string);
}

export const portalRoutes: [string, string, Handler][] = [
  ['POST', '/v1/billing_portal/configurations', (ctx, p) => createConfiguration(ctx, p)],
  [
    'GET',
    '/v1/billing_portal/configurations/:id',
    (ctx, _p, [id]) => ctx.store.get('billing_portal.configuration', id as string),
  ],
  [
    'GET',
    '/v1/billing_portal/configurations',
    (ctx, p) => {
      allow(p, ['limit', 'starting_after', 'ending_before', 'active', 'is_default']);
      return paginate(ctx.store.all('billing_portal.configuration'), p, '/v1/billing_portal/configurations');
    },
  ],
  [
    'POST',
    '/v1/billing_portal/sessions',
    (ctx, p) => {
      allow(p, ['customer', 'return_url', 'configuration', 'locale', 'flow_data', 'on_behalf_of']);
      const customer = ctx.store.get('customer', requiredStr(p, 'customer'), 'customer');
      const configId = str(p, 'configuration');
      const config = configId
        ? ctx.store.get('billing_portal.configuration', configId, 'configuration')
        : defaultConfiguration(ctx);
      const id = newId('bps');
      const session: PortalSession = {
        id,
        object: 'billing_portal.session',
        configuration: config.id,
        created: nowFor(ctx, customer.id),
        customer: customer.id,
        customer_account: null,
        flow: null,
        livemode: false,
        locale: null,
        on_behalf_of: null,
        return_url: str(p, 'return_url') ?? config.default_return_url,
        url: `${ctx.baseUrl}/p/session/${id}`,
      };
      return ctx.store.insert('billing_portal.session', session);
    },
  ],
];
