-- Billing and marketplace (issue 11).
-- Stripe is the source of truth for subscriptions; these tables hold what the platform last read from it
-- (through verified webhooks or the reconciliation job) and what it derives: a tenant's plan tier and a
-- buyer's access to a listing. `stripe_events` records each event id applied in the same transaction as
-- its effects, so an event delivered twice changes nothing the second time.

-- One Stripe customer per tenant (platform account), created on the first checkout.
CREATE TABLE "billing_customers" (
    "tenant_id" UUID NOT NULL,
    "stripe_customer_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "billing_customers_pkey" PRIMARY KEY ("tenant_id")
);
CREATE UNIQUE INDEX "billing_customers_stripe_customer_id_key" ON "billing_customers"("stripe_customer_id");
ALTER TABLE "billing_customers" ADD CONSTRAINT "billing_customers_tenant_id_fkey"
  FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Event ids applied (the webhook's idempotency ledger). Bounded by a retention job (90 days).
CREATE TABLE "stripe_events" (
    "id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "stripe_created" TIMESTAMPTZ(3) NOT NULL,
    "outcome" TEXT NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "stripe_events_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "stripe_events_received_at_idx" ON "stripe_events"("received_at");

-- Connected (Express) accounts of sellers.
CREATE TABLE "marketplace_sellers" (
    "tenant_id" UUID NOT NULL,
    "stripe_account_id" TEXT NOT NULL,
    "charges_enabled" BOOLEAN NOT NULL DEFAULT false,
    "payouts_enabled" BOOLEAN NOT NULL DEFAULT false,
    "details_submitted" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "marketplace_sellers_pkey" PRIMARY KEY ("tenant_id")
);
CREATE UNIQUE INDEX "marketplace_sellers_stripe_account_id_key" ON "marketplace_sellers"("stripe_account_id");
ALTER TABLE "marketplace_sellers" ADD CONSTRAINT "marketplace_sellers_tenant_id_fkey"
  FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- A published strategy version. The module is pinned by version_id and its sha256; buyers never read it.
CREATE TABLE "marketplace_listings" (
    "id" UUID NOT NULL,
    "seller_tenant_id" UUID NOT NULL,
    "strategy_id" UUID NOT NULL,
    "version_id" UUID NOT NULL,
    "module_sha256" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "summary" TEXT NOT NULL DEFAULT '',
    "description_md" TEXT NOT NULL DEFAULT '',
    "description_html" TEXT NOT NULL DEFAULT '',
    "tags" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
    -- [{ venue, symbol }] the strategy is meant for; `markets` is the same as 'venue:SYMBOL' for filtering.
    "instruments" JSONB NOT NULL,
    "markets" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
    "intervals" TEXT[] NOT NULL,
    -- [{ name, min, max, default }]: the parameters a buyer may set; every other one is the seller's.
    "tunable_params" JSONB NOT NULL DEFAULT '[]',
    "default_params" JSONB NOT NULL DEFAULT '{}',
    -- 0 = free. Integer minor units of `currency`.
    "price_cents" INTEGER NOT NULL DEFAULT 0,
    "currency" TEXT NOT NULL DEFAULT 'usd',
    "billing_interval" TEXT,
    "trial_days" INTEGER NOT NULL DEFAULT 0,
    "stripe_product_id" TEXT,
    "stripe_price_id" TEXT,
    -- verifying | published | verification_failed | unlisted
    "status" TEXT NOT NULL DEFAULT 'verifying',
    "status_reason" TEXT,
    "verification_backtest_id" UUID,
    "verified_at" TIMESTAMPTZ(3),
    -- Denormalised from the verified backtest for search and sorting (fractions: 0.12 = +12 %).
    "stat_return" DOUBLE PRECISION,
    "stat_max_drawdown" DOUBLE PRECISION,
    "stat_sharpe" DOUBLE PRECISION,
    "subscribers" INTEGER NOT NULL DEFAULT 0,
    -- The seller's own live paper deployment whose equity is sampled from our ledger (forward record).
    "track_deployment_id" UUID,
    "track_since" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "marketplace_listings_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "marketplace_listings_price_check" CHECK ("price_cents" >= 0 AND ("price_cents" = 0) = ("billing_interval" IS NULL)),
    CONSTRAINT "marketplace_listings_interval_check" CHECK ("billing_interval" IS NULL OR "billing_interval" IN ('month', 'year')),
    CONSTRAINT "marketplace_listings_trial_check" CHECK ("trial_days" BETWEEN 0 AND 90),
    CONSTRAINT "marketplace_listings_status_check" CHECK ("status" IN ('verifying', 'published', 'verification_failed', 'unlisted'))
);
ALTER TABLE "marketplace_listings" ADD CONSTRAINT "marketplace_listings_seller_tenant_id_fkey"
  FOREIGN KEY ("seller_tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "marketplace_listings" ADD CONSTRAINT "marketplace_listings_strategy_id_fkey"
  FOREIGN KEY ("strategy_id") REFERENCES "strategies"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "marketplace_listings" ADD CONSTRAINT "marketplace_listings_version_id_fkey"
  FOREIGN KEY ("version_id") REFERENCES "strategy_versions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "marketplace_listings" ADD CONSTRAINT "marketplace_listings_verification_backtest_id_fkey"
  FOREIGN KEY ("verification_backtest_id") REFERENCES "backtests"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "marketplace_listings" ADD CONSTRAINT "marketplace_listings_track_deployment_id_fkey"
  FOREIGN KEY ("track_deployment_id") REFERENCES "strategy_deployments"("id") ON DELETE SET NULL ON UPDATE CASCADE;
CREATE INDEX "marketplace_listings_seller_idx" ON "marketplace_listings"("seller_tenant_id");
-- Full-text search over title, summary, description and tags. array_to_string is only STABLE in general
-- (it formats any element type); on text[] it is immutable, which lets an expression index use it.
CREATE FUNCTION marketplace_search_doc(title TEXT, summary TEXT, description TEXT, tags TEXT[])
  RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT to_tsvector('simple'::regconfig, title || ' ' || summary || ' ' || description || ' ' || array_to_string(tags, ' ')) $$;
CREATE INDEX "marketplace_listings_search_idx" ON "marketplace_listings"
  USING GIN (marketplace_search_doc("title", "summary", "description_md", "tags"));
CREATE INDEX "marketplace_listings_markets_idx" ON "marketplace_listings" USING GIN ("markets");
CREATE INDEX "marketplace_listings_published_return_idx" ON "marketplace_listings"("stat_return" DESC NULLS LAST, "id") WHERE "status" = 'published';
CREATE INDEX "marketplace_listings_published_subscribers_idx" ON "marketplace_listings"("subscribers" DESC, "id") WHERE "status" = 'published';
CREATE INDEX "marketplace_listings_published_created_idx" ON "marketplace_listings"("created_at" DESC, "id") WHERE "status" = 'published';
CREATE UNIQUE INDEX "marketplace_listings_stripe_price_id_key" ON "marketplace_listings"("stripe_price_id");

-- Equity of a listing's forward paper record, sampled from the ledger (marked to market).
CREATE TABLE "marketplace_track_points" (
    "listing_id" UUID NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "equity" DECIMAL(38,18) NOT NULL,
    CONSTRAINT "marketplace_track_points_pkey" PRIMARY KEY ("listing_id", "at")
);
ALTER TABLE "marketplace_track_points" ADD CONSTRAINT "marketplace_track_points_listing_id_fkey"
  FOREIGN KEY ("listing_id") REFERENCES "marketplace_listings"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Every Stripe subscription the platform knows, plan or listing, as last read from Stripe, with the
-- access the state machine derived from it (`active`, `grace`, `none`, `ended`).
CREATE TABLE "billing_subscriptions" (
    "stripe_subscription_id" TEXT NOT NULL,
    "tenant_id" UUID NOT NULL,
    -- plan | listing
    "kind" TEXT NOT NULL,
    "plan_tier" "Tier",
    "listing_id" UUID,
    "stripe_customer_id" TEXT NOT NULL,
    "stripe_price_id" TEXT NOT NULL,
    "billing_interval" TEXT NOT NULL,
    "amount_cents" INTEGER NOT NULL,
    "currency" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "access" TEXT NOT NULL,
    "cancel_at_period_end" BOOLEAN NOT NULL DEFAULT false,
    "current_period_start" TIMESTAMPTZ(3),
    "current_period_end" TIMESTAMPTZ(3),
    "trial_end" TIMESTAMPTZ(3),
    "canceled_at" TIMESTAMPTZ(3),
    "ended_at" TIMESTAMPTZ(3),
    "application_fee_percent" DECIMAL(6,2),
    -- The event id, `reconcile` or `checkout-return` that wrote this state last.
    "updated_from" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "billing_subscriptions_pkey" PRIMARY KEY ("stripe_subscription_id"),
    CONSTRAINT "billing_subscriptions_kind_check" CHECK ("kind" IN ('plan', 'listing')),
    CONSTRAINT "billing_subscriptions_access_check" CHECK ("access" IN ('active', 'grace', 'none', 'ended')),
    CONSTRAINT "billing_subscriptions_target_check" CHECK (("kind" = 'plan') = ("plan_tier" IS NOT NULL) AND ("kind" = 'listing') = ("listing_id" IS NOT NULL))
);
ALTER TABLE "billing_subscriptions" ADD CONSTRAINT "billing_subscriptions_tenant_id_fkey"
  FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "billing_subscriptions" ADD CONSTRAINT "billing_subscriptions_listing_id_fkey"
  FOREIGN KEY ("listing_id") REFERENCES "marketplace_listings"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
CREATE INDEX "billing_subscriptions_tenant_kind_idx" ON "billing_subscriptions"("tenant_id", "kind");
CREATE INDEX "billing_subscriptions_listing_idx" ON "billing_subscriptions"("listing_id") WHERE "listing_id" IS NOT NULL;

-- A buyer tenant's access to a listing: from a paid subscription (derived from billing_subscriptions) or
-- a free listing (no subscription). `active` grants deploying; `ended` pauses its deployments.
CREATE TABLE "marketplace_entitlements" (
    "tenant_id" UUID NOT NULL,
    "listing_id" UUID NOT NULL,
    "stripe_subscription_id" TEXT,
    -- active | ended
    "status" TEXT NOT NULL,
    "access_until" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "marketplace_entitlements_pkey" PRIMARY KEY ("tenant_id", "listing_id"),
    CONSTRAINT "marketplace_entitlements_status_check" CHECK ("status" IN ('active', 'ended'))
);
ALTER TABLE "marketplace_entitlements" ADD CONSTRAINT "marketplace_entitlements_tenant_id_fkey"
  FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "marketplace_entitlements" ADD CONSTRAINT "marketplace_entitlements_listing_id_fkey"
  FOREIGN KEY ("listing_id") REFERENCES "marketplace_listings"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
CREATE INDEX "marketplace_entitlements_listing_idx" ON "marketplace_entitlements"("listing_id");

-- Reviews: one per subscriber tenant per listing.
CREATE TABLE "marketplace_reviews" (
    "listing_id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "rating" INTEGER NOT NULL,
    "body" TEXT NOT NULL DEFAULT '',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "marketplace_reviews_pkey" PRIMARY KEY ("listing_id", "tenant_id"),
    CONSTRAINT "marketplace_reviews_rating_check" CHECK ("rating" BETWEEN 1 AND 5)
);
ALTER TABLE "marketplace_reviews" ADD CONSTRAINT "marketplace_reviews_listing_id_fkey"
  FOREIGN KEY ("listing_id") REFERENCES "marketplace_listings"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "marketplace_reviews" ADD CONSTRAINT "marketplace_reviews_tenant_id_fkey"
  FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- A buyer's deployment of a listing runs the listing's pinned version of the seller's strategy.
ALTER TABLE "strategy_deployments" ADD COLUMN "listing_id" UUID;
ALTER TABLE "strategy_deployments" ADD CONSTRAINT "strategy_deployments_listing_id_fkey"
  FOREIGN KEY ("listing_id") REFERENCES "marketplace_listings"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
CREATE INDEX "strategy_deployments_listing_idx" ON "strategy_deployments"("listing_id") WHERE "listing_id" IS NOT NULL;

-- Verification backtests (run by the platform for a listing) are not the seller's own: not counted in the
-- tier's backtest caps, not in the seller's backtest list.
ALTER TABLE "backtests" ADD COLUMN "purpose" TEXT NOT NULL DEFAULT 'user';
ALTER TABLE "backtests" ADD CONSTRAINT "backtests_purpose_check" CHECK ("purpose" IN ('user', 'verification'));
