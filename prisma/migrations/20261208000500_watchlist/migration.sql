-- 24-hour context (issue 14): a person's watchlist per tenant, and the markets tenants added to the
-- engine's live feeds at run time (loaded at start beside MARKET_SYMBOLS).
CREATE TABLE "watchlist_entries" (
    "tenant_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "venue" TEXT NOT NULL,
    "symbol" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "watchlist_entries_pkey" PRIMARY KEY ("tenant_id", "user_id", "venue", "symbol"),
    CONSTRAINT "watchlist_entries_position_check" CHECK ("position" >= 0)
);

-- `watchlist.list`: one person's entries in screen order.
CREATE INDEX "watchlist_entries_owner_position_idx" ON "watchlist_entries"("tenant_id", "user_id", "position");

ALTER TABLE "watchlist_entries" ADD CONSTRAINT "watchlist_entries_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "watchlist_entries" ADD CONSTRAINT "watchlist_entries_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "followed_markets" (
    "tenant_id" UUID NOT NULL,
    "venue" TEXT NOT NULL,
    "symbol" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "followed_markets_pkey" PRIMARY KEY ("tenant_id", "venue", "symbol")
);

-- The engine's start: every distinct followed market.
CREATE INDEX "followed_markets_market_idx" ON "followed_markets"("venue", "symbol");

ALTER TABLE "followed_markets" ADD CONSTRAINT "followed_markets_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;
