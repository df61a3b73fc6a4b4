import { type Ctx, emit, type Handler, previousAttributes } from '../context.ts';
import { invalidRequest, objectLimit } from '../errors.ts';
import type { Params } from '../http/form.ts';
import { allow, applyMetadata, nullable, obj, oneOf, requiredStr, str } from '../http/params.ts';
import { newId, paginate } from '../store.ts';
import type { Account } from '../wire.ts';

/** An account link's one-time onboarding URL (Stripe's links work once and expire after minutes). */
export interface OnboardingLink {
  account: string;
  refreshUrl: string;
  returnUrl: string;
  expiresAt: number;
  visited: boolean;
  used: boolean;
}

const links = new WeakMap<Ctx, Map<string, OnboardingLink>>();
const maxLinks = 10_000;
const linkLifetimeSeconds = 300;

export function linksOf(ctx: Ctx): Map<string, OnboardingLink> {
  let m = links.get(ctx);
  if (!m) {
    m = new Map();
    links.set(ctx, m);
  }
  return m;
}

const requirementsDue = [
  'business_profile.url',
  'external_account',
  'individual.first_name',
  'tos_acceptance.date',
];

function createAccount(ctx: Ctx, params: Params): Account {
  allow(params, [
    'type',
    'country',
    'email',
    'business_type',
    'capabilities',
    'metadata',
    'business_profile',
    'controller',
  ]);
  const type = oneOf(params, 'type', ['express', 'standard', 'custom'] as const) ?? 'express';
  if (type !== 'express') throw invalidRequest('The emulator implements Express accounts only.', 'type');
  const profile = obj(params, 'business_profile') ?? {};
  const now = ctx.wallSeconds();
  const id = newId('acct', 16);
  const account: Account = {
    id,
    object: 'account',
    business_profile: {
      annual_revenue: null,
      estimated_worker_count: null,
      mcc: null,
      minority_owned_business_designation: null,
      name: nullable(profile, 'name', null),
      product_description: null,
      specified_commercial_transactions_act_url: null,
      support_address: null,
      support_email: null,
      support_phone: null,
      support_url: null,
      url: nullable(profile, 'url', null),
    },
    business_type:
      oneOf(params, 'business_type', ['company', 'government_entity', 'individual', 'non_profit'] as const) ??
      null,
    capabilities: { card_payments: 'inactive', transfers: 'inactive' },
    charges_enabled: false,
    // An Express account created by a platform: the platform controls it, Stripe collects requirements.
    controller: {
      fees: { payer: 'application_express' },
      is_controller: true,
      losses: { payments: 'application' },
      requirement_collection: 'stripe',
      stripe_dashboard: { type: 'express' },
      type: 'application',
    },
    country: str(params, 'country') ?? 'US',
    created: now,
    default_currency: 'usd',
    details_submitted: false,
    email: nullable(params, 'email', null),
    // No bank accounts are emulated (payouts are not): the list is always empty.
    external_accounts: {
      object: 'list',
      data: [],
      has_more: false,
      url: `/v1/accounts/${id}/external_accounts`,
    },
    future_requirements: {
      alternatives: [],
      current_deadline: null,
      currently_due: [],
      disabled_reason: null,
      errors: [],
      eventually_due: [],
      past_due: [],
      pending_verification: [],
    },
    metadata: applyMetadata({}, params),
    payouts_enabled: false,
    requirements: {
      alternatives: [],
      current_deadline: null,
      currently_due: [...requirementsDue],
      disabled_reason: 'requirements.past_due',
      errors: [],
      eventually_due: [...requirementsDue],
      past_due: [...requirementsDue],
      pending_verification: [],
    },
    // Express users accept Stripe's terms in onboarding; the platform does not see when or from where.
    tos_acceptance: { date: null, ip: null, user_agent: null },
    type: 'express',
  };
  ctx.store.insert('account', account);
  return account;
}

/** What finishing Express onboarding does: requirements met, capabilities and payouts on. */
export function completeOnboarding(ctx: Ctx, account: Account): void {
  const before = structuredClone(account);
  account.details_submitted = true;
  account.charges_enabled = true;
  account.payouts_enabled = true;
  account.capabilities = { card_payments: 'active', transfers: 'active' };
  account.requirements = {
    alternatives: [],
    current_deadline: null,
    currently_due: [],
    disabled_reason: null,
    errors: [],
    eventually_due: [],
    past_due: [],
    pending_verification: [],
  };
  emit(ctx, 'account.updated', account, previousAttributes(before, account));
}

/**
 * The platform's own account, as `GET /v1/account` answers it: a full (standard) account that controls
 * itself, charges and payouts on, nothing due. Built on each call from `ctx.platform` (it is not one of
 * the connected accounts `GET /v1/accounts` lists).
 */
function platformAccount(ctx: Ctx): Account {
  const { id, created } = ctx.platform;
  const none = {
    alternatives: [],
    current_deadline: null,
    currently_due: [],
    disabled_reason: null,
    errors: [],
    eventually_due: [],
    past_due: [],
    pending_verification: [],
  };
  return {
    id,
    object: 'account',
    business_profile: {
      annual_revenue: null,
      estimated_worker_count: null,
      mcc: '5734',
      minority_owned_business_designation: null,
      name: 'Quant-Trader (emulated platform)',
      product_description: null,
      specified_commercial_transactions_act_url: null,
      support_address: null,
      support_email: null,
      support_phone: null,
      support_url: null,
      url: null,
    },
    business_type: 'company',
    capabilities: { card_payments: 'active', transfers: 'active' },
    charges_enabled: true,
    controller: { type: 'account' },
    country: 'US',
    created,
    default_currency: 'usd',
    details_submitted: true,
    email: null,
    external_accounts: {
      object: 'list',
      data: [],
      has_more: false,
      url: `/v1/accounts/${id}/external_accounts`,
    },
    future_requirements: { ...none },
    metadata: {},
    payouts_enabled: true,
    requirements: { ...none },
    tos_acceptance: { date: created, ip: null, user_agent: null },
    type: 'standard',
  };
}

export const connectRoutes: [string, string, Handler][] = [
  // With a `Stripe-Account` header Stripe answers that connected account, else the key's own account.
  [
    'GET',
    '/v1/account',
    (ctx) => {
      const acting = ctx.request?.account;
      return acting ? ctx.store.get('account', acting) : platformAccount(ctx);
    },
  ],
  ['POST', '/v1/accounts', (ctx, p) => createAccount(ctx, p)],
  ['GET', '/v1/accounts/:id', (ctx, _p, [id]) => ctx.store.get('account', id as string)],
  [
    'POST',
    '/v1/accounts/:id',
    (ctx, p, [id]) => {
      allow(p, ['email', 'metadata']);
      const account = ctx.store.get('account', id as string);
      const before = structuredClone(account);
      account.email = nullable(p, 'email', account.email);
      account.metadata = applyMetadata(account.metadata ?? {}, p);
      const previous = previousAttributes(before, account);
      if (Object.keys(previous).length > 0) emit(ctx, 'account.updated', account, previous);
      return account;
    },
  ],
  [
    'DELETE',
    '/v1/accounts/:id',
    (ctx, _p, [id]) => {
      const account = ctx.store.get('account', id as string);
      ctx.store.remove('account', account.id);
      return { id: account.id, object: 'account', deleted: true };
    },
  ],
  [
    'GET',
    '/v1/accounts',
    (ctx, p) => {
      allow(p, ['limit', 'starting_after', 'ending_before', 'created']);
      return paginate(ctx.store.all('account'), p, '/v1/accounts');
    },
  ],
  [
    'POST',
    '/v1/account_links',
    (ctx, p) => {
      allow(p, ['account', 'refresh_url', 'return_url', 'type', 'collect', 'collection_options']);
      const account = ctx.store.get('account', requiredStr(p, 'account'), 'account');
      const type = oneOf(p, 'type', ['account_onboarding', 'account_update'] as const);
      if (!type) requiredStr(p, 'type');
      const byToken = linksOf(ctx);
      if (byToken.size >= maxLinks) {
        // Forget links that can no longer be used before refusing.
        const now = ctx.wallSeconds();
        for (const [k, l] of byToken) if (l.used || l.expiresAt < now) byToken.delete(k);
        if (byToken.size >= maxLinks) throw objectLimit('account_link', maxLinks);
      }
      const token = newId('link', 32);
      const created = ctx.wallSeconds();
      byToken.set(token, {
        account: account.id,
        refreshUrl: requiredStr(p, 'refresh_url'),
        returnUrl: requiredStr(p, 'return_url'),
        expiresAt: created + linkLifetimeSeconds,
        visited: false,
        used: false,
      });
      return {
        object: 'account_link',
        created,
        expires_at: created + linkLifetimeSeconds,
        url: `${ctx.baseUrl}/connect/onboard/${token}`,
      };
    },
  ],
  [
    'POST',
    '/v1/accounts/:id/login_links',
    (ctx, _p, [id]) => {
      const account = ctx.store.get('account', id as string);
      if (!account.details_submitted) {
        throw invalidRequest(
          'Cannot create a login link for an account that has not completed onboarding.',
          'account',
        );
      }
      return {
        object: 'login_link',
        created: ctx.wallSeconds(),
        url: `${ctx.baseUrl}/connect/express/${account.id}`,
      };
    },
  ],
];
