-- The browser strategy editor (issue 15): the AssemblyScript source a version was compiled from, when the
-- platform compiled it (editor saves, examples). Uploaded modules have none. A table of its own so the
-- version rows that every list and deployment reads stay lean; a version's source never changes.
CREATE TABLE "strategy_version_sources" (
    "version_id" UUID NOT NULL,
    "code" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "strategy_version_sources_pkey" PRIMARY KEY ("version_id"),
    -- The API's limit (256 KiB), kept by the database too.
    CONSTRAINT "strategy_version_sources_code_size" CHECK (octet_length("code") <= 262144)
);

ALTER TABLE "strategy_version_sources" ADD CONSTRAINT "strategy_version_sources_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "strategy_versions"("id") ON DELETE CASCADE ON UPDATE CASCADE;
