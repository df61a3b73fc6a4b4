import {
  type BillingInterval,
  type PaidTier,
  PLAN_CURRENCY,
  PLAN_PRICES,
  planLookupKey,
  planProductId,
} from '@qt/shared';
import type Stripe from 'stripe';
import type { BillingContext } from './context.ts';
import { isStripeMissing, stripeCall, toBillingError } from './stripe-call.ts';

const TIERS: readonly PaidTier[] = ['PRO', 'ENTERPRISE'];
const INTERVALS: readonly BillingInterval[] = ['month', 'year'];
/** Marks the portal configuration this service created, so a restart finds and reuses it. */
const PORTAL_MARK = 'qt_portal';
/** Configurations read when looking for ours (Stripe accounts hold a handful). */
const MAX_PORTAL_CONFIGS = 200;

export interface PlanPrice {
  tier: PaidTier;
  interval: BillingInterval;
  priceId: string;
  amountCents: number;
  currency: string;
}

/** The plan prices as they are in Stripe, by lookup key, and the portal configuration. In memory. */
export class Catalog {
  private readonly byKey = new Map<string, PlanPrice>();
  private portalConfigurationId: string | null = null;
  private loading: Promise<void> | null = null;

  constructor(private readonly ctx: BillingContext) {}

  /** Creates what is missing (idempotent) and loads the ids; concurrent callers share one run. */
  ensure(): Promise<void> {
    this.loading ??= this.load().catch((err: unknown) => {
      this.loading = null;
      throw err;
    });
    return this.loading;
  }

  async price(tier: PaidTier, interval: BillingInterval): Promise<PlanPrice> {
    await this.ensure();
    const p = this.byKey.get(planLookupKey(tier, interval));
    if (!p) throw new Error(`catalog has no price ${planLookupKey(tier, interval)}`);
    return p;
  }

  async portalConfiguration(): Promise<string> {
    await this.ensure();
    return this.portalConfigurationId as string;
  }

  /**
   * The plan tier a Stripe price sells, or null when it is not one of our plan prices: its product is a
   * tier's plan product (fixed ids only this account's key can create), it recurs and it has a whole
   * amount of cents. The product and not the current lookup key decides, so subscribers on an earlier
   * amount keep their tier, and a switch in the portal (a price of another plan product) changes it.
   * Pure: needs nothing loaded (the webhook path never calls Stripe for the catalog).
   */
  tierOfPrice(price: Stripe.Price): PaidTier | null {
    if (!isRecurringWholeAmount(price)) return null;
    const product = productIdOf(price);
    return TIERS.find((tier) => planProductId(tier) === product) ?? null;
  }

  private async load(): Promise<void> {
    const { stripe } = this.ctx;
    for (const tier of TIERS) {
      const id = planProductId(tier);
      try {
        await stripe.products.retrieve(id);
      } catch (err) {
        if (!isStripeMissing(err)) throw toBillingError('reading a plan product', err);
        await stripeCall('creating a plan product', () =>
          stripe.products.create(
            { id, name: tierName(tier), metadata: { qt_kind: 'plan', qt_tier: tier } },
            { idempotencyKey: `qt-product-${id}` },
          ),
        );
      }
    }
    const keys = TIERS.flatMap((t) => INTERVALS.map((i) => planLookupKey(t, i)));
    const existing = await stripeCall('listing plan prices', () =>
      stripe.prices.list({ lookup_keys: keys, limit: 100 }),
    );
    for (const tier of TIERS) {
      for (const interval of INTERVALS) {
        const key = planLookupKey(tier, interval);
        const amount = PLAN_PRICES[tier][interval];
        let price = existing.data.find((p) => p.lookup_key === key);
        const current =
          price?.active &&
          price.unit_amount === amount &&
          price.currency === PLAN_CURRENCY &&
          price.recurring?.interval === interval &&
          (typeof price.product === 'string' ? price.product : price.product.id) === planProductId(tier);
        if (!current) {
          // A changed amount is a new price; the lookup key moves to it, subscribers keep the old one.
          price = await stripeCall('creating a plan price', () =>
            stripe.prices.create(
              {
                product: planProductId(tier),
                currency: PLAN_CURRENCY,
                unit_amount: amount,
                recurring: { interval },
                lookup_key: key,
                transfer_lookup_key: true,
                metadata: { qt_kind: 'plan', qt_tier: tier },
              },
              { idempotencyKey: `qt-price-${key}-${amount}-${PLAN_CURRENCY}` },
            ),
          );
        }
        if (!price) throw new Error('unreachable');
        this.byKey.set(key, {
          tier,
          interval,
          priceId: price.id,
          amountCents: amount,
          currency: PLAN_CURRENCY,
        });
      }
    }
    this.portalConfigurationId = await this.ensurePortalConfiguration();
    this.ctx.logger.info({ prices: [...this.byKey.keys()] }, 'billing catalog ready');
  }

  /** Finds our portal configuration for the current prices (by metadata) or creates it once. */
  private async ensurePortalConfiguration(): Promise<string> {
    const { stripe } = this.ctx;
    const mark = [...this.byKey.values()]
      .map((p) => p.priceId)
      .sort()
      .join(',');
    let seen = 0;
    for await (const c of stripe.billingPortal.configurations.list({ limit: 100 })) {
      if (c.active && c.metadata?.[PORTAL_MARK] === mark) return c.id;
      if (++seen >= MAX_PORTAL_CONFIGS) break;
    }
    const products = TIERS.map((tier) => ({
      product: planProductId(tier),
      prices: INTERVALS.map((i) => this.byKey.get(planLookupKey(tier, i))?.priceId as string),
    }));
    const config = await stripeCall('creating the portal configuration', () =>
      stripe.billingPortal.configurations.create({
        business_profile: { headline: 'Quant-Trader plans' },
        default_return_url: `${this.ctx.webPublicUrl}/billing`,
        features: {
          subscription_update: {
            enabled: true,
            default_allowed_updates: ['price'],
            products,
            proration_behavior: 'create_prorations',
          },
          subscription_cancel: { enabled: true, mode: 'at_period_end' },
          payment_method_update: { enabled: true },
          invoice_history: { enabled: true },
        },
        metadata: { [PORTAL_MARK]: mark },
      }),
    );
    return config.id;
  }
}

export function productIdOf(price: Stripe.Price): string {
  return typeof price.product === 'string' ? price.product : price.product.id;
}

/**
 * Every price we create recurs and has a whole amount of cents; one without (metered, tiered, custom
 * amount) was made elsewhere and is not ours.
 */
export function isRecurringWholeAmount(price: Stripe.Price): boolean {
  return (
    price.recurring !== null &&
    price.recurring !== undefined &&
    typeof price.unit_amount === 'number' &&
    Number.isInteger(price.unit_amount) &&
    price.unit_amount >= 0
  );
}

function tierName(tier: PaidTier): string {
  return tier === 'PRO' ? 'Quant-Trader Pro' : 'Quant-Trader Enterprise';
}
