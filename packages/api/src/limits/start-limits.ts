import type { Db } from '@qt/db';
import type { Clock } from '@qt/shared';
import type { Redis } from 'ioredis';
import type { ApiLogger } from '../context.ts';
import { RequestLimiter } from './request-limiter.ts';
import { TenantLimitsCache } from './tenant-limits.ts';
import { UsageMeter } from './usage-meter.ts';

export interface RequestLimitsOptions {
  db: Db;
  redis?: Redis | undefined;
  keyPrefix: string;
  clock: Clock;
  logger: ApiLogger;
  /** False: no request budgets (usage is still metered). */
  enabled: boolean;
  fallbackFraction: number;
  usageFlushMs: number;
}

export interface RequestLimits {
  limiter: RequestLimiter | null;
  usage: UsageMeter;
  tenantLimits: TenantLimitsCache;
  /** Writes the usage counted so far; call after the API stopped taking calls, before the database closes. */
  stop(): Promise<void>;
}

/** The request limiter, the tenant limits cache and the usage meter, wired the way the engine runs them. */
export function startRequestLimits(opts: RequestLimitsOptions): RequestLimits {
  const now = () => opts.clock.now();
  const tenantLimits = new TenantLimitsCache({ db: opts.db, logger: opts.logger, now });
  const usage = new UsageMeter({
    db: opts.db,
    clock: opts.clock,
    logger: opts.logger,
    flushMs: opts.usageFlushMs,
  });
  usage.start();
  const limiter = opts.enabled
    ? new RequestLimiter({
        ...(opts.redis ? { redis: opts.redis } : {}),
        db: opts.db,
        keyPrefix: opts.keyPrefix,
        clock: opts.clock,
        logger: opts.logger,
        tenantLimits,
        usage,
        fallbackFraction: opts.fallbackFraction,
      })
    : null;
  return { limiter, usage, tenantLimits, stop: () => usage.stop() };
}
