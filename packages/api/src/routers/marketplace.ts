import {
  attachTrackRecordInput,
  deployListingInput,
  deploymentSchema,
  listingDetailSchema,
  listingIdInput,
  listingSummarySchema,
  mySubscriptionSchema,
  publishListingInput,
  redirectSchema,
  reviewInput,
  reviewSchema,
  searchListingsInput,
  searchListingsSchema,
  sellerDashboardSchema,
  sellerStatusSchema,
  subscribeResultSchema,
  updateListingInput,
} from '@qt/shared';
import { z } from 'zod';
import { marketplaceOf, marketplaceScopeOf } from '../domains/marketplace/scope.ts';
import { authedProcedure, manageProcedure, router, tradeProcedure } from '../trpc.ts';

/**
 * The strategy marketplace: search and listing pages (any signed-in tenant), publishing and the seller
 * dashboard, subscribing and deploying. Publishing, selling and paying act for the whole tenant and need
 * `manage`; deploying a subscribed listing and reviewing it need `trade`, like running a strategy.
 */
export const marketplaceRouter = router({
  search: authedProcedure
    .input(searchListingsInput)
    .output(searchListingsSchema)
    .query(({ ctx, input }) => marketplaceOf(ctx.deps).search(marketplaceScopeOf(ctx.principal), input)),
  get: authedProcedure
    .input(listingIdInput)
    .output(listingDetailSchema)
    .query(({ ctx, input }) =>
      marketplaceOf(ctx.deps).get(marketplaceScopeOf(ctx.principal), input.listingId),
    ),
  publish: manageProcedure
    .input(publishListingInput)
    .output(listingSummarySchema)
    .mutation(({ ctx, input }) => marketplaceOf(ctx.deps).publish(marketplaceScopeOf(ctx.principal), input)),
  update: manageProcedure
    .input(updateListingInput)
    .output(listingSummarySchema)
    .mutation(({ ctx, input }) => marketplaceOf(ctx.deps).update(marketplaceScopeOf(ctx.principal), input)),
  myListings: authedProcedure
    .output(z.array(listingSummarySchema))
    .query(({ ctx }) => marketplaceOf(ctx.deps).myListings(marketplaceScopeOf(ctx.principal))),
  attachTrackRecord: manageProcedure
    .input(attachTrackRecordInput)
    .output(listingSummarySchema)
    .mutation(({ ctx, input }) =>
      marketplaceOf(ctx.deps).attachTrackRecord(marketplaceScopeOf(ctx.principal), input),
    ),
  sellerStatus: manageProcedure
    .output(sellerStatusSchema)
    .query(({ ctx }) => marketplaceOf(ctx.deps).sellerStatus(marketplaceScopeOf(ctx.principal))),
  sellerOnboarding: manageProcedure
    .output(redirectSchema)
    .mutation(({ ctx }) => marketplaceOf(ctx.deps).sellerOnboarding(marketplaceScopeOf(ctx.principal))),
  sellerDashboard: manageProcedure
    .output(sellerDashboardSchema)
    .query(({ ctx }) => marketplaceOf(ctx.deps).sellerDashboard(marketplaceScopeOf(ctx.principal))),
  subscribe: manageProcedure
    .input(listingIdInput)
    .output(subscribeResultSchema)
    .mutation(({ ctx, input }) =>
      marketplaceOf(ctx.deps).subscribe(marketplaceScopeOf(ctx.principal), input.listingId),
    ),
  mySubscriptions: authedProcedure
    .output(z.array(mySubscriptionSchema))
    .query(({ ctx }) => marketplaceOf(ctx.deps).mySubscriptions(marketplaceScopeOf(ctx.principal))),
  cancelSubscription: manageProcedure
    .input(listingIdInput)
    .output(mySubscriptionSchema)
    .mutation(({ ctx, input }) =>
      marketplaceOf(ctx.deps).cancelSubscription(marketplaceScopeOf(ctx.principal), input.listingId),
    ),
  review: tradeProcedure
    .input(reviewInput)
    .output(reviewSchema)
    .mutation(({ ctx, input }) => marketplaceOf(ctx.deps).review(marketplaceScopeOf(ctx.principal), input)),
  deploy: tradeProcedure
    .input(deployListingInput)
    .output(deploymentSchema)
    .mutation(({ ctx, input }) => marketplaceOf(ctx.deps).deploy(marketplaceScopeOf(ctx.principal), input)),
});
