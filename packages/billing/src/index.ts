export type { BillingHooks } from './billing-hooks.ts';
export type { BillingLogger } from './context.ts';
export { type BillingService, type CreateBillingOptions, createBilling } from './create-billing.ts';
export type {
  ListingPriceSpec,
  MarketplaceBilling,
  SellerAccountState,
  SellerFinance,
} from './marketplace-billing.ts';
export {
  accessOf,
  entitlementStatusOf,
  grantsAccess,
  isTerminal,
  listingEntitlementOf,
  mergeSnapshot,
  mustReread,
  planTierOf,
} from './subscription-state.ts';
export { MAX_WEBHOOK_BYTES, type WebhookAnswer } from './webhooks.ts';
