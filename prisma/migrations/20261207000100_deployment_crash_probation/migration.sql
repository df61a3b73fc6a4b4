-- Crash probation for strategy deployments (issue 9): a deployment that was running when the engine died
-- abnormally twice in a row is not restored again. Existing rows start unheld with no strikes, so nothing
-- deployed today is held against an engine death that happened before this migration.
ALTER TABLE "strategy_deployments" ADD COLUMN "engine_held" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "strategy_deployments" ADD COLUMN "crash_strikes" INTEGER NOT NULL DEFAULT 0;
