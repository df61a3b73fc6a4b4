import type { Db } from '@qt/db';
import {
  AppError,
  limitsFor,
  type TenantLimits,
  type Tier,
  type TierLimitOverrides,
  tierLimitOverridesSchema,
} from '@qt/shared';
import type { CredentialCache } from '../auth/credential-cache.ts';
import type { ApiLogger } from '../context.ts';

/**
 * A tenant's limits: its tier's row of the tier table with its contract overrides
 * (`tenants.limit_overrides`) laid over it. The tier comes with every call's principal (re-read when the
 * credential cache's generation moves, i.e. at once on every engine after `setTenantTier`); the overrides
 * are cached here for `ttlMs` (default 1 s), served stale while a refresh runs, so a change reaches every
 * engine within about a second without a query on every request.
 */
interface Entry {
  overrides: TierLimitOverrides | null;
  at: number;
  /** The merged limits per tier, built once (the tier comes with each call, the overrides from here). */
  byTier: Partial<Record<Tier, TenantLimits>>;
}

function merged(e: Entry, tier: Tier): TenantLimits {
  let limits = e.byTier[tier];
  if (!limits) {
    limits = limitsFor(tier, e.overrides);
    e.byTier[tier] = limits;
  }
  return limits;
}

export class TenantLimitsCache {
  readonly #db: Db;
  readonly #logger: ApiLogger;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();
  readonly #loading = new Map<string, Promise<Entry>>();
  readonly #maxEntries: number;

  constructor(opts: { db: Db; logger: ApiLogger; now: () => number; ttlMs?: number; maxEntries?: number }) {
    this.#db = opts.db;
    this.#logger = opts.logger;
    this.#now = opts.now;
    this.#ttlMs = opts.ttlMs ?? 1_000;
    this.#maxEntries = opts.maxEntries ?? 50_000;
  }

  async limits(tenantId: string, tier: Tier): Promise<TenantLimits> {
    const e = this.#entries.get(tenantId);
    const now = this.#now();
    if (e && now - e.at <= this.#ttlMs) return merged(e, tier);
    // Stale (or absent): refresh once; a stale entry younger than 10 ttl is served meanwhile.
    const load = this.#load(tenantId);
    if (e && now - e.at <= this.#ttlMs * 10) {
      load.catch(() => undefined);
      return merged(e, tier);
    }
    return merged(await load, tier);
  }

  /** Forgets a tenant's cached overrides (this engine; others within `ttlMs`). */
  forget(tenantId: string): void {
    this.#entries.delete(tenantId);
  }

  #load(tenantId: string): Promise<Entry> {
    const running = this.#loading.get(tenantId);
    if (running) return running;
    const p = this.#db.tenant
      .findUnique({ where: { id: tenantId }, select: { limitOverrides: true } })
      .then((row) => {
        const overrides = parseOverrides(row?.limitOverrides ?? null, (issue) =>
          this.#logger.error({ tenantId, issue }, 'tenant limit overrides do not parse; the tier applies'),
        );
        const entry: Entry = { overrides, at: this.#now(), byTier: {} };
        this.#entries.delete(tenantId);
        this.#entries.set(tenantId, entry);
        while (this.#entries.size > this.#maxEntries) {
          const oldest = this.#entries.keys().next().value;
          if (oldest === undefined) break;
          this.#entries.delete(oldest);
        }
        return entry;
      })
      .finally(() => this.#loading.delete(tenantId));
    this.#loading.set(tenantId, p);
    return p;
  }
}

export function parseOverrides(raw: unknown, onBad?: (issue: string) => void): TierLimitOverrides | null {
  if (raw === null || raw === undefined) return null;
  const parsed = tierLimitOverridesSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  onBad?.(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return null;
}

export interface TierChangeDeps {
  db: Db;
  credentialCache?: CredentialCache;
  /** This engine's limits cache, forgotten at once (other engines' within their ttl). */
  tenantLimits?: TenantLimitsCache;
  /** Or the limiter that holds it (the API's deps can be passed as they are). */
  requestLimiter?: { readonly tenantLimits: TenantLimitsCache };
}

/**
 * Changes a tenant's tier (by an operator now, by billing later) and, optionally, its contract overrides
 * (`undefined`: leave them; `null`: remove them). Takes effect on every engine within a second: the
 * credential cache's generation is bumped (through Redis for other engines), so the next call of any of
 * the tenant's credentials re-reads the tenant with its new tier.
 */
export async function setTenantTier(
  deps: TierChangeDeps,
  tenantId: string,
  tier: Tier,
  overrides?: TierLimitOverrides | null,
): Promise<TenantLimits> {
  const checked = overrides ? tierLimitOverridesSchema.parse(overrides) : overrides;
  const json = checked ? JSON.stringify(checked) : null;
  // Plain SQL: one statement for both columns, and SQL NULL for "no overrides" without Prisma's sentinel.
  const rows =
    checked === undefined
      ? await deps.db.$queryRaw<{ tier: Tier; limit_overrides: unknown }[]>`
          UPDATE tenants SET tier = ${tier}::"Tier" WHERE id = ${tenantId}::uuid
          RETURNING tier::text AS tier, limit_overrides`
      : await deps.db.$queryRaw<{ tier: Tier; limit_overrides: unknown }[]>`
          UPDATE tenants SET tier = ${tier}::"Tier", limit_overrides = ${json}::jsonb WHERE id = ${tenantId}::uuid
          RETURNING tier::text AS tier, limit_overrides`;
  const updated = rows[0];
  if (!updated) throw new AppError('NOT_FOUND', 'Tenant not found.');
  (deps.tenantLimits ?? deps.requestLimiter?.tenantLimits)?.forget(tenantId);
  // Named by tenant: live connections of other tenants need no re-check, and the engines' tenant caches
  // (risk tiers, strategy tiers) refresh only this tenant.
  await deps.credentialCache?.invalidate({ tenantId });
  return limitsFor(updated.tier, parseOverrides(updated.limit_overrides));
}
