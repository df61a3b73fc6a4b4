import {
  instrumentRef,
  type ListingDetailView,
  type MarketplaceScope,
  notFound,
  type ReviewView,
  type SubscriptionAccess,
  strategyInterval,
  type TrackRecordView,
  type VerifiedBacktestView,
} from '@qt/shared';
import { DEFAULT_FEE_SCHEDULE } from '@qt/trading';
import { z } from 'zod';
import type { MarketplaceDeps } from './deps.ts';
import {
  type ListingRow,
  loadListing,
  rowInstruments,
  rowIntervals,
  rowTunable,
  toSummary,
} from './listing-row.ts';
import { parseHistory } from './publish.ts';
import { trackRecordView } from './track-record.ts';

/** Reviews shown on a listing page (newest first). */
export const REVIEWS_SHOWN = 50;

/** What the caller's tenant has of a listing: its entitlement and the Stripe subscription behind it. */
export interface ViewerRelation {
  isSeller: boolean;
  entitlement: { status: string; accessUntil: Date | null; stripeSubscriptionId: string | null } | null;
  subscription: {
    access: string;
    status: string;
    cancelAtPeriodEnd: boolean;
    currentPeriodEnd: Date | null;
  } | null;
}

export async function viewerRelation(
  deps: MarketplaceDeps,
  tenantId: string,
  row: ListingRow,
): Promise<ViewerRelation> {
  const [entitlement, subscriptions] = await Promise.all([
    deps.db.marketplaceEntitlement.findUnique({
      where: { tenantId_listingId: { tenantId, listingId: row.id } },
      select: { status: true, accessUntil: true, stripeSubscriptionId: true },
    }),
    // The live one if any, else the latest: a tenant may have subscribed, ended (or been paused for an
    // unpaid renewal) and subscribed again, and the old subscription's rows can be updated after the new
    // one's (a late webhook, reconciliation), so "latest updated" alone could show the old one.
    deps.db.billingSubscription.findMany({
      where: { tenantId, listingId: row.id, kind: 'listing' },
      orderBy: [{ updatedAt: 'desc' }],
      take: 10,
      select: { access: true, status: true, cancelAtPeriodEnd: true, currentPeriodEnd: true },
    }),
  ]);
  const subscription =
    subscriptions.find((s) => s.access === 'active' || s.access === 'grace') ?? subscriptions[0] ?? null;
  return { isSeller: row.seller_tenant_id === tenantId, entitlement, subscription };
}

/**
 * Who may see a listing: everyone once it is published; its seller always; a tenant that has (or had)
 * an entitlement while it is unlisted (subscribers keep their page). Anyone else: NOT_FOUND, the same
 * answer as for an id that does not exist.
 */
export function visibleTo(row: ListingRow, rel: ViewerRelation): boolean {
  if (row.status === 'published' || rel.isSeller) return true;
  return row.status === 'unlisted' && rel.entitlement !== null;
}

export async function getListing(
  deps: MarketplaceDeps,
  scope: MarketplaceScope,
  listingId: string,
): Promise<ListingDetailView> {
  const row = await loadListing(deps, listingId);
  if (!row) throw notFound('Listing');
  const rel = await viewerRelation(deps, scope.tenantId, row);
  if (!visibleTo(row, rel)) throw notFound('Listing');

  const history = parseHistory(row.track_history).reverse();
  const [verified, trackRecord, reviews, earlier] = await Promise.all([
    verifiedView(deps, row),
    trackRecordView(deps, {
      id: row.id,
      trackSince: row.track_since,
      running: row.track_deployment_id !== null,
      endedReason: row.track_end_reason,
    }),
    reviewsOf(deps, row.id, scope.tenantId),
    // Earlier records stay visible: a seller cannot replace a bad record by attaching another deployment.
    Promise.all(
      history.map((h) =>
        trackRecordView(deps, {
          id: row.id,
          trackSince: new Date(h.since),
          until: new Date(h.until),
          running: false,
          endedReason: h.endedReason,
        }),
      ),
    ),
  ]);
  const access = (rel.subscription?.access ??
    entitlementAccess(rel.entitlement?.status)) as SubscriptionAccess | null;
  return {
    listing: toSummary(row),
    descriptionHtml: row.description_html,
    tunableParams: rowTunable(row),
    verified,
    trackRecord,
    earlierTrackRecords: earlier.filter((r): r is TrackRecordView => r !== null),
    reviews,
    viewer: {
      isSeller: rel.isSeller,
      entitled: rel.isSeller || rel.entitlement?.status === 'active',
      access,
      cancelAtPeriodEnd: rel.subscription?.cancelAtPeriodEnd ?? false,
      accessUntil:
        (rel.entitlement?.accessUntil ?? rel.subscription?.currentPeriodEnd ?? null)?.toISOString() ?? null,
      canReview: !rel.isSeller && rel.entitlement !== null,
      trialAvailable: !rel.isSeller && trialDaysFor(row.trial_days, rel) > 0,
    },
  };
}

/**
 * A listing's trial is offered once per tenant: a tenant that ever held a paid subscription to it (ended,
 * cancelled during its trial, or lapsed) pays from the first day when it subscribes again. Otherwise cancel
 * and re-subscribe would be an endless free trial. A checkout that was started but never paid left no
 * subscription row, so it does not use the trial up.
 */
export function trialDaysFor(
  trialDays: number,
  rel: { subscription: unknown; entitlement: { stripeSubscriptionId: string | null } | null },
): number {
  const hadPaid = rel.subscription !== null || rel.entitlement?.stripeSubscriptionId != null;
  return hadPaid ? 0 : trialDays;
}

export function entitlementAccess(status: string | undefined): SubscriptionAccess | null {
  if (status === 'active') return 'active';
  if (status === 'ended') return 'ended';
  return null;
}

/** How the verified window is described next to its numbers (it starts after the module's upload). */
export const OUT_OF_SAMPLE_LABEL = 'out of sample: data after the module was uploaded';

/** The window the engine stored with the verification backtest (its validated request). */
const storedSpec = z.object({
  instruments: z.array(instrumentRef).min(1),
  interval: strategyInterval,
  from: z.number(),
  to: z.number(),
});

async function verifiedView(deps: MarketplaceDeps, row: ListingRow): Promise<VerifiedBacktestView | null> {
  const backtestId = row.verification_backtest_id;
  if (!backtestId) return null;
  const [result, stored] = await Promise.all([
    deps.strategies.verificationResult(backtestId),
    deps.db.backtest.findUnique({ where: { id: backtestId }, select: { spec: true } }),
  ]);
  const spec = storedSpec.safeParse(stored?.spec);
  const instrument = spec.success ? spec.data.instruments[0] : rowInstruments(row)[0];
  const interval = spec.success ? spec.data.interval : rowIntervals(row)[0];
  if (!instrument || !interval) return null;
  const fees = DEFAULT_FEE_SCHEDULE[instrument.venue]?.default ?? { makerBps: 10, takerBps: 10 };
  return {
    backtestId,
    status: result.status,
    reason: result.reason,
    moduleSha256: row.module_sha256,
    instrument,
    interval,
    from: spec.success ? Math.trunc(spec.data.from) : 0,
    to: spec.success ? Math.trunc(spec.data.to) : 0,
    feesBps: { maker: Number(fees.makerBps), taker: Number(fees.takerBps) },
    metrics: result.metrics,
    equity: result.equity,
    drawdown: result.drawdown,
    verifiedAt: row.verified_at?.toISOString() ?? null,
    label: OUT_OF_SAMPLE_LABEL,
  };
}

async function reviewsOf(deps: MarketplaceDeps, listingId: string, tenantId: string): Promise<ReviewView[]> {
  const rows = await deps.db.$queryRaw<
    {
      rating: number;
      body: string;
      name: string | null;
      email: string | null;
      created_at: Date;
      tenant_id: string;
    }[]
  >`SELECT rv.rating, rv.body, rv.created_at, rv.tenant_id, u.name, u.email
      FROM marketplace_reviews rv
      LEFT JOIN users u ON u.id = rv.user_id
     WHERE rv.listing_id = ${listingId}::uuid
     ORDER BY rv.updated_at DESC, rv.tenant_id
     LIMIT ${REVIEWS_SHOWN}`;
  return rows.map(
    (r): ReviewView => ({
      rating: r.rating,
      body: r.body,
      author: reviewerName(r.name, r.email),
      createdAt: r.created_at.toISOString(),
      mine: r.tenant_id === tenantId,
    }),
  );
}

/**
 * A reviewer as the public sees them: their first name, never anything from their email address (a
 * name defaulted from the address, or one that contains it, shows as "Subscriber").
 */
export function reviewerName(name: string | null | undefined, email: string | null | undefined): string {
  const first = (name ?? '').trim().split(/\s+/)[0] ?? '';
  const local = (email ?? '').split('@')[0]?.toLowerCase() ?? '';
  if (!first || first.includes('@')) return 'Subscriber';
  if (local && (first.toLowerCase() === local || (name ?? '').toLowerCase().includes(local)))
    return 'Subscriber';
  return first.slice(0, 40);
}
