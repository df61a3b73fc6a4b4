import type { CredentialCache, CredentialChange } from '@qt/api';

/**
 * Follows the credential cache's change feed for tenant changes (a tier change by an operator or by
 * billing publishes `{ tenantId }` through Redis, see `setTenantTier`) and tells the caches outside the
 * API that hold a tenant's tier: the risk engine's tenants and the strategies' tiers. Without this a
 * downgrade would keep the old plan's risk and sandbox limits on every engine until it restarts.
 *
 * The feed is polled (one Redis GET per `pollMs`, default 250 ms, so a change applies within a second).
 * A change that names a key or a person (revocations, sign-outs) does not change a tier and is ignored;
 * a change for everyone, or changes that cannot be read (trimmed, another engine's format), refresh
 * every tenant. While Redis cannot be read nothing is published either, so nothing is missed: the first
 * read after it is back sees the moved generation.
 */
export interface TenantChangeFeedOptions {
  cache: CredentialCache;
  /** `tenantIds`: the tenants whose plan may have changed; null: any tenant's may have. */
  onTenants(tenantIds: string[] | null): Promise<unknown>;
  pollMs?: number;
  onError?(err: unknown): void;
}

export interface TenantChangeFeed {
  /** One poll (tests); the timer runs the same. */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

/** Whether a change may have changed a tenant's plan: a tenant change, or a change for everyone. */
function tenantsOf(changes: readonly CredentialChange[]): string[] | null {
  const ids = new Set<string>();
  for (const c of changes) {
    if (c.apiKeyId !== undefined || c.userId !== undefined) continue;
    if (c.tenantId === undefined) return null;
    ids.add(c.tenantId);
  }
  return [...ids];
}

export function startTenantChangeFeed(opts: TenantChangeFeedOptions): TenantChangeFeed {
  let seen: string | null = null;
  let running: Promise<void> | null = null;
  const check = async () => {
    try {
      const generation = await opts.cache.generation();
      if (generation === null || generation === seen) return;
      const from = seen;
      // The first generation read is the baseline: the caches were filled from the rows after it.
      if (from === null) {
        seen = generation;
        return;
      }
      const changes = await opts.cache.changesBetween(from, generation);
      const tenants = changes === null ? null : tenantsOf(changes);
      if (tenants === null || tenants.length > 0) await opts.onTenants(tenants);
      // Advanced only once the caches are refreshed: a failed refresh is tried again on the next poll.
      seen = generation;
    } catch (err) {
      opts.onError?.(err);
    }
  };
  const tick = () => {
    running ??= check().finally(() => {
      running = null;
    });
    return running;
  };
  void tick();
  const timer = setInterval(() => void tick(), opts.pollMs ?? 250);
  timer.unref();
  return {
    tick,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
