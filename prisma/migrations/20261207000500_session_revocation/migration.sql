-- Sign-out revokes the person's engine session tokens: those issued at or before this instant are refused.
ALTER TABLE "users" ADD COLUMN "sessions_revoked_at" TIMESTAMPTZ(3);
