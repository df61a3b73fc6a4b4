import { randomUUID } from 'node:crypto';
import type { Db, Prisma } from '@qt/db';
import {
  AppError,
  type ListingSummaryView,
  type MarketplaceScope,
  type PublishListingInput,
  type Tier,
  type UpdateListingInput,
} from '@qt/shared';
import type { MarketplaceDeps } from './deps.ts';
import {
  type ListingRow,
  loadListing,
  loadOwnListing,
  marketKey,
  rowDefaults,
  rowInstruments,
  rowIntervals,
  rowTunable,
  SUMMARY_SELECT,
  toSummary,
} from './listing-row.ts';
import { renderMarkdown } from './markdown.ts';
import type { DeploymentEquity } from './marketplace-strategies.ts';
import { checkTunableParams, listingDefaultParams } from './params.ts';
import { sameParams } from './same-params.ts';

/** A seller's listings page shows at most this many (newest first). */
const MY_LISTINGS_LIMIT = 200;

/** Listings a tenant may have verifying at once (each costs a platform backtest). */
export const MAX_VERIFYING = 3;
/** Listings a tenant may have by tier (verifying, published or unlisted; failed ones do not count). */
export const LISTINGS_BY_TIER: Readonly<Record<Tier, number>> = { FREE: 5, PRO: 50, ENTERPRISE: 500 };
/** Advisory lock namespace of per-tenant publishing (the second key is hashtext(tenant id)). */
const PUBLISH_LOCK_NS = 0x4d4b5450; // 'MKTP'

type Tx = Pick<Db, '$queryRaw'>;

async function checkPublishLimits(db: Tx, scope: MarketplaceScope): Promise<void> {
  const [row] = await db.$queryRaw<{ verifying: number; total: number }[]>`
    SELECT count(*) FILTER (WHERE status = 'verifying')::int AS verifying,
           count(*) FILTER (WHERE status <> 'verification_failed')::int AS total
      FROM marketplace_listings WHERE seller_tenant_id = ${scope.tenantId}::uuid`;
  const limit = LISTINGS_BY_TIER[scope.tier] ?? LISTINGS_BY_TIER.FREE;
  if ((row?.total ?? 0) >= limit)
    throw new AppError(
      'TIER_LIMIT_REACHED',
      `Your plan (${scope.tier}) allows ${limit} marketplace listings (unlisted ones count too); upgrade for more.`,
      { limit, tier: scope.tier },
    );
  if ((row?.verifying ?? 0) >= MAX_VERIFYING)
    throw new AppError(
      'TIER_LIMIT_REACHED',
      `At most ${MAX_VERIFYING} listings may be verifying at once; publish again when one has finished.`,
      { limit: MAX_VERIFYING },
    );
}

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
  const unknown = await deps.strategies.unknownInstruments(input.instruments);
  if (unknown.length > 0)
    throw new AppError(
      'VALIDATION_FAILED',
      `Unknown instrument${unknown.length > 1 ? 's' : ''}: ${unknown.map(marketKey).join(', ')}.`,
      { instruments: unknown.map(marketKey) },
    );
  // Checked before Stripe is asked for a price (a refused publish leaves nothing there), and again under
  // the tenant's lock when the row is written (two publishes at once cannot both take the last place).
  await checkPublishLimits(deps.db, scope);

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
  await deps.db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${PUBLISH_LOCK_NS}::int4, hashtext(${scope.tenantId}))`;
    await checkPublishLimits(tx, scope);
    await tx.marketplaceListing.create({
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
        moduleUploadedAt: new Date(version.createdAt),
        createdAt: now,
        updatedAt: now,
      },
    });
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
 * The forward paper record: the seller's own running deployment of the listing's exact version, on the
 * listing's instruments and an interval of it, with the listing's own parameters, alone on its paper
 * account (anything else trading there would be mixed into the equity). Sampling starts now and
 * `track_since` says so. An earlier record is never erased: it is closed into `track_history` with its
 * samples (a seller cannot wipe a bad record by attaching another deployment). Null detaches.
 */
export async function attachTrackRecord(
  deps: MarketplaceDeps,
  scope: MarketplaceScope,
  input: { listingId: string; deploymentId: string | null },
): Promise<ListingSummaryView> {
  const row = await loadOwnListing(deps, scope.tenantId, input.listingId);
  const now = new Date(deps.clock.now());
  let firstEquity: string | null = null;
  if (input.deploymentId !== null) {
    const dep = await deps.strategies.deploymentEquity(scope.tenantId, input.deploymentId);
    checkTrackDeployment(row, dep);
    firstEquity = dep.equity;
  }
  await deps.db.$transaction(async (tx) => {
    // The row lock orders this against a concurrent attach and the sampler's end of a record.
    const [cur] = await tx.$queryRaw<
      {
        track_deployment_id: string | null;
        track_since: Date | null;
        track_end_reason: string | null;
        track_history: unknown;
      }[]
    >`SELECT track_deployment_id, track_since, track_end_reason, track_history
        FROM marketplace_listings WHERE id = ${row.id}::uuid FOR UPDATE`;
    if (!cur) throw new AppError('INTERNAL', 'The listing vanished while it was being written.');
    const history = closeSegment(
      cur,
      now,
      input.deploymentId === null ? 'detached by the seller' : 'replaced by another deployment',
    );
    const kept = history.slice(-TRACK_HISTORY_MAX);
    // Segments beyond the bound lose their samples (bounded storage per listing).
    for (const old of history.slice(0, history.length - kept.length))
      await tx.marketplaceTrackPoint.deleteMany({
        where: { listingId: row.id, at: { gte: new Date(old.since), lte: new Date(old.until) } },
      });
    await tx.marketplaceListing.update({
      where: { id: row.id },
      data: {
        trackDeploymentId: input.deploymentId,
        trackSince: input.deploymentId === null ? null : now,
        trackEndReason: null,
        trackHistory: kept as unknown as Prisma.InputJsonValue,
        updatedAt: now,
      },
    });
    // The record's first sample: the equity it starts from.
    if (firstEquity !== null)
      await tx.marketplaceTrackPoint.createMany({
        data: [{ listingId: row.id, at: now, equity: firstEquity }],
        skipDuplicates: true,
      });
  });
  return summaryOf(deps, row.id);
}

/** Earlier forward records kept per listing (the oldest beyond this lose their samples). */
export const TRACK_HISTORY_MAX = 10;

export interface TrackSegment {
  deploymentId: string | null;
  since: string;
  until: string;
  endedReason: string;
}

/** The listing's history with its current record (if any) closed at `now`. */
function closeSegment(
  cur: {
    track_deployment_id: string | null;
    track_since: Date | null;
    track_end_reason: string | null;
    track_history: unknown;
  },
  now: Date,
  reason: string,
): TrackSegment[] {
  const history = parseHistory(cur.track_history);
  if (!cur.track_since) return history;
  return [
    ...history,
    {
      deploymentId: cur.track_deployment_id,
      since: cur.track_since.toISOString(),
      // Just before the new record's first sample: segments never share a sample.
      until: new Date(now.getTime() - 1).toISOString(),
      endedReason: cur.track_end_reason ?? reason,
    },
  ];
}

export function parseHistory(raw: unknown): TrackSegment[] {
  return Array.isArray(raw)
    ? raw.filter(
        (s): s is TrackSegment =>
          typeof s === 'object' && s !== null && typeof s.since === 'string' && typeof s.until === 'string',
      )
    : [];
}

/**
 * What makes a deployment's equity this listing's record: same version, instruments among the listing's,
 * one of its intervals, exactly the listing's parameters, running, and nothing else on its paper account.
 */
function checkTrackDeployment(row: ListingRow, dep: DeploymentEquity): void {
  const refuse = (msg: string) => new AppError('VALIDATION_FAILED', msg);
  if (dep.versionId !== row.version_id)
    throw refuse(
      "That deployment runs another version of the strategy than this listing's; deploy the listed version.",
    );
  if (!dep.running) throw refuse('That deployment is not running; start it, then attach it.');
  const allowed = new Set(rowInstruments(row).map(marketKey));
  const foreign = dep.instruments.map(marketKey).filter((m) => !allowed.has(m));
  if (foreign.length > 0 || dep.instruments.length === 0)
    throw refuse(
      `That deployment trades ${foreign.join(', ') || 'nothing'}, which this listing does not list.`,
    );
  if (!rowIntervals(row).includes(dep.interval))
    throw refuse(
      `That deployment runs on ${dep.interval} candles; this listing lists ${rowIntervals(row).join(', ')}.`,
    );
  if (!sameParams(dep.params, listingDefaultParams(rowTunable(row), rowDefaults(row))))
    throw refuse(
      "That deployment's parameters differ from the listing's defaults; deploy it with the listing's parameters.",
    );
  if (dep.otherActiveDeployments > 0)
    throw refuse(
      'Another deployment trades on that paper account; a forward record needs the account to itself.',
    );
}

async function summaryOf(deps: MarketplaceDeps, listingId: string): Promise<ListingSummaryView> {
  const row = await loadListing(deps, listingId);
  if (!row) throw new AppError('INTERNAL', 'The listing vanished while it was being written.');
  return toSummary(row);
}
