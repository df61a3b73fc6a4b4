-- Crash probation with several engines (issue 9, review finding 3): a deployment records which engine
-- process holds it (`<INSTANCE_ID>/<boot id>`) instead of only whether one does, so an engine releases only
-- its own rows and a starting engine strikes only rows whose holder is gone. Rows held before this
-- migration get a holder no live engine has: if that engine died, the next start counts it as before.
ALTER TABLE "strategy_deployments" ADD COLUMN "held_by" TEXT;
UPDATE "strategy_deployments" SET "held_by" = 'pre-holder-engine' WHERE "engine_held";
ALTER TABLE "strategy_deployments" DROP COLUMN "engine_held";
