import { z } from 'zod';
import { billingInterval, subscriptionAccess } from '../billing/schemas.ts';
import {
  backtestMetricsSchema,
  instrumentRef,
  strategyInterval,
  strategyParams,
} from '../strategies/api-schemas.ts';

const paramName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,31}$/, 'a parameter name like fast_period');

/** A parameter the buyer may set, within bounds the seller chose. */
export const tunableParamSchema = z
  .strictObject({
    name: paramName,
    min: z.number().finite(),
    max: z.number().finite(),
    default: z.number().finite(),
  })
  .refine((p) => p.min <= p.default && p.default <= p.max, { message: 'need min <= default <= max' });
export type TunableParam = z.infer<typeof tunableParamSchema>;

export const listingStatus = z.enum(['verifying', 'published', 'verification_failed', 'unlisted']);
export type ListingStatus = z.infer<typeof listingStatus>;

/** Price: free (0, no interval) or a recurring price in USD cents with optional trial days. */
export const listingPriceInput = z.union([
  z.strictObject({ kind: z.literal('free') }),
  z.strictObject({
    kind: z.literal('recurring'),
    /** USD cents: $1.00 .. $10,000.00. */
    amountCents: z.number().int().min(100).max(1_000_000),
    interval: billingInterval,
    trialDays: z.number().int().min(0).max(90).default(0),
  }),
]);
export type ListingPriceInput = z.infer<typeof listingPriceInput>;

export const publishListingInput = z.strictObject({
  strategyId: z.uuid(),
  /** Defaults to the latest version; the listing is pinned to it (and to its sha256) for good. */
  version: z.number().int().positive().optional(),
  title: z.string().trim().min(3).max(80),
  summary: z.string().trim().max(200).default(''),
  /** Markdown; rendered with raw HTML disabled and only http(s)/mailto links. */
  description: z.string().max(20_000).default(''),
  tags: z
    .array(
      z
        .string()
        .trim()
        .toLowerCase()
        .regex(/^[a-z0-9][a-z0-9-]{0,23}$/),
    )
    .max(8)
    .default([]),
  instruments: z.array(instrumentRef).min(1).max(10),
  intervals: z.array(strategyInterval).min(1).max(6),
  tunableParams: z.array(tunableParamSchema).max(32).default([]),
  /** The seller's values for every other parameter (fixed for buyers). */
  defaultParams: strategyParams.default({}),
  price: listingPriceInput,
});
export type PublishListingInput = z.infer<typeof publishListingInput>;

export const updateListingInput = z.strictObject({
  listingId: z.uuid(),
  title: z.string().trim().min(3).max(80).optional(),
  summary: z.string().trim().max(200).optional(),
  description: z.string().max(20_000).optional(),
  tags: z
    .array(
      z
        .string()
        .trim()
        .toLowerCase()
        .regex(/^[a-z0-9][a-z0-9-]{0,23}$/),
    )
    .max(8)
    .optional(),
  /** `unlisted`: hidden from search, existing subscribers keep access; `published`: back in search. */
  visibility: z.enum(['published', 'unlisted']).optional(),
});
export type UpdateListingInput = z.infer<typeof updateListingInput>;

export const listingIdInput = z.strictObject({ listingId: z.uuid() });

export const listingSort = z.enum(['return', 'drawdown', 'sharpe', 'subscribers', 'newest', 'price']);
export const searchListingsInput = z.strictObject({
  q: z.string().trim().max(100).optional(),
  /** `venue:SYMBOL`, e.g. `binance:BTC-USDT`. */
  market: z.string().max(40).optional(),
  tag: z.string().max(24).optional(),
  /** Fractions: 0.1 = +10 %. */
  minReturn: z.number().finite().optional(),
  /** Fraction (0.2 = 20 % max drawdown at most). */
  maxDrawdown: z.number().finite().nonnegative().optional(),
  minSharpe: z.number().finite().optional(),
  /** Monthly-equivalent price cap in cents (0 = free only). */
  maxPriceCents: z.number().int().nonnegative().optional(),
  minSubscribers: z.number().int().nonnegative().optional(),
  sort: listingSort.default('return'),
  limit: z.number().int().min(1).max(50).default(20),
  cursor: z.string().max(200).optional(),
});
export type SearchListingsInput = z.infer<typeof searchListingsInput>;

export const listingPriceSchema = z.strictObject({
  amountCents: z.number().int().nonnegative(),
  currency: z.string(),
  interval: billingInterval.nullable(),
  trialDays: z.number().int().nonnegative(),
});

/** One row of the marketplace (search results, "my listings"). */
export const listingSummarySchema = z.strictObject({
  id: z.uuid(),
  title: z.string(),
  summary: z.string(),
  tags: z.array(z.string()),
  instruments: z.array(instrumentRef),
  intervals: z.array(strategyInterval),
  price: listingPriceSchema,
  status: listingStatus,
  /** sha256 of the pinned module (hex): what the stats were computed from. */
  moduleSha256: z.string(),
  /** From the platform's verification backtest; null until it finished. */
  stats: z
    .strictObject({
      totalReturn: z.number().nullable(),
      maxDrawdown: z.number().nullable(),
      sharpe: z.number().nullable(),
    })
    .nullable(),
  /** The instrument and interval the stats were computed on (the listing's first of each). */
  statsInstrument: instrumentRef.nullable().optional(),
  statsInterval: strategyInterval.nullable().optional(),
  /** Why the listing is in its status (e.g. what a verification waits for, or why it failed). */
  statusReason: z.string().nullable().optional(),
  subscribers: z.number().int().nonnegative(),
  rating: z.strictObject({ average: z.number().nullable(), count: z.number().int().nonnegative() }),
  sellerName: z.string(),
  createdAt: z.string(),
});
export type ListingSummaryView = z.infer<typeof listingSummarySchema>;

export const searchListingsSchema = z.strictObject({
  items: z.array(listingSummarySchema),
  next: z.string().nullable(),
});

/** The platform's standard backtest of the pinned module: labelled as a backtest, with its window. */
export const verifiedBacktestSchema = z.strictObject({
  backtestId: z.uuid(),
  status: z.enum(['queued', 'running', 'completed', 'failed', 'cancelled']),
  reason: z.string().nullable(),
  moduleSha256: z.string(),
  instrument: instrumentRef,
  interval: strategyInterval,
  from: z.number().int(),
  to: z.number().int(),
  /** Fee model used: taker/maker in basis points. */
  feesBps: z.strictObject({ maker: z.number(), taker: z.number() }),
  metrics: backtestMetricsSchema.nullable(),
  equity: z.array(z.tuple([z.number(), z.number()])),
  drawdown: z.array(z.tuple([z.number(), z.number()])),
  verifiedAt: z.string().nullable(),
  /** How to read the window, e.g. "out of sample: data after the module was uploaded". */
  label: z.string().optional(),
});
export type VerifiedBacktestView = z.infer<typeof verifiedBacktestSchema>;

/** The seller's live paper deployment, sampled from our ledger: labelled as forward paper trading. */
export const trackRecordSchema = z.strictObject({
  since: z.string(),
  /** [ms, equity] samples (numbers for drawing; the ledger keeps exact decimals). */
  equity: z.array(z.tuple([z.number(), z.number()])),
  drawdown: z.array(z.tuple([z.number(), z.number()])),
  totalReturn: z.number().nullable(),
  maxDrawdown: z.number().nullable(),
  running: z.boolean(),
  /** Why sampling stopped (null while running). */
  endedReason: z.string().nullable().optional(),
});
export type TrackRecordView = z.infer<typeof trackRecordSchema>;

export const reviewSchema = z.strictObject({
  rating: z.number().int().min(1).max(5),
  body: z.string(),
  author: z.string(),
  createdAt: z.string(),
  /** The review of the caller's tenant. */
  mine: z.boolean(),
});
export type ReviewView = z.infer<typeof reviewSchema>;

export const listingDetailSchema = z.strictObject({
  listing: listingSummarySchema,
  /** Sanitized HTML rendered from the seller's Markdown. */
  descriptionHtml: z.string(),
  tunableParams: z.array(tunableParamSchema),
  verified: verifiedBacktestSchema.nullable(),
  trackRecord: trackRecordSchema.nullable(),
  /** Earlier forward records of this listing (other deployments attached before), newest first. */
  earlierTrackRecords: z.array(trackRecordSchema).optional(),
  reviews: z.array(reviewSchema),
  /** The caller's relation to the listing. */
  viewer: z.strictObject({
    isSeller: z.boolean(),
    /** The caller's tenant may deploy it (seller, or an active entitlement). */
    entitled: z.boolean(),
    access: subscriptionAccess.nullable(),
    cancelAtPeriodEnd: z.boolean(),
    accessUntil: z.string().nullable(),
    canReview: z.boolean(),
    /** The listing's trial applies to the caller's next checkout (offered once per tenant). */
    trialAvailable: z.boolean(),
  }),
});
export type ListingDetailView = z.infer<typeof listingDetailSchema>;

export const reviewInput = z.strictObject({
  listingId: z.uuid(),
  rating: z.number().int().min(1).max(5),
  body: z.string().trim().max(2_000).default(''),
});
export type ReviewInput = z.infer<typeof reviewInput>;

export const attachTrackRecordInput = z.strictObject({
  listingId: z.uuid(),
  /** The seller's own running deployment of the listing's strategy version; null detaches. */
  deploymentId: z.uuid().nullable(),
});

export const deployListingInput = z.strictObject({
  listingId: z.uuid(),
  accountId: z.uuid(),
  instruments: z.array(instrumentRef).min(1).max(10),
  interval: strategyInterval,
  /** Only the listing's tunable parameters, within their bounds. */
  params: strategyParams.default({}),
});
export type DeployListingInput = z.infer<typeof deployListingInput>;

/** A listing the caller's tenant subscribes to. */
export const mySubscriptionSchema = z.strictObject({
  listing: listingSummarySchema,
  access: subscriptionAccess,
  status: z.string().nullable(),
  cancelAtPeriodEnd: z.boolean(),
  currentPeriodEnd: z.string().nullable(),
});
export type MySubscriptionView = z.infer<typeof mySubscriptionSchema>;

export const sellerStatusSchema = z.strictObject({
  onboarded: z.boolean(),
  chargesEnabled: z.boolean(),
  payoutsEnabled: z.boolean(),
  /** The platform's fee on each paid invoice, percent. */
  feePercent: z.number(),
});
export type SellerStatusView = z.infer<typeof sellerStatusSchema>;

export const sellerDashboardSchema = z.strictObject({
  seller: sellerStatusSchema,
  currency: z.string(),
  /** Monthly recurring revenue (yearly prices / 12), gross, cents. */
  mrrCents: z.number().int(),
  subscribers: z.number().int(),
  /** Totals over the seller's paid invoices, cents. */
  grossCents: z.number().int(),
  feesCents: z.number().int(),
  refundsCents: z.number().int(),
  /** What reached the seller's connected account (net of Stripe and platform fees and refunds). */
  netCents: z.number().int(),
  /** Connected account balance (available), cents. */
  balanceCents: z.number().int(),
  listings: z.array(
    z.strictObject({
      listing: listingSummarySchema,
      subscribers: z.number().int(),
      mrrCents: z.number().int(),
    }),
  ),
  /** The connected account's recent balance transactions (payments, refunds, payouts). */
  transactions: z.array(
    z.strictObject({
      id: z.string(),
      type: z.string(),
      amountCents: z.number().int(),
      feeCents: z.number().int(),
      netCents: z.number().int(),
      currency: z.string(),
      created: z.string(),
      description: z.string().nullable(),
    }),
  ),
});
export type SellerDashboardView = z.infer<typeof sellerDashboardSchema>;

/** Subscribe: paid listings answer a Checkout URL; free ones are granted at once. */
export const subscribeResultSchema = z.union([
  z.strictObject({ kind: z.literal('checkout'), url: z.string() }),
  z.strictObject({ kind: z.literal('granted') }),
]);
export type SubscribeResultView = z.infer<typeof subscribeResultSchema>;
