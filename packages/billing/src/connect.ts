import { AppError } from '@qt/shared';
import type Stripe from 'stripe';
import type { BillingContext } from './context.ts';
import { ensureCustomer } from './customers.ts';
import type { ListingPriceSpec, SellerAccountState, SellerFinance } from './marketplace-billing.ts';
import { reuseOpenCheckout } from './open-checkout.ts';
import { isStripeMissing, stripeCall, toBillingError } from './stripe-call.ts';

/** Stripe objects read for a seller's finance page (newest first); older ones are summed no further. */
const MAX_FINANCE_OBJECTS = 1000;
/** Rows of the connected account's balance history shown. */
const MAX_TRANSACTIONS = 100;

/** The listing's product and price, created once: fixed product id, price found by its lookup key. */
export async function ensureListingPrice(
  ctx: BillingContext,
  spec: ListingPriceSpec,
): Promise<{ productId: string; priceId: string }> {
  if (!Number.isInteger(spec.amountCents) || spec.amountCents <= 0) {
    throw new AppError('VALIDATION_FAILED', 'A paid listing needs a positive whole amount of cents.');
  }
  const productId = `qt_listing_${spec.listingId}`;
  const lookupKey = `qt_listing_${spec.listingId}_${spec.interval}`;
  const currency = spec.currency.toLowerCase();
  try {
    await ctx.stripe.products.retrieve(productId);
  } catch (err) {
    if (!isStripeMissing(err)) throw toBillingError('reading the listing product', err);
    await stripeCall('creating the listing product', () =>
      ctx.stripe.products.create(
        {
          id: productId,
          name: spec.title.slice(0, 250),
          metadata: { qt_kind: 'listing', qt_listing: spec.listingId, qt_seller: spec.sellerTenantId },
        },
        { idempotencyKey: `qt-product-${productId}` },
      ),
    );
  }
  const found = await stripeCall('reading the listing price', () =>
    ctx.stripe.prices.list({ lookup_keys: [lookupKey], limit: 1 }),
  );
  const price = found.data[0];
  if (
    price?.active &&
    price.unit_amount === spec.amountCents &&
    price.currency === currency &&
    price.recurring?.interval === spec.interval
  ) {
    return { productId, priceId: price.id };
  }
  const created = await stripeCall('creating the listing price', () =>
    ctx.stripe.prices.create(
      {
        product: productId,
        currency,
        unit_amount: spec.amountCents,
        recurring: { interval: spec.interval },
        lookup_key: lookupKey,
        transfer_lookup_key: true,
        metadata: { qt_kind: 'listing', qt_listing: spec.listingId },
      },
      { idempotencyKey: `qt-price-${lookupKey}-${spec.amountCents}-${currency}` },
    ),
  );
  return { productId, priceId: created.id };
}

export async function startListingCheckout(
  ctx: BillingContext,
  input: {
    tenantId: string;
    tenantName: string;
    userId: string | null;
    listingId: string;
    stripePriceId: string;
    sellerTenantId: string;
    trialDays: number;
  },
): Promise<{ url: string }> {
  if (input.tenantId === input.sellerTenantId) {
    throw new AppError('LISTING_NOT_AVAILABLE', 'A seller cannot subscribe to their own listing.');
  }
  const seller = await sellerAccount(ctx, input.sellerTenantId, false);
  if (!seller?.chargesEnabled) {
    throw new AppError('SELLER_NOT_ONBOARDED', 'The seller cannot take payments yet; try again later.');
  }
  const live = await ctx.db.billingSubscription.findFirst({
    where: { tenantId: input.tenantId, listingId: input.listingId, access: { in: ['active', 'grace'] } },
  });
  if (live) {
    throw new AppError('BILLING_ALREADY_SUBSCRIBED', 'You already subscribe to this listing.', {
      listingId: input.listingId,
    });
  }
  const customer = await ensureCustomer(ctx, input);
  const metadata = { qt_kind: 'listing', qt_tenant: input.tenantId, qt_listing: input.listingId };
  const sessionMetadata = { ...metadata, qt_price: input.stripePriceId };
  const open = await reuseOpenCheckout(ctx, customer, sessionMetadata);
  if (open) return { url: open };
  const trial = Math.max(0, Math.min(90, Math.trunc(input.trialDays)));
  const session = await stripeCall('starting checkout', () =>
    ctx.stripe.checkout.sessions.create({
      mode: 'subscription',
      customer,
      line_items: [{ price: input.stripePriceId, quantity: 1 }],
      client_reference_id: input.tenantId,
      success_url: `${ctx.webPublicUrl}/marketplace/${input.listingId}?checkout={CHECKOUT_SESSION_ID}`,
      cancel_url: `${ctx.webPublicUrl}/marketplace/${input.listingId}`,
      metadata: sessionMetadata,
      subscription_data: {
        metadata,
        application_fee_percent: ctx.feePercent,
        transfer_data: { destination: seller.stripeAccountId },
        ...(trial > 0 ? { trial_period_days: trial } : {}),
      },
    }),
  );
  if (!session.url)
    throw new AppError('BILLING_UNAVAILABLE', 'Stripe answered a checkout session without a page.');
  return { url: session.url };
}

/** Cancels at the period end: access continues until then (the webhook records the change). */
export async function cancelListingSubscription(
  ctx: BillingContext,
  tenantId: string,
  listingId: string,
): Promise<void> {
  const subs = await ctx.db.billingSubscription.findMany({
    where: { tenantId, listingId, access: { in: ['active', 'grace'] }, cancelAtPeriodEnd: false },
  });
  if (subs.length === 0) {
    throw new AppError('NOT_FOUND', 'There is no running subscription to this listing to cancel.');
  }
  for (const s of subs) {
    await stripeCall('cancelling the subscription', () =>
      ctx.stripe.subscriptions.update(s.stripeSubscriptionId, { cancel_at_period_end: true }),
    );
  }
}

/** Creates the seller's Express account once (race-safe like customers) and answers a fresh link. */
export async function sellerOnboardingLink(ctx: BillingContext, tenantId: string): Promise<{ url: string }> {
  let seller = await ctx.db.marketplaceSeller.findUnique({ where: { tenantId } });
  if (!seller) {
    const account = await stripeCall('creating the seller account', () =>
      ctx.stripe.accounts.create(
        { type: 'express', metadata: { qt_tenant: tenantId } },
        { idempotencyKey: `qt-seller-${tenantId}` },
      ),
    );
    await ctx.db.$executeRaw`
      INSERT INTO marketplace_sellers (tenant_id, stripe_account_id, charges_enabled, payouts_enabled, details_submitted)
      VALUES (${tenantId}::uuid, ${account.id}, ${account.charges_enabled ?? false}, ${account.payouts_enabled ?? false},
              ${account.details_submitted ?? false})
      ON CONFLICT (tenant_id) DO NOTHING`;
    seller = await ctx.db.marketplaceSeller.findUnique({ where: { tenantId } });
    if (!seller) throw new Error('seller row vanished after insert');
  }
  const url = `${ctx.webPublicUrl}/marketplace/sell`;
  const link = await stripeCall('creating the onboarding link', () =>
    ctx.stripe.accountLinks.create({
      account: (seller as { stripeAccountId: string }).stripeAccountId,
      type: 'account_onboarding',
      refresh_url: url,
      return_url: url,
    }),
  );
  return { url: link.url };
}

export async function sellerAccount(
  ctx: BillingContext,
  tenantId: string,
  refresh = false,
): Promise<SellerAccountState | null> {
  const seller = await ctx.db.marketplaceSeller.findUnique({ where: { tenantId } });
  if (!seller) return null;
  if (!refresh) return view(seller);
  const account = await stripeCall('reading the seller account', () =>
    ctx.stripe.accounts.retrieve(seller.stripeAccountId),
  );
  const updated = await ctx.db.marketplaceSeller.update({
    where: { tenantId },
    data: {
      chargesEnabled: account.charges_enabled ?? false,
      payoutsEnabled: account.payouts_enabled ?? false,
      detailsSubmitted: account.details_submitted ?? false,
    },
  });
  return view(updated);
}

function view(s: {
  stripeAccountId: string;
  chargesEnabled: boolean;
  payoutsEnabled: boolean;
  detailsSubmitted: boolean;
}): SellerAccountState {
  return {
    stripeAccountId: s.stripeAccountId,
    chargesEnabled: s.chargesEnabled,
    payoutsEnabled: s.payoutsEnabled,
    detailsSubmitted: s.detailsSubmitted,
  };
}

/**
 * The seller's money: the connected account's balance and history (read as the account), and, from the
 * platform's side, the destination charges to it, the application fees kept on them and the refunds.
 */
export async function sellerFinance(ctx: BillingContext, tenantId: string): Promise<SellerFinance> {
  const seller = await ctx.db.marketplaceSeller.findUnique({ where: { tenantId } });
  if (!seller) {
    throw new AppError('SELLER_NOT_ONBOARDED', 'Connect a payout account first (Sell on the marketplace).');
  }
  const account = seller.stripeAccountId;
  const as = { stripeAccount: account };
  const { stripe } = ctx;
  const balance = await stripeCall('reading the balance', () => stripe.balance.retrieve({}, as));
  const currency = balance.available[0]?.currency ?? 'usd';
  const balanceCents = balance.available
    .filter((b) => b.currency === currency)
    .reduce((s, b) => s + b.amount, 0);
  const history = await stripeCall('reading balance transactions', () =>
    stripe.balanceTransactions.list({ limit: MAX_TRANSACTIONS }, as),
  );
  const fees = await collect(
    stripe.applicationFees.list({ limit: 100 }),
    (f) => f.account === account || (typeof f.account === 'object' && f.account?.id === account),
  );
  const charges = await collect(stripe.charges.list({ limit: 100 }), (c) => {
    const d = c.transfer_data?.destination;
    return (typeof d === 'string' ? d : d?.id) === account && c.paid;
  });
  const grossCents = charges.reduce((s, c) => s + c.amount, 0);
  const refundsCents = charges.reduce((s, c) => s + c.amount_refunded, 0);
  const feesCents = fees.reduce((s, f) => s + f.amount - f.amount_refunded, 0);
  const netCents = history.data.reduce((s, t) => s + t.net, 0);
  return {
    currency,
    balanceCents,
    grossCents,
    feesCents,
    refundsCents,
    netCents,
    transactions: history.data.map((t) => ({
      id: t.id,
      type: t.type,
      amountCents: t.amount,
      feeCents: t.fee,
      netCents: t.net,
      currency: t.currency,
      created: new Date(t.created * 1000).toISOString(),
      description: t.description ?? null,
    })),
  };
}

async function collect<T>(list: Stripe.ApiListPromise<T>, keep: (item: T) => boolean): Promise<T[]> {
  const out: T[] = [];
  let seen = 0;
  try {
    for await (const item of list) {
      if (keep(item)) out.push(item);
      if (++seen >= MAX_FINANCE_OBJECTS) break;
    }
  } catch (err) {
    throw toBillingError('reading finance', err);
  }
  return out;
}
