import { join } from 'node:path';
import { type BillingHooks, type BillingService, createBilling } from '@qt/billing';
import type { Db } from '@qt/db';
import { createMarketplace, type MarketplaceService, type MarketplaceStrategies } from '@qt/marketplace';
import type { Clock } from '@qt/shared';
import { type StripeEmulator, type StripeEmulatorOptions, startStripeEmulator } from '@qt/stripe-emulator';
import Stripe from 'stripe';
import type { EngineConfig } from '../config/config-schema.ts';
import type { Logger } from '../observability/logger.ts';

export interface Billing {
  billing: BillingService;
  marketplace: MarketplaceService;
  /** The in-process Stripe emulator; null when STRIPE_SECRET_KEY points the SDK at Stripe. */
  stripeEmulator: StripeEmulator | null;
  mode: 'emulator' | 'test' | 'live';
  /**
   * Once the engine's HTTP server listens: the emulator delivers its webhooks to it, the catalog is
   * ensured and reconciliation starts (then every BILLING_RECONCILE_MS).
   */
  serve(engineUrl: string): Promise<void>;
  stop(): Promise<void>;
}

/** The emulator's state, in the data folder: saved at stop, loaded at start. */
export const EMULATOR_STATE_FILE = 'stripe-emulator.json';

/**
 * Every Stripe call (real or the emulator) gives up after 10 s and is retried twice by the SDK (with
 * idempotency keys on POSTs, so a retried create is not doubled): a slow Stripe cannot hold a request,
 * a webhook or reconciliation for the SDK's default 80 s.
 */
export const STRIPE_CLIENT_OPTIONS = { timeout: 10_000, maxNetworkRetries: 2 } as const;

/** A failed catalog set-up against real Stripe is tried again this often (the engine runs meanwhile). */
const CATALOG_RETRY_MS = 30_000;

/**
 * Billing and the marketplace: the official Stripe SDK against Stripe itself (STRIPE_SECRET_KEY; test or
 * live mode from the key's prefix) or against the bundled emulator, in process, so `npm start` buys and
 * sells offline. `hooks` reach the rest of the engine (tiers, the strategies' listing deployments);
 * `strategies` is the marketplace's view of the strategies domain.
 */
export async function startBilling(params: {
  config: EngineConfig;
  db: Db;
  /** For reconciliation's session advisory lock on a connection of its own. */
  databaseUrl: string;
  clock: Clock;
  logger: Logger;
  hooks: BillingHooks;
  strategies: MarketplaceStrategies;
  /** Tests: the emulator's webhook retry schedule and renewal retries (host, port and secret come from config). */
  emulator?: Pick<StripeEmulatorOptions, 'webhooks' | 'billing'>;
}): Promise<Billing> {
  const { config, db, clock } = params;
  const logger = params.logger.child({ component: 'billing' });
  let emulator: StripeEmulator | null = null;
  let stripe: Stripe;
  let webhookSecret: string;
  let mode: Billing['mode'];
  if (config.stripeSecretKey) {
    stripe = new Stripe(config.stripeSecretKey, STRIPE_CLIENT_OPTIONS);
    mode = /^(sk|rk)_live_/.test(config.stripeSecretKey) ? 'live' : 'test';
    // Checked at load (loadConfig): a key without the endpoint secret does not start.
    webhookSecret = config.stripeWebhookSecret as string;
  } else {
    emulator = await startStripeEmulator({
      ...params.emulator,
      host: config.stripeEmulatorHost,
      port: config.stripeEmulatorPort,
      ...(config.stripeEmulatorPublicUrl ? { publicUrl: config.stripeEmulatorPublicUrl } : {}),
      ...(config.stripeWebhookSecret ? { webhookSecret: config.stripeWebhookSecret } : {}),
      // Its customers and subscriptions outlive a restart, as the database's rows of them do.
      stateFile: join(config.dataDir, EMULATOR_STATE_FILE),
    });
    stripe = new Stripe('sk_test_emulator', { ...emulator.sdkOptions, ...STRIPE_CLIENT_OPTIONS });
    webhookSecret = emulator.webhookSecret;
    mode = 'emulator';
    logger.info(
      { url: emulator.url, restored: emulator.restored },
      'stripe emulator listening (no STRIPE_SECRET_KEY)',
    );
  }

  const emu = emulator;
  try {
    const billing = createBilling({
      db,
      stripe,
      mode,
      webhookSecret,
      // The Connect endpoint signs its events with a secret of its own: either verifies a delivery.
      ...(config.stripeConnectWebhookSecret ? { webhookSecrets: [config.stripeConnectWebhookSecret] } : {}),
      clock,
      logger,
      hooks: params.hooks,
      webPublicUrl: config.webPublicUrl,
      testClocks: mode === 'emulator',
      feePercent: config.marketplaceFeePercent,
      databaseUrl: params.databaseUrl,
    });
    const marketplace = createMarketplace({
      db,
      clock,
      logger: params.logger.child({ component: 'marketplace' }),
      billing,
      strategies: params.strategies,
      verification: {
        windowDays: config.marketplaceVerifyDays,
        minCandles: config.marketplaceVerifyMinCandles,
      },
      // A free listing's access starts and ends in the marketplace call itself (no webhook follows).
      onListingAccess: (change) => params.hooks.listingAccessChanged(change),
    });

    let stopped = false;
    let reconcileTimer: NodeJS.Timeout | undefined;
    let catalogTimer: NodeJS.Timeout | undefined;
    let reconciling: Promise<void> = Promise.resolve();
    const reconcile = () => {
      reconciling = reconciling.then(async () => {
        if (stopped) return;
        try {
          const { checked, repaired } = await billing.reconcile();
          if (repaired > 0) logger.warn({ checked, repaired }, 'billing drift repaired');
          else logger.debug({ checked }, 'billing reconciled');
        } catch (err) {
          logger.warn({ err: message(err) }, 'billing reconciliation failed; the next run tries again');
        }
      });
      return reconciling;
    };
    const ensureCatalog = async (): Promise<void> => {
      try {
        await billing.ensureCatalog();
        logger.info({ mode }, 'billing catalog ready');
      } catch (err) {
        // The emulator is in this process: a failure there is a defect, and the start fails.
        if (mode === 'emulator') throw err;
        // Real Stripe may be unreachable for a while: paid plans wait for it, the engine does not.
        logger.error({ err: message(err), retryInMs: CATALOG_RETRY_MS }, 'billing catalog not ready');
        catalogTimer = setTimeout(() => void (stopped ? undefined : ensureCatalog()), CATALOG_RETRY_MS);
        catalogTimer.unref();
      }
    };

    return {
      billing,
      marketplace,
      stripeEmulator: emu,
      mode,
      async serve(engineUrl) {
        emu?.setWebhook(`${engineUrl}/webhooks/stripe`, webhookSecret);
        await ensureCatalog();
        marketplace.start();
        // An emulator that started empty (its state file lost) knows none of the customers the database
        // remembers: reconciliation would take "missing in Stripe" for "ended" and end every subscription.
        // Then it does not run; the rows stay as the last webhooks left them.
        if (emu && !emu.restored && (await db.billingSubscription.count()) > 0) {
          logger.warn(
            { stateFile: join(config.dataDir, EMULATOR_STATE_FILE) },
            'stripe emulator started without its saved state but the database holds subscriptions: ' +
              'reconciliation is off for this run',
          );
          return;
        }
        // The emulator answers at once: the start waits for its first pass (so what the engine serves
        // has been compared with Stripe). Real Stripe may be slow or away: the engine does not wait.
        if (emu) await reconcile();
        else void reconcile();
        reconcileTimer = setInterval(() => void reconcile(), config.billingReconcileMs);
        reconcileTimer.unref();
      },
      async stop() {
        stopped = true;
        clearInterval(reconcileTimer);
        clearTimeout(catalogTimer);
        await marketplace
          .close()
          .catch((err: unknown) => logger.warn({ err: message(err) }, 'marketplace close'));
        await reconciling;
        await billing.close().catch((err: unknown) => logger.warn({ err: message(err) }, 'billing close'));
        await emu?.stop();
      },
    };
  } catch (err) {
    await emu?.stop();
    throw err;
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
