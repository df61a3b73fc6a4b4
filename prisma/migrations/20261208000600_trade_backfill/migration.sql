-- Trade backfills (issue 14): a backfill job fetches either 1m candles (as before) or trades, from the
-- venue's REST trade history by time. `kind` says which; existing rows are candle jobs. `cursor` keeps
-- its meaning (everything before it is stored) for both. `candles_written` counts the rows the job
-- stored, of either kind (the API shows it as rowsWritten too).
ALTER TABLE "backfill_jobs" ADD COLUMN "kind" TEXT NOT NULL DEFAULT 'candles';
ALTER TABLE "backfill_jobs" ADD CONSTRAINT "backfill_jobs_kind_check" CHECK ("kind" IN ('candles', 'trades'));
-- Set when the venue could not serve the whole range (Bybit serves only its newest trades): the time
-- from which the job's range is complete.
ALTER TABLE "backfill_jobs" ADD COLUMN "complete_from" TIMESTAMPTZ(3);
