import {
  AppError,
  limitsFor,
  NEXT_TIER,
  type TenantLimits,
  type UsageDay,
  type UsageHistory,
  type UsageToday,
} from '@qt/shared';
import type { Principal } from '../auth/principal.ts';
import type { ApiDeps } from '../context.ts';
import { parseOverrides } from './tenant-limits.ts';
import { type UsageCounts, utcDay } from './usage-meter.ts';

const DAY_MS = 86_400_000;
/** A refusal this recent shows as a warning (the dashboard's banner). */
const RECENT_LIMIT_MS = 10 * 60_000;

interface StoredRow {
  day: string;
  requests: bigint;
  orders: bigint;
  strategy_cpu_ms: bigint;
  alerts_fired: bigint;
  storage_rows: bigint;
}

async function tenantLimits(deps: ApiDeps, principal: Principal): Promise<TenantLimits> {
  const limiter = deps.requestLimiter;
  if (limiter) return limiter.limitsOf(principal);
  const row = await deps.db.tenant.findUnique({
    where: { id: principal.tenant.id },
    select: { limitOverrides: true },
  });
  return limitsFor(principal.tenant.tier, parseOverrides(row?.limitOverrides ?? null));
}

/** Backtests started, and candles replayed by those that finished, per day. */
async function backtestsByDay(deps: ApiDeps, tenantId: string, fromDay: string) {
  const rows = await deps.db.$queryRaw<{ day: string; started: bigint; candles: bigint }[]>`
    SELECT d::text AS day, sum(started)::bigint AS started, sum(candles)::bigint AS candles FROM (
      SELECT (created_at AT TIME ZONE 'UTC')::date AS d, 1 AS started, 0 AS candles
        FROM backtests WHERE tenant_id = ${tenantId}::uuid AND created_at >= ${fromDay}::date
      UNION ALL
      SELECT (finished_at AT TIME ZONE 'UTC')::date, 0, coalesce((metrics->>'candles')::bigint, 0)
        FROM backtests WHERE tenant_id = ${tenantId}::uuid AND finished_at >= ${fromDay}::date
    ) x GROUP BY d`;
  return new Map(rows.map((r) => [r.day, { started: Number(r.started), candles: Number(r.candles) }]));
}

function dayOf(
  day: string,
  stored: StoredRow | undefined,
  unflushed: UsageCounts | null,
  bt: { started: number; candles: number } | undefined,
): UsageDay {
  return {
    day,
    requests: Number(stored?.requests ?? 0n) + (unflushed?.requests ?? 0),
    orders: Number(stored?.orders ?? 0n) + (unflushed?.orders ?? 0),
    backtestCandles: bt?.candles ?? 0,
    backtests: bt?.started ?? 0,
    strategyCpuMs: Math.round(Number(stored?.strategy_cpu_ms ?? 0n) + (unflushed?.strategyCpuMs ?? 0)),
    alertsFired: Number(stored?.alerts_fired ?? 0n) + (unflushed?.alertsFired ?? 0),
    storageRows: Number(stored?.storage_rows ?? 0n),
  };
}

async function storedDays(deps: ApiDeps, tenantId: string, fromDay: string): Promise<Map<string, StoredRow>> {
  const rows = await deps.db.$queryRaw<StoredRow[]>`
    SELECT day::text AS day, requests, orders, strategy_cpu_ms, alerts_fired, storage_rows
    FROM usage_daily WHERE tenant_id = ${tenantId}::uuid AND day >= ${fromDay}::date`;
  return new Map(rows.map((r) => [r.day, r]));
}

/** Today's usage against the tenant's limits, with warnings for limits near or hit. */
export async function usageToday(deps: ApiDeps, principal: Principal): Promise<UsageToday> {
  const tenantId = principal.tenant.id;
  const now = deps.clock.now();
  const day = utcDay(now);
  // Read-only: stored rows plus this instance's unflushed counts. Storage rows are the usage meter's
  // latest sample (its loop counts them for tenants active today, every 10 minutes at most).
  const [limits, stored, bt] = await Promise.all([
    tenantLimits(deps, principal),
    storedDays(deps, tenantId, day),
    backtestsByDay(deps, tenantId, day),
  ]);
  const today = dayOf(day, stored.get(day), deps.usage?.unflushed(tenantId, day) ?? null, bt.get(day));
  const perDay = (b: { limit: number; windowSeconds: number }) =>
    Math.floor((b.limit * DAY_MS) / (b.windowSeconds * 1000));
  const dailyCeilings = { requests: perDay(limits.perTenant), orders: perDay(limits.orders) };
  const warnings: UsageToday['warnings'] = [];
  const warn = (what: 'requests' | 'orders' | 'backtests', used: number, limit: number) => {
    if (limit > 0 && used / limit >= 0.8) warnings.push({ what, used, limit, fraction: used / limit });
  };
  const refused = deps.requestLimiter?.lastLimited(tenantId, RECENT_LIMIT_MS);
  if (refused) {
    const what = refused.scope === 'orders' ? 'orders' : 'requests';
    warnings.push({ what, used: refused.limit, limit: refused.limit, fraction: 1 });
  } else {
    warn('requests', today.requests, dailyCeilings.requests);
    warn('orders', today.orders, dailyCeilings.orders);
  }
  warn('backtests', today.backtests, limits.backtestsPerDay);
  const { tier: _tier, ...limitView } = limits;
  return {
    tier: limits.tier,
    nextTier: NEXT_TIER[limits.tier],
    limits: limitView,
    dailyCeilings,
    today,
    warnings,
  };
}

/** The last `days` UTC days, oldest first, today included (days without usage are zeros). */
export async function usageHistory(deps: ApiDeps, principal: Principal, days: number): Promise<UsageHistory> {
  if (!Number.isInteger(days) || days < 1 || days > 90) {
    throw new AppError('VALUE_OUT_OF_RANGE', 'days must be a whole number from 1 to 90.', {
      min: 1,
      max: 90,
    });
  }
  const tenantId = principal.tenant.id;
  const now = deps.clock.now();
  const today = utcDay(now);
  const fromDay = utcDay(now - (days - 1) * DAY_MS);
  const [stored, bt] = await Promise.all([
    storedDays(deps, tenantId, fromDay),
    backtestsByDay(deps, tenantId, fromDay),
  ]);
  const out: UsageDay[] = [];
  for (let i = days - 1; i >= 0; i--) {
    const day = utcDay(now - i * DAY_MS);
    out.push(
      dayOf(
        day,
        stored.get(day),
        day === today ? (deps.usage?.unflushed(tenantId, day) ?? null) : null,
        bt.get(day),
      ),
    );
  }
  return { days: out };
}
