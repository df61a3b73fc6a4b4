import {
  AppError,
  type DeployListingInput,
  type DeploymentView,
  type MarketplaceScope,
  type MySubscriptionView,
  notFound,
  type ReviewInput,
  type ReviewView,
  type SubscribeResultView,
  type SubscriptionAccess,
} from '@qt/shared';
import { type MarketplaceDeps, tellListingAccess } from './deps.ts';
import {
  entitlementAccess,
  reviewerName,
  trialDaysFor,
  viewerRelation,
  visibleTo,
} from './listing-detail.ts';
import {
  type ListingRow,
  loadListing,
  marketKey,
  rowDefaults,
  rowInstruments,
  rowIntervals,
  rowTunable,
  SUMMARY_SELECT,
  toSummary,
} from './listing-row.ts';
import { buyerParams } from './params.ts';

/** "My subscriptions" lists at most this many (newest first). */
const MY_SUBSCRIPTIONS_LIMIT = 200;

async function visibleListing(deps: MarketplaceDeps, tenantId: string, listingId: string) {
  const row = await loadListing(deps, listingId);
  if (!row) throw notFound('Listing');
  const rel = await viewerRelation(deps, tenantId, row);
  if (!visibleTo(row, rel)) throw notFound('Listing');
  return { row, rel };
}

/**
 * Free: the entitlement is granted at once (and the subscriber count moves in the same transaction).
 * Paid: a Checkout URL for the listing's own Stripe price; nothing is granted here, only by the verified
 * webhook that follows the payment.
 */
export async function subscribe(
  deps: MarketplaceDeps,
  scope: MarketplaceScope,
  listingId: string,
): Promise<SubscribeResultView> {
  const { row, rel } = await visibleListing(deps, scope.tenantId, listingId);
  if (rel.isSeller)
    throw new AppError(
      'VALIDATION_FAILED',
      'This is your own listing: you can deploy it without subscribing.',
    );
  if (row.status !== 'published')
    throw new AppError('LISTING_NOT_AVAILABLE', 'This listing is not open to new subscribers.');

  if (row.price_cents === 0) {
    await grantFree(deps, scope.tenantId, row.id);
    await tellListingAccess(deps, { tenantId: scope.tenantId, listingId: row.id, access: 'active' });
    return { kind: 'granted' };
  }
  const live =
    rel.entitlement?.status === 'active' ||
    rel.subscription?.access === 'active' ||
    rel.subscription?.access === 'grace';
  if (live) throw new AppError('BILLING_ALREADY_SUBSCRIBED', 'Your team already subscribes to this listing.');
  if (!row.stripe_price_id)
    throw new AppError('LISTING_NOT_AVAILABLE', 'This listing has no price set up yet; try again later.');
  const { url } = await deps.billing.startListingCheckout({
    tenantId: scope.tenantId,
    tenantName: scope.tenantName,
    userId: scope.userId,
    listingId: row.id,
    stripePriceId: row.stripe_price_id,
    sellerTenantId: row.seller_tenant_id,
    trialDays: trialDaysFor(row.trial_days, rel),
  });
  return { kind: 'checkout', url };
}

/** Idempotent: only the transition to active counts a subscriber (the row lock orders concurrent calls). */
async function grantFree(deps: MarketplaceDeps, tenantId: string, listingId: string): Promise<void> {
  await deps.db.$transaction(async (tx) => {
    // Re-checked under the listing's row lock: a listing unlisted (or otherwise closed) since it was read
    // takes no new subscriber.
    const [listing] = await tx.$queryRaw<{ status: string }[]>`
      SELECT status FROM marketplace_listings WHERE id = ${listingId}::uuid FOR UPDATE`;
    if (listing?.status !== 'published')
      throw new AppError('LISTING_NOT_AVAILABLE', 'This listing is not open to new subscribers.');
    const became = await tx.$queryRaw<{ tenant_id: string }[]>`
      INSERT INTO marketplace_entitlements (tenant_id, listing_id, status, created_at, updated_at)
      VALUES (${tenantId}::uuid, ${listingId}::uuid, 'active', now(), now())
      ON CONFLICT (tenant_id, listing_id) DO UPDATE
        SET status = 'active', access_until = NULL, updated_at = now()
        WHERE marketplace_entitlements.status <> 'active'
      RETURNING tenant_id`;
    if (became.length > 0)
      await tx.$executeRaw`UPDATE marketplace_listings SET subscribers = subscribers + 1 WHERE id = ${listingId}::uuid`;
  });
}

export async function mySubscriptions(
  deps: MarketplaceDeps,
  scope: MarketplaceScope,
): Promise<MySubscriptionView[]> {
  const rows = await deps.db.$queryRaw<
    (ListingRow & {
      e_status: string;
      e_access_until: Date | null;
      s_access: string | null;
      s_status: string | null;
      s_cancel: boolean | null;
      s_period_end: Date | null;
    })[]
  >`WITH mine AS (
      SELECT e.listing_id, e.status AS e_status, e.access_until AS e_access_until, e.updated_at AS e_updated,
             s.access AS s_access, s.status AS s_status, s.cancel_at_period_end AS s_cancel,
             s.current_period_end AS s_period_end
        FROM marketplace_entitlements e
        LEFT JOIN LATERAL (
          SELECT * FROM billing_subscriptions bs
           WHERE bs.tenant_id = e.tenant_id AND bs.listing_id = e.listing_id AND bs.kind = 'listing'
           ORDER BY bs.updated_at DESC LIMIT 1
        ) s ON true
       WHERE e.tenant_id = ${scope.tenantId}::uuid
       ORDER BY e.updated_at DESC
       LIMIT ${MY_SUBSCRIPTIONS_LIMIT}
    ), base AS (${SUMMARY_SELECT})
    SELECT base.*, mine.e_status, mine.e_access_until, mine.s_access, mine.s_status, mine.s_cancel, mine.s_period_end
      FROM mine JOIN base ON base.id = mine.listing_id
     ORDER BY mine.e_updated DESC`;
  return rows.map((r) => ({
    listing: toSummary(r),
    access: (r.s_access ?? entitlementAccess(r.e_status) ?? 'none') as SubscriptionAccess,
    status: r.s_status,
    cancelAtPeriodEnd: r.s_cancel ?? false,
    currentPeriodEnd: (r.s_period_end ?? r.e_access_until)?.toISOString() ?? null,
  }));
}

/**
 * Paid: Stripe cancels at the period end (access until then; the webhook records it). Free: access ends
 * now, and the subscriber count with it.
 */
export async function cancelSubscription(
  deps: MarketplaceDeps,
  scope: MarketplaceScope,
  listingId: string,
): Promise<MySubscriptionView> {
  const { row, rel } = await visibleListing(deps, scope.tenantId, listingId);
  if (!rel.entitlement && !rel.subscription) throw notFound('Subscription');
  const paid = rel.subscription !== null || rel.entitlement?.stripeSubscriptionId != null;
  if (paid) {
    await deps.billing.cancelListingSubscription(scope.tenantId, row.id);
  } else {
    const now = new Date(deps.clock.now());
    const endedNow = await deps.db.$transaction(async (tx) => {
      const ended = await tx.marketplaceEntitlement.updateMany({
        where: { tenantId: scope.tenantId, listingId: row.id, status: 'active' },
        data: { status: 'ended', accessUntil: now, updatedAt: now },
      });
      if (ended.count > 0)
        await tx.$executeRaw`UPDATE marketplace_listings SET subscribers = GREATEST(subscribers - 1, 0) WHERE id = ${row.id}::uuid`;
      return ended.count > 0;
    });
    if (endedNow)
      await tellListingAccess(deps, { tenantId: scope.tenantId, listingId: row.id, access: 'ended' });
  }
  const mine = (await mySubscriptions(deps, scope)).find((s) => s.listing.id === row.id);
  if (!mine) throw notFound('Subscription');
  // Stripe accepted the cancellation; its webhook records it shortly. Say what Stripe now holds.
  return paid
    ? {
        ...mine,
        cancelAtPeriodEnd: mine.access === 'active' || mine.access === 'grace' || mine.cancelAtPeriodEnd,
      }
    : mine;
}

/** Reviews come from tenants that hold or held an entitlement, one per tenant (a second one replaces it). */
export async function review(
  deps: MarketplaceDeps,
  scope: MarketplaceScope,
  input: ReviewInput,
): Promise<ReviewView> {
  const { row, rel } = await visibleListing(deps, scope.tenantId, input.listingId);
  if (rel.isSeller) throw new AppError('VALIDATION_FAILED', 'Sellers do not review their own listings.');
  if (!rel.entitlement)
    throw new AppError('SUBSCRIPTION_REQUIRED', 'Only subscribers of this listing can review it.');
  if (!scope.userId)
    throw new AppError(
      'VALIDATION_FAILED',
      'Reviews are written by a person: sign in instead of using an API key.',
    );
  const now = new Date(deps.clock.now());
  const body = input.body ?? '';
  const saved = await deps.db.marketplaceReview.upsert({
    where: { listingId_tenantId: { listingId: row.id, tenantId: scope.tenantId } },
    create: {
      listingId: row.id,
      tenantId: scope.tenantId,
      userId: scope.userId,
      rating: input.rating,
      body,
      createdAt: now,
      updatedAt: now,
    },
    update: { userId: scope.userId, rating: input.rating, body, updatedAt: now },
  });
  const user = await deps.db.user.findUnique({
    where: { id: scope.userId },
    select: { name: true, email: true },
  });
  return {
    rating: saved.rating,
    body: saved.body,
    author: reviewerName(user?.name, user?.email),
    createdAt: saved.createdAt.toISOString(),
    mine: true,
  };
}

/**
 * A buyer's deployment of the listing's pinned version (the seller's own too): instruments among the
 * listing's, an interval among its intervals, parameters only the tunable ones within their bounds.
 */
export async function deploy(
  deps: MarketplaceDeps,
  scope: MarketplaceScope,
  input: DeployListingInput,
): Promise<DeploymentView> {
  const { row, rel } = await visibleListing(deps, scope.tenantId, input.listingId);
  if (!rel.isSeller && rel.entitlement?.status !== 'active')
    throw new AppError('SUBSCRIPTION_REQUIRED', 'Subscribe to this listing to deploy it.');
  const allowed = new Set(rowInstruments(row).map(marketKey));
  const wanted = input.instruments.map(marketKey);
  if (new Set(wanted).size !== wanted.length)
    throw new AppError('VALIDATION_FAILED', 'Each instrument may be given once.');
  const foreign = wanted.find((m) => !allowed.has(m));
  if (foreign)
    throw new AppError(
      'VALIDATION_FAILED',
      `This listing runs on ${[...allowed].join(', ')}; ${foreign} is not one of them.`,
      { instrument: foreign },
    );
  const intervals = rowIntervals(row);
  if (!intervals.includes(input.interval))
    throw new AppError('VALIDATION_FAILED', `This listing runs on ${intervals.join(', ')} candles.`, {
      interval: input.interval,
    });
  const params = buyerParams(rowTunable(row), rowDefaults(row), input.params ?? {});
  return deps.strategies.deployListing(
    { tenantId: scope.tenantId, actor: scope.actor, tier: scope.tier },
    {
      listingId: row.id,
      title: row.title,
      strategyId: row.strategy_id,
      versionId: row.version_id,
      accountId: input.accountId,
      instruments: input.instruments,
      interval: input.interval,
      params,
    },
  );
}
