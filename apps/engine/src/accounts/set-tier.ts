/**
 * Changes a tenant's plan (and, optionally, its contract limits) from the command line, the way billing
 * will: `setTenantTier` updates the row and bumps the credential generation in Redis, so every running
 * engine applies the new limits at its tenant's next call (within a second).
 *
 *   DATABASE_URL=... REDIS_URL=... npx tsx apps/engine/src/accounts/set-tier.ts <tenant id> <FREE|PRO|ENTERPRISE> [overrides JSON | null]
 *
 * Reads the same settings as the engine (environment, then quant-trader.yaml): DATABASE_URL,
 * REDIS_URL and REDIS_KEY_PREFIX must be the running engines' own. The embedded database lives inside
 * the engine process, so this needs DATABASE_URL (a distributed deployment).
 */
import { createCredentialCache, setTenantTier } from '@qt/api';
import { createPrisma } from '@qt/db';
import { tierLimitOverridesSchema, tierSchema } from '@qt/shared';
import { Redis } from 'ioredis';
import { loadConfig } from '../config/load-config.ts';

async function main(): Promise<void> {
  const [tenantId, tierArg, overridesArg] = process.argv.slice(2);
  const tier = tierSchema.safeParse(tierArg);
  if (!tenantId || !tier.success) {
    process.stderr.write('usage: set-tier.ts <tenant id> <FREE|PRO|ENTERPRISE> [overrides JSON | null]\n');
    process.exit(2);
  }
  const overrides =
    overridesArg === undefined
      ? undefined
      : overridesArg === 'null'
        ? null
        : tierLimitOverridesSchema.parse(JSON.parse(overridesArg));
  const config = loadConfig({ env: process.env, file: undefined });
  if (!config.databaseUrl) throw new Error('Set DATABASE_URL to the engines’ database.');
  const db = createPrisma(config.databaseUrl, { max: 1 });
  const redis = config.redisUrl
    ? new Redis(config.redisUrl, { maxRetriesPerRequest: 1, commandTimeout: config.redisCommandTimeoutMs })
    : undefined;
  // The change is stored even when it cannot be published; the engines then apply it only as their
  // caches expire, so the operator must know: a non-zero exit, and what to do.
  let unpublished: string | null = null;
  try {
    const credentialCache = createCredentialCache({
      ...(redis ? { redis } : {}),
      keyPrefix: config.redisKeyPrefix,
      onError: (err, what) => {
        unpublished = `could not ${what}: ${err instanceof Error ? err.message : String(err)}`;
      },
    });
    const limits = await setTenantTier({ db, credentialCache }, tenantId, tier.data, overrides);
    process.stdout.write(`${JSON.stringify(limits)}\n`);
    if (unpublished) {
      process.stderr.write(
        `set-tier: the plan is stored, but the running engines were not told (${unpublished}). ` +
          'Run the command again once Redis answers; until then engines apply it only after a restart.\n',
      );
      process.exitCode = 3;
    }
  } finally {
    await redis?.quit();
    await db.$disconnect();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`set-tier failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
