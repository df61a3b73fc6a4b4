-- Market history backfills (issue 14): one row per job, fetched from a venue's REST candle history in
-- pages. `cursor` is the open time of the next minute to fetch, so a job interrupted by a crash resumes
-- where its last committed page ended. `created_by` is the tenant that asked, or 'system' (bootstrap, CLI).
CREATE TABLE "backfill_jobs" (
    "id" UUID NOT NULL,
    "venue" TEXT NOT NULL,
    "symbol" TEXT NOT NULL,
    "interval" TEXT NOT NULL,
    "from_time" TIMESTAMPTZ(3) NOT NULL,
    "to_time" TIMESTAMPTZ(3) NOT NULL,
    "cursor" TIMESTAMPTZ(3) NOT NULL,
    "status" TEXT NOT NULL,
    "progress_bp" INTEGER NOT NULL DEFAULT 0,
    "candles_written" BIGINT NOT NULL DEFAULT 0,
    "requests" INTEGER NOT NULL DEFAULT 0,
    "throttled" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "backfill_jobs_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "backfill_jobs_status_check" CHECK ("status" IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    CONSTRAINT "backfill_jobs_range_check" CHECK ("from_time" < "to_time" AND "cursor" >= "from_time" AND "cursor" <= "to_time"),
    CONSTRAINT "backfill_jobs_progress_check" CHECK ("progress_bp" BETWEEN 0 AND 10000)
);

-- The runner's queue: unfinished jobs per venue, oldest first.
CREATE INDEX "backfill_jobs_status_venue_idx" ON "backfill_jobs"("status", "venue", "created_at");
-- `history.jobs`: a tenant's jobs, newest first.
CREATE INDEX "backfill_jobs_created_by_idx" ON "backfill_jobs"("created_by", "created_at");
