import type { MarketplaceScope, RedirectView, SellerDashboardView, SellerStatusView } from '@qt/shared';
import type { MarketplaceDeps } from './deps.ts';
import { type ListingRow, SUMMARY_SELECT, toSummary } from './listing-row.ts';

/** Listings on the dashboard (newest first). */
const DASHBOARD_LISTINGS = 200;

export async function sellerStatus(
  deps: MarketplaceDeps,
  scope: MarketplaceScope,
): Promise<SellerStatusView> {
  const account = await deps.billing.sellerAccount(scope.tenantId, false);
  return {
    onboarded: account?.detailsSubmitted ?? false,
    chargesEnabled: account?.chargesEnabled ?? false,
    payoutsEnabled: account?.payoutsEnabled ?? false,
    feePercent: deps.billing.feePercent,
  };
}

export function sellerOnboarding(deps: MarketplaceDeps, scope: MarketplaceScope): Promise<RedirectView> {
  return deps.billing.sellerOnboardingLink(scope.tenantId);
}

/**
 * Subscribers and MRR from our copy of Stripe's subscriptions (access active or grace: a renewal being
 * retried still counts), plus free listings' active entitlements as subscribers; money moved from
 * Stripe (the connected account), and only once the seller has an account: before that, zeros and no
 * Stripe call.
 */
export async function sellerDashboard(
  deps: MarketplaceDeps,
  scope: MarketplaceScope,
): Promise<SellerDashboardView> {
  const status = await sellerStatus(deps, scope);
  const [rows, perListing] = await Promise.all([
    deps.db.$queryRaw<ListingRow[]>`${SUMMARY_SELECT}
      WHERE l.seller_tenant_id = ${scope.tenantId}::uuid
      ORDER BY l.created_at DESC, l.id
      LIMIT ${DASHBOARD_LISTINGS}`,
    deps.db.$queryRaw<
      { listing_id: string; subscribers: number; mrr_cents: number; total_mrr_cents: number }[]
    >`
      SELECT l.id AS listing_id,
             (COALESCE(s.n, 0) + COALESCE(f.n, 0))::int AS subscribers,
             round(COALESCE(s.mrr, 0))::int AS mrr_cents,
             -- Yearly prices / 12 are fractional cents: exact in numeric, rounded once, on the total.
             round(sum(COALESCE(s.mrr, 0)) OVER ())::int AS total_mrr_cents
        FROM marketplace_listings l
        LEFT JOIN LATERAL (
          SELECT count(*) AS n,
                 sum(CASE WHEN bs.billing_interval = 'year' THEN bs.amount_cents::numeric / 12 ELSE bs.amount_cents END) AS mrr
            FROM billing_subscriptions bs
           WHERE bs.listing_id = l.id AND bs.kind = 'listing' AND bs.access IN ('active', 'grace')
        ) s ON true
        LEFT JOIN LATERAL (
          SELECT count(*) AS n FROM marketplace_entitlements e
           WHERE e.listing_id = l.id AND e.status = 'active' AND e.stripe_subscription_id IS NULL
        ) f ON true
       WHERE l.seller_tenant_id = ${scope.tenantId}::uuid`,
  ]);
  const stats = new Map(perListing.map((p) => [p.listing_id, p]));
  const subscribers = perListing.reduce((n, p) => n + p.subscribers, 0);
  const finance = status.onboarded ? await deps.billing.sellerFinance(scope.tenantId) : null;
  return {
    seller: status,
    currency: finance?.currency ?? 'usd',
    mrrCents: perListing[0]?.total_mrr_cents ?? 0,
    subscribers,
    grossCents: finance?.grossCents ?? 0,
    feesCents: finance?.feesCents ?? 0,
    refundsCents: finance?.refundsCents ?? 0,
    netCents: finance?.netCents ?? 0,
    balanceCents: finance?.balanceCents ?? 0,
    listings: rows.map((r) => ({
      listing: toSummary(r),
      subscribers: stats.get(r.id)?.subscribers ?? 0,
      mrrCents: stats.get(r.id)?.mrr_cents ?? 0,
    })),
    transactions: finance?.transactions ?? [],
  };
}
