-- Alerts (issue 12): alert rules per tenant, their firings (keyed by the evaluator's deterministic id, so a
-- firing evaluated twice is stored once), one delivery row per (firing, channel) (the idempotency key;
-- pending rows are retried after a restart; claimed_by/claimed_until lease a row to one engine so two engines
-- never send it at once), and the evaluator's snapshot with the bus positions it covers.

-- CreateEnum
CREATE TYPE "AlertState" AS ENUM ('active', 'paused', 'expired', 'fired_out');

-- CreateEnum
CREATE TYPE "AlertDeliveryStatus" AS ENUM ('pending', 'sent', 'dead');

-- CreateTable
CREATE TABLE "alerts" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "rule" JSONB NOT NULL,
    "channels" JSONB NOT NULL DEFAULT '[]',
    "state" "AlertState" NOT NULL DEFAULT 'active',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "alerts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "alert_firings" (
    "id" TEXT NOT NULL,
    "alert_id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "payload" JSONB NOT NULL,
    "fired_at" TIMESTAMPTZ(3) NOT NULL,
    "read_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "alert_firings_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "alert_deliveries" (
    "firing_id" TEXT NOT NULL,
    "channel_id" TEXT NOT NULL,
    "tenant_id" UUID NOT NULL,
    "status" "AlertDeliveryStatus" NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,
    "reason" TEXT,
    "claimed_by" TEXT,
    "claimed_until" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "alert_deliveries_pkey" PRIMARY KEY ("firing_id","channel_id")
);

-- CreateTable
CREATE TABLE "alert_evaluator_snapshots" (
    "evaluator" TEXT NOT NULL,
    "state" JSONB NOT NULL,
    "positions" JSONB NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "alert_evaluator_snapshots_pkey" PRIMARY KEY ("evaluator")
);

-- CreateIndex
CREATE INDEX "alerts_tenant_id_state_idx" ON "alerts"("tenant_id", "state");

-- CreateIndex
CREATE INDEX "alerts_state_idx" ON "alerts"("state");

-- CreateIndex
CREATE INDEX "alert_firings_tenant_id_fired_at_idx" ON "alert_firings"("tenant_id", "fired_at");

-- CreateIndex
CREATE INDEX "alert_firings_alert_id_fired_at_idx" ON "alert_firings"("alert_id", "fired_at");

-- CreateIndex
CREATE INDEX "alert_deliveries_status_created_at_idx" ON "alert_deliveries"("status", "created_at");

-- AddForeignKey
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "alert_firings" ADD CONSTRAINT "alert_firings_alert_id_fkey" FOREIGN KEY ("alert_id") REFERENCES "alerts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "alert_deliveries" ADD CONSTRAINT "alert_deliveries_firing_id_fkey" FOREIGN KEY ("firing_id") REFERENCES "alert_firings"("id") ON DELETE CASCADE ON UPDATE CASCADE;
