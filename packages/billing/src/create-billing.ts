import type { Db } from '@qt/db';
import type { BillingPort, Clock } from '@qt/shared';
import type Stripe from 'stripe';
import type { BillingHooks } from './billing-hooks.ts';
import { Catalog } from './catalog.ts';
import { startPlanCheckout } from './checkout.ts';
import {
  cancelListingSubscription,
  ensureListingPrice,
  sellerAccount,
  sellerFinance,
  sellerOnboardingLink,
  startListingCheckout,
} from './connect.ts';
import type { BillingContext, BillingLogger } from './context.ts';
import type { MarketplaceBilling } from './marketplace-billing.ts';
import { overview, plans } from './overview.ts';
import { openPortal } from './portal.ts';
import { newReconcileState, reconcile } from './reconcile.ts';
import { handleWebhook, type WebhookAnswer } from './webhooks.ts';

export interface CreateBillingOptions {
  db: Db;
  stripe: Stripe;
  mode: 'emulator' | 'test' | 'live';
  webhookSecret: string;
  /**
   * More endpoint signing secrets (the Connect endpoint signs with its own): a delivery verified by any
   * of them, or by `webhookSecret`, is accepted.
   */
  webhookSecrets?: string[];
  /**
   * The database's URL: reconciliation holds its one-engine-at-a-time lock as a session advisory lock on
   * a connection of its own. Without it, the lock is a transaction-level one held by an open transaction
   * for the run (works, but keeps a pooled connection and a transaction open while Stripe is read).
   */
  databaseUrl?: string;
  clock: Clock;
  logger: BillingLogger;
  hooks: BillingHooks;
  /** Success/cancel/return URLs point at the dashboard. */
  webPublicUrl: string;
  /** With the emulator: each new customer gets its own test clock (frozen at now). */
  testClocks?: boolean;
  /** Platform fee on listing invoices, percent (default 20). */
  feePercent?: number;
  /** Stripe-Signature timestamp tolerance (default 300, Stripe's). */
  webhookToleranceSeconds?: number;
}

export interface BillingService extends BillingPort, MarketplaceBilling {
  /** Products + monthly/yearly prices from PLAN_PRICES and the portal configuration; idempotent. */
  ensureCatalog(): Promise<void>;
  /** 400 bad signature/stale, 503 database or Stripe down (Stripe retries), 200 applied/ignored/duplicate. */
  handleWebhook(rawBody: Buffer, signature: string | undefined): Promise<WebhookAnswer>;
  reconcile(): Promise<{ checked: number; repaired: number }>;
  close(): Promise<void>;
}

export function createBilling(opts: CreateBillingOptions): BillingService {
  const feePercent = opts.feePercent ?? 20;
  if (!(feePercent >= 0 && feePercent <= 100)) throw new RangeError('feePercent must be within 0..100');
  const tolerance = opts.webhookToleranceSeconds ?? 300;
  if (!(tolerance > 0)) throw new RangeError('webhookToleranceSeconds must be positive');
  if (!opts.webhookSecret) throw new Error('a webhook signing secret is required');
  const secrets = [opts.webhookSecret, ...(opts.webhookSecrets ?? [])];
  if (secrets.some((s) => typeof s !== 'string' || s.length === 0) || secrets.length > 10) {
    throw new RangeError('webhookSecrets must be 1..10 non-empty strings');
  }
  const ctx: BillingContext = {
    db: opts.db,
    stripe: opts.stripe,
    mode: opts.mode,
    clock: opts.clock,
    logger: opts.logger,
    hooks: opts.hooks,
    webPublicUrl: opts.webPublicUrl.replace(/\/+$/, ''),
    testClocks: opts.testClocks ?? false,
    feePercent,
  };
  const catalog = new Catalog(ctx);
  const reconcileState = newReconcileState(opts.databaseUrl);
  return {
    feePercent,
    ensureCatalog: () => catalog.ensure(),
    plans: async () => plans(),
    overview: (scope) => overview(ctx, scope),
    startPlanCheckout: (scope, input) => startPlanCheckout(ctx, catalog, scope, input),
    openPortal: (scope) => openPortal(ctx, catalog, scope),
    handleWebhook: (raw, sig) => handleWebhook(ctx, catalog, secrets, tolerance, raw, sig),
    reconcile: () => reconcile(ctx, catalog, reconcileState),
    ensureListingPrice: (spec) => ensureListingPrice(ctx, spec),
    startListingCheckout: (input) => startListingCheckout(ctx, input),
    cancelListingSubscription: (tenantId, listingId) => cancelListingSubscription(ctx, tenantId, listingId),
    sellerOnboardingLink: (tenantId) => sellerOnboardingLink(ctx, tenantId),
    sellerAccount: (tenantId, refresh) => sellerAccount(ctx, tenantId, refresh ?? false),
    sellerFinance: (tenantId) => sellerFinance(ctx, tenantId),
    // Nothing to stop: no timers (the engine schedules reconcile), the db and the SDK are the caller's.
    close: async () => {},
  };
}
