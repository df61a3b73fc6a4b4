/**
 * The Stripe side of the marketplace, implemented by the billing service and used by `@qt/marketplace`.
 * Amounts and price ids always come from the listing row on the server, never from a request.
 */
export interface ListingPriceSpec {
  listingId: string;
  title: string;
  sellerTenantId: string;
  amountCents: number;
  currency: string;
  interval: 'month' | 'year';
}

export interface SellerAccountState {
  stripeAccountId: string;
  chargesEnabled: boolean;
  payoutsEnabled: boolean;
  detailsSubmitted: boolean;
}

export interface SellerFinance {
  currency: string;
  /** Connected account's available balance. */
  balanceCents: number;
  /** Over the seller's paid listing invoices (destination charges). */
  grossCents: number;
  /** The platform's application fees on them. */
  feesCents: number;
  refundsCents: number;
  /** What reached the connected account, net of Stripe's and the platform's fees and refunds. */
  netCents: number;
  transactions: {
    id: string;
    type: string;
    amountCents: number;
    feeCents: number;
    netCents: number;
    currency: string;
    created: string;
    description: string | null;
  }[];
}

export interface MarketplaceBilling {
  /** The platform's fee on each paid listing invoice, percent (application_fee_percent). */
  readonly feePercent: number;
  /** The listing's Stripe product and recurring price, created once (idempotent by listing id). */
  ensureListingPrice(spec: ListingPriceSpec): Promise<{ productId: string; priceId: string }>;
  /**
   * A Checkout Session (subscription mode) for a listing: the listing's own price, a destination charge
   * to the seller's connected account with the platform fee, the listing's trial days, metadata naming
   * the buyer tenant and the listing. SELLER_NOT_ONBOARDED when the seller cannot take charges.
   */
  startListingCheckout(input: {
    tenantId: string;
    tenantName: string;
    userId: string | null;
    listingId: string;
    stripePriceId: string;
    sellerTenantId: string;
    trialDays: number;
  }): Promise<{ url: string }>;
  /** Cancels the buyer's live subscription to the listing at the period end (access until then). */
  cancelListingSubscription(tenantId: string, listingId: string): Promise<void>;
  /** Creates the seller's Express account once and answers a fresh onboarding link. */
  sellerOnboardingLink(tenantId: string): Promise<{ url: string }>;
  /** The seller's account as stored (refreshed from Stripe when `refresh`); null before onboarding. */
  sellerAccount(tenantId: string, refresh?: boolean): Promise<SellerAccountState | null>;
  sellerFinance(tenantId: string): Promise<SellerFinance>;
}
