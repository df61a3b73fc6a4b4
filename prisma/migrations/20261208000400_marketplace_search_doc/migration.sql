-- Marketplace search: a stored search document instead of an expression index (issue 11 review, H1).
-- With the expression index every matching row's document was recomputed from up to 20 kB of
-- Markdown to recheck the match (websearch_to_tsquery phrases force a recheck), which made a common
-- word over many listings cost seconds. The stored column is computed once per write; queries use
-- plainto_tsquery (an AND of terms, no phrase positions), answered from the GIN index.
DROP INDEX IF EXISTS "marketplace_listings_search_idx";
ALTER TABLE "marketplace_listings"
  ADD COLUMN "search_doc" tsvector
  GENERATED ALWAYS AS (marketplace_search_doc("title", "summary", "description_md", "tags")) STORED;
CREATE INDEX "marketplace_listings_search_doc_idx" ON "marketplace_listings" USING GIN ("search_doc");

-- Forward records survive re-attachment (M7): earlier attachments are kept as closed segments
-- [{ deploymentId, since, until, endedReason }] (newest last, at most 10; their samples stay in
-- marketplace_track_points, which are per listing and time-disjoint between segments), so a seller cannot
-- erase a bad record by attaching another deployment. track_end_reason says why the current one stopped.
ALTER TABLE "marketplace_listings" ADD COLUMN "track_history" JSONB NOT NULL DEFAULT '[]';
ALTER TABLE "marketplace_listings" ADD COLUMN "track_end_reason" TEXT;

-- When the pinned module was uploaded (H3): the verification backtest only uses candles after it, so its
-- numbers are out of sample (the seller cannot have fitted the module to them). Backfilled from the version.
ALTER TABLE "marketplace_listings" ADD COLUMN "module_uploaded_at" TIMESTAMPTZ(3);
UPDATE "marketplace_listings" l SET "module_uploaded_at" = v."created_at"
  FROM "strategy_versions" v WHERE v."id" = l."version_id";
