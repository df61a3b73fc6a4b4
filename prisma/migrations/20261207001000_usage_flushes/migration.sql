-- Usage flushes already counted (issue 10): a flush whose answer was lost is retried under the same id
-- and skipped if it had committed, so usage is never counted twice.
CREATE TABLE "usage_flushes" (
    "id" TEXT NOT NULL,
    "flushed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "usage_flushes_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "usage_flushes_flushed_at_idx" ON "usage_flushes"("flushed_at");

-- Storage rows are sampled by the usage meter's loop (bounded per run), not when usage is read.
ALTER TABLE "usage_daily" ADD COLUMN "storage_sampled_at" TIMESTAMPTZ(3);
