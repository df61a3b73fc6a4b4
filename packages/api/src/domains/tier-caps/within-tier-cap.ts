import type { Db, Prisma } from '@qt/db';
import { AppError, type ErrorCode, limitsFor, type Tier, type TierCapKind } from '@qt/shared';
import { parseOverrides } from '../../limits/tenant-limits.ts';

/** The one code per cap a caller sees (deployments and backtests keep the strategies' code). */
const CODE: Record<TierCapKind, ErrorCode> = {
  deployments: 'STRATEGY_LIMIT_REACHED',
  backtests: 'STRATEGY_LIMIT_REACHED',
  apiKeys: 'TIER_LIMIT_REACHED',
  paperAccounts: 'TIER_LIMIT_REACHED',
  activeAlerts: 'TIER_LIMIT_REACHED',
  followedMarkets: 'TIER_LIMIT_REACHED',
};

const WHAT: Record<TierCapKind, string> = {
  deployments: 'runs at most %d strategies at once. Stop or pause one first.',
  backtests: 'queues at most %d backtests at once. Wait for one to finish.',
  apiKeys: 'allows at most %d API keys. Revoke one first.',
  paperAccounts: 'allows at most %d paper accounts.',
  activeAlerts: 'allows at most %d active alerts. Pause or delete one first.',
  followedMarkets: 'follows at most %d extra markets.',
};

/**
 * Callers of one (tenant, cap) on this engine wait here before they take a database connection: without
 * it, forty concurrent creates would hold forty pooled connections in transactions blocked on the same
 * advisory lock, and the lock holder could starve for a connection of its own. Bounded: past
 * MAX_WAITING a caller is refused at once (RATE_LIMITED) instead of queueing for ever.
 */
const MAX_WAITING = 64;
/** A transaction here counts and inserts a row; far longer means the database is in trouble. */
const TX_TIMEOUT_MS = 15_000;
const TX_MAX_WAIT_MS = 10_000;

interface Lane {
  tail: Promise<unknown>;
  waiting: number;
}
const lanes = new WeakMap<Db, Map<string, Lane>>();

export interface TierCapCheck<T> {
  tenantId: string;
  kind: TierCapKind;
  /** How many the tenant holds now, read inside the locked transaction. */
  count(tx: Prisma.TransactionClient): Promise<number>;
  /**
   * What the call starts, inside the same transaction (its row is visible to the next count). Every
   * write goes through `tx`: a write on another pooled connection while this transaction holds one can
   * stall the pool (ten tenants at once each holding one connection and waiting for a second).
   */
  create(tx: Prisma.TransactionClient, cap: { tier: Tier; limit: number }): Promise<T>;
  /**
   * After the commit, still first in this engine's line for (tenant, kind): changes in memory that must
   * follow the stored row (never precede it: a rolled-back transaction would leave memory ahead of the
   * database) and that the next caller in line must already see. No database connection is held here.
   */
  committed?(value: T): Promise<void> | void;
}

/**
 * Count and create under one lock, so N concurrent calls can never all pass the check before any is
 * recorded: a transaction-scoped advisory lock keyed on (cap kind, tenant) serialises them across
 * engines (released at commit or rollback); the tier and the tenant's contract overrides are read inside it. Refusals are typed, with
 * `details: { tier, limit, kind }`.
 */
export async function withinTierCap<T>(db: Db, check: TierCapCheck<T>): Promise<T> {
  let byKey = lanes.get(db);
  if (!byKey) {
    byKey = new Map();
    lanes.set(db, byKey);
  }
  const key = `${check.kind}:${check.tenantId}`;
  const lane = byKey.get(key) ?? { tail: Promise.resolve(), waiting: 0 };
  if (lane.waiting >= MAX_WAITING) {
    throw new AppError('RATE_LIMITED', 'Too many of these calls at once. Try again in a moment.', {
      kind: check.kind,
    });
  }
  lane.waiting++;
  byKey.set(key, lane);
  const run = lane.tail.then(async () => {
    const value = await locked(db, check);
    await check.committed?.(value);
    return value;
  });
  const settled = run.catch(() => undefined);
  lane.tail = settled;
  try {
    return await run;
  } finally {
    lane.waiting--;
    if (lane.waiting === 0 && lane.tail === settled) byKey.delete(key);
  }
}

async function locked<T>(db: Db, check: TierCapCheck<T>): Promise<T> {
  return db.$transaction(
    async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`qt-cap:${check.kind}`}::text), hashtext(${check.tenantId}::text))`;
      // The tier and the contract overrides (an Enterprise contract's own numbers), read under the lock:
      // the cap is the one the usage page shows.
      const tenant = await tx.tenant.findUniqueOrThrow({
        where: { id: check.tenantId },
        select: { tier: true, limitOverrides: true },
      });
      const limit = limitsFor(tenant.tier, parseOverrides(tenant.limitOverrides))[check.kind];
      const held = await check.count(tx);
      if (held >= limit) throw tierCapReached(check.kind, tenant.tier, limit);
      return check.create(tx, { tier: tenant.tier, limit });
    },
    { timeout: TX_TIMEOUT_MS, maxWait: TX_MAX_WAIT_MS },
  );
}

/** The refusal of one cap, also for checks made outside `withinTierCap` (e.g. resume). */
export function tierCapReached(kind: TierCapKind, tier: Tier, limit: number): AppError {
  return new AppError(CODE[kind], `The ${tier} plan ${WHAT[kind].replace('%d', String(limit))}`, {
    tier,
    limit,
    kind,
  });
}
