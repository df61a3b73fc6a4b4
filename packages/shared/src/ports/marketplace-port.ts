import type {
  DeployListingInput,
  DeploymentView,
  ListingDetailView,
  ListingSummaryView,
  MySubscriptionView,
  PublishListingInput,
  RedirectView,
  ReviewInput,
  ReviewView,
  SearchListingsInput,
  SellerDashboardView,
  SellerStatusView,
  SubscribeResultView,
  UpdateListingInput,
} from '../index.ts';
import type { MarketplaceScope } from './scopes.ts';

/**
 * What the API needs from the marketplace (implemented by `@qt/marketplace`'s MarketplaceService).
 * Tenant isolation is enforced there: a listing that is not published is NOT_FOUND to everyone but its
 * seller; nothing here ever returns a module's bytes; a buyer's deployment runs the listing's pinned
 * version and sees neither the seller's strategy nor its other versions. Access to a paid listing comes
 * only from verified Stripe webhook events (or reconciliation), never from the browser's redirect.
 */
export interface MarketplacePort {
  search(
    scope: MarketplaceScope,
    input: SearchListingsInput,
  ): Promise<{ items: ListingSummaryView[]; next: string | null }>;
  get(scope: MarketplaceScope, listingId: string): Promise<ListingDetailView>;

  // Sellers
  publish(scope: MarketplaceScope, input: PublishListingInput): Promise<ListingSummaryView>;
  update(scope: MarketplaceScope, input: UpdateListingInput): Promise<ListingSummaryView>;
  myListings(scope: MarketplaceScope): Promise<ListingSummaryView[]>;
  attachTrackRecord(
    scope: MarketplaceScope,
    input: { listingId: string; deploymentId: string | null },
  ): Promise<ListingSummaryView>;
  sellerStatus(scope: MarketplaceScope): Promise<SellerStatusView>;
  /** Stripe Connect (Express) onboarding link for the caller's tenant (creates the account once). */
  sellerOnboarding(scope: MarketplaceScope): Promise<RedirectView>;
  sellerDashboard(scope: MarketplaceScope): Promise<SellerDashboardView>;

  // Buyers
  subscribe(scope: MarketplaceScope, listingId: string): Promise<SubscribeResultView>;
  mySubscriptions(scope: MarketplaceScope): Promise<MySubscriptionView[]>;
  /** Cancels at the period end (access until then); a free listing's access ends at once. */
  cancelSubscription(scope: MarketplaceScope, listingId: string): Promise<MySubscriptionView>;
  review(scope: MarketplaceScope, input: ReviewInput): Promise<ReviewView>;
  deploy(scope: MarketplaceScope, input: DeployListingInput): Promise<DeploymentView>;
}
