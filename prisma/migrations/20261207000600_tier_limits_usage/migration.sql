-- Tiers (issue 10): a contract's own limits per tenant, and metered usage per tenant per UTC day.
ALTER TABLE "tenants" ADD COLUMN "limit_overrides" JSONB;

CREATE TABLE "usage_daily" (
    "tenant_id" UUID NOT NULL,
    "day" DATE NOT NULL,
    "requests" BIGINT NOT NULL DEFAULT 0,
    "orders" BIGINT NOT NULL DEFAULT 0,
    "backtest_candles" BIGINT NOT NULL DEFAULT 0,
    "strategy_cpu_ms" BIGINT NOT NULL DEFAULT 0,
    "alerts_fired" BIGINT NOT NULL DEFAULT 0,
    "storage_rows" BIGINT NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "usage_daily_pkey" PRIMARY KEY ("tenant_id","day")
);

ALTER TABLE "usage_daily" ADD CONSTRAINT "usage_daily_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;
