import { randomUUID } from 'node:crypto';
import type { MarketplaceScope } from '@qt/api';
import type { Prisma } from '@qt/db';
import {
  AppError,
  type ListingSummaryView,
  type PublishListingInput,
  type UpdateListingInput,
} from '@qt/shared';
import type { MarketplaceDeps } from './deps.ts';
import {
  type ListingRow,
  loadListing,
  loadOwnListing,
  marketKey,
  SUMMARY_SELECT,
  toSummary,
} from './listing-row.ts';
import { renderMarkdown } from './markdown.ts';
import { checkTunableParams } from './params.ts';

/** A seller's listings page shows at most this many (newest first). */
const MY_LISTINGS_LIMIT = 200;

/**
 * Publishes a version of the caller's strategy: pinned to the version id and its sha256 for good, status
 * `verifying` until the platform's backtest has run (finishVerifications). A paid listing needs the
 * seller's connected account able to take charges, checked against Stripe now (not the stored flags).
 */
export async function publish(
  deps: MarketplaceDeps,
  scope: MarketplaceScope,
  input: PublishListingInput,
): Promise<ListingSummaryView> {
  checkTunableParams(input.tunableParams, input.defaultParams);
  const markets = input.instruments.map(marketKey);
  if (new Set(markets).size !== markets.length)
    throw new AppError('VALIDATION_FAILED', 'Each instrument may be listed once.');
  if (new Set(input.intervals).size !== input.intervals.length)
    throw new AppError('VALIDATION_FAILED', 'Each interval may be listed once.');

  // NOT_FOUND unless the strategy (and the version) belong to the caller's tenant.
  const version = await deps.strategies.resolveVersion(scope.tenantId, input.strategyId, input.version);

  const id = randomUUID();
  let price: { cents: number; interval: 'month' | 'year' | null; trialDays: number } = {
    cents: 0,
    interval: null,
    trialDays: 0,
  };
  let stripe: { productId: string; priceId: string } | null = null;
  if (input.price.kind === 'recurring') {
    const account = await deps.billing.sellerAccount(scope.tenantId, true);
    if (!account?.chargesEnabled)
      throw new AppError(
        'SELLER_NOT_ONBOARDED',
        'A paid listing needs your Stripe payouts set up first (Marketplace > Seller onboarding); free listings do not.',
      );
    price = {
      cents: input.price.amountCents,
      interval: input.price.interval,
      trialDays: input.price.trialDays,
    };
    // Before the row exists: Stripe's side is idempotent by listing id, so a failure here leaves nothing
    // half-made on our side, and a retry of the whole publish gets a new listing id.
    stripe = await deps.billing.ensureListingPrice({
      listingId: id,
      title: input.title,
      sellerTenantId: scope.tenantId,
      amountCents: price.cents,
      currency: 'usd',
      interval: input.price.interval,
    });
  }

  const now = new Date(deps.clock.now());
  await deps.db.marketplaceListing.create({
    data: {
      id,
      sellerTenantId: scope.tenantId,
      strategyId: input.strategyId,
      versionId: version.versionId,
      moduleSha256: version.sha256,
      title: input.title,
      summary: input.summary,
      descriptionMd: input.description,
      descriptionHtml: renderMarkdown(input.description),
      tags: [...new Set(input.tags)],
      instruments: input.instruments as unknown as Prisma.InputJsonValue,
      markets,
      intervals: input.intervals,
      tunableParams: input.tunableParams as unknown as Prisma.InputJsonValue,
      defaultParams: input.defaultParams as Prisma.InputJsonValue,
      priceCents: price.cents,
      currency: 'usd',
      billingInterval: price.interval,
      trialDays: price.trialDays,
      stripeProductId: stripe?.productId ?? null,
      stripePriceId: stripe?.priceId ?? null,
      status: 'verifying',
      createdAt: now,
      updatedAt: now,
    },
  });
  deps.logger.info(
    { listingId: id, tenantId: scope.tenantId, versionId: version.versionId, paid: price.cents > 0 },
    'marketplace listing published (verifying)',
  );
  return summaryOf(deps, id);
}

/** Text and visibility; the pinned version, instruments, parameters and price never change. */
export async function update(
  deps: MarketplaceDeps,
  scope: MarketplaceScope,
  input: UpdateListingInput,
): Promise<ListingSummaryView> {
  const row = await loadOwnListing(deps, scope.tenantId, input.listingId);
  const data: Prisma.MarketplaceListingUpdateInput = { updatedAt: new Date(deps.clock.now()) };
  if (input.title !== undefined) data.title = input.title;
  if (input.summary !== undefined) data.summary = input.summary;
  if (input.description !== undefined) {
    data.descriptionMd = input.description;
    data.descriptionHtml = renderMarkdown(input.description);
  }
  if (input.tags !== undefined) data.tags = [...new Set(input.tags)];
  if (input.visibility !== undefined && input.visibility !== row.status) {
    // Only a verified listing moves between search and hidden; verifying / failed ones stay as they are.
    if (row.status !== 'published' && row.status !== 'unlisted')
      throw new AppError(
        'LISTING_NOT_AVAILABLE',
        `This listing is ${row.status.replace('_', ' ')}: it can be shown or hidden once its verification passed.`,
      );
    data.status = input.visibility;
  }
  // Guarded on the status read above, so a verification finishing at the same moment is not overwritten.
  const changed = await deps.db.marketplaceListing.updateMany({
    where: { id: row.id, sellerTenantId: scope.tenantId, status: row.status },
    data: data as Prisma.MarketplaceListingUpdateManyMutationInput,
  });
  if (changed.count === 0)
    throw new AppError('STRATEGY_STATE_CONFLICT', 'The listing changed meanwhile; reload and try again.');
  return summaryOf(deps, row.id);
}

export async function myListings(
  deps: MarketplaceDeps,
  scope: MarketplaceScope,
): Promise<ListingSummaryView[]> {
  const rows = await deps.db.$queryRaw<ListingRow[]>`${SUMMARY_SELECT}
    WHERE l.seller_tenant_id = ${scope.tenantId}::uuid
    ORDER BY l.created_at DESC, l.id
    LIMIT ${MY_LISTINGS_LIMIT}`;
  return rows.map(toSummary);
}

/**
 * The forward paper record: the seller's own deployment of the listing's exact version (not another
 * version whose numbers would not be this module's); sampling starts now and `track_since` says so.
 * Null detaches (the samples go with it: a record belongs to one deployment).
 */
export async function attachTrackRecord(
  deps: MarketplaceDeps,
  scope: MarketplaceScope,
  input: { listingId: string; deploymentId: string | null },
): Promise<ListingSummaryView> {
  const row = await loadOwnListing(deps, scope.tenantId, input.listingId);
  const now = new Date(deps.clock.now());
  if (input.deploymentId === null) {
    await deps.db.$transaction([
      deps.db.marketplaceTrackPoint.deleteMany({ where: { listingId: row.id } }),
      deps.db.marketplaceListing.update({
        where: { id: row.id },
        data: { trackDeploymentId: null, trackSince: null, updatedAt: now },
      }),
    ]);
    return summaryOf(deps, row.id);
  }
  const dep = await deps.strategies.deploymentEquity(scope.tenantId, input.deploymentId);
  if (dep.versionId !== row.version_id)
    throw new AppError(
      'VALIDATION_FAILED',
      "That deployment runs another version of the strategy than this listing's; deploy the listed version.",
    );
  if (!dep.running)
    throw new AppError('VALIDATION_FAILED', 'That deployment is not running; start it, then attach it.');
  await deps.db.$transaction([
    deps.db.marketplaceTrackPoint.deleteMany({ where: { listingId: row.id } }),
    deps.db.marketplaceListing.update({
      where: { id: row.id },
      data: { trackDeploymentId: input.deploymentId, trackSince: now, updatedAt: now },
    }),
    deps.db.marketplaceTrackPoint.create({
      data: { listingId: row.id, at: now, equity: dep.equity },
    }),
  ]);
  return summaryOf(deps, row.id);
}

async function summaryOf(deps: MarketplaceDeps, listingId: string): Promise<ListingSummaryView> {
  const row = await loadListing(deps, listingId);
  if (!row) throw new AppError('INTERNAL', 'The listing vanished while it was being written.');
  return toSummary(row);
}
