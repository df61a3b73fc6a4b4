import type { Db } from '@qt/db';
import { AppError, type Tier } from '@qt/shared';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { FollowService } from '../../src/market/follow/follow-service.ts';
import type { InstrumentCatalog } from '../../src/market/instruments/instrument-catalog.ts';

// market.follow when the tenant already holds the followed_markets row but this engine does not follow
// the market (another engine stored it, or this one skipped it at load): subscribed, not charged, no
// unique-key error. The database is an in-memory stand-in that keeps the one rule that matters here, the
// (tenant, venue, symbol) unique key; tickers-follow.int.test.ts runs the other paths on PostgreSQL.

interface Row {
  tenantId: string;
  venue: string;
  symbol: string;
}
type Key = { tenantId: string; venue: string; symbol: string };
interface TenantRow {
  tier: Tier;
  limitOverrides: unknown;
}

/** What FollowService and withinTierCap use of Prisma, over an array with the unique key enforced. */
function memoryDb(tenants: Record<string, TenantRow>, rows: Row[] = []) {
  const same = (r: Row, k: Key) => r.tenantId === k.tenantId && r.venue === k.venue && r.symbol === k.symbol;
  let beforeTransaction: (() => void) | null = null;
  const client = {
    followedMarket: {
      findUnique: async (a: { where: { tenantId_venue_symbol: Key } }) =>
        rows.find((r) => same(r, a.where.tenantId_venue_symbol)) ?? null,
      count: async (a: { where: { tenantId: string; NOT?: { venue: string; symbol: string } } }) =>
        rows.filter(
          (r) =>
            r.tenantId === a.where.tenantId &&
            !(a.where.NOT && r.venue === a.where.NOT.venue && r.symbol === a.where.NOT.symbol),
        ).length,
      create: async (a: { data: Row }) => {
        if (rows.some((r) => same(r, a.data)))
          throw new Error('Unique constraint failed on the fields: (`tenant_id`,`venue`,`symbol`)');
        rows.push({ ...a.data });
        return a.data;
      },
      createMany: async (a: { data: Row[]; skipDuplicates?: boolean }) => {
        let count = 0;
        for (const d of a.data) {
          if (rows.some((r) => same(r, d))) {
            if (a.skipDuplicates) continue;
            throw new Error('Unique constraint failed on the fields: (`tenant_id`,`venue`,`symbol`)');
          }
          rows.push({ ...d });
          count++;
        }
        return { count };
      },
      groupBy: async () => [],
    },
    tenant: {
      findUniqueOrThrow: async (a: { where: { id: string } }) => {
        const t = tenants[a.where.id];
        if (!t) throw new Error(`no tenant ${a.where.id}`);
        return t;
      },
    },
    $executeRaw: async () => 0,
    $transaction: async <T>(fn: (tx: unknown) => Promise<T>) => {
      beforeTransaction?.();
      beforeTransaction = null;
      return fn(client);
    },
  };
  return {
    db: client as unknown as Db,
    rows,
    /** Runs `fn` once, just before the next transaction (another engine committing meanwhile). */
    beforeNextTransaction(fn: () => void) {
      beforeTransaction = fn;
    },
  };
}

const catalog = {
  get: (venue: string, symbol: string) => ({ venue, symbol, status: 'trading' }),
} as unknown as InstrumentCatalog;

function service(db: Db) {
  const applied: string[] = [];
  const follow = new FollowService({
    db,
    catalog,
    venues: ['binance'],
    configured: ['BTC-USDT'],
    maxExtra: 10,
    logger: pino({ level: 'silent' }),
    apply: async (venue, symbol) => {
      applied.push(`${venue}:${symbol}`);
    },
  });
  return { follow, applied };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return err instanceof AppError ? err.code : `not an AppError: ${String(err)}`;
  }
  return 'resolved';
}

describe('FollowService.follow when the tenant already holds the row', () => {
  it('subscribes it without charging the cap or inserting (even at a cap of 0)', async () => {
    // A FREE tenant (0 extra markets) holding a row stored when it was PRO, on another engine.
    const m = memoryDb({ t1: { tier: 'FREE', limitOverrides: null } }, [
      { tenantId: 't1', venue: 'binance', symbol: 'ETH-USDT' },
    ]);
    const { follow, applied } = service(m.db);
    expect(await follow.follow('t1', { venue: 'binance', symbol: 'ETH-USDT' })).toEqual({
      venue: 'binance',
      symbol: 'ETH-USDT',
      added: true,
    });
    expect(applied).toEqual(['binance:ETH-USDT']);
    expect(follow.isFollowed('binance', 'ETH-USDT')).toBe(true);
    expect(m.rows).toHaveLength(1);
    // A market it does not hold is charged as before: refused at 0.
    expect(await codeOf(follow.follow('t1', { venue: 'binance', symbol: 'SOL-USDT' }))).toBe(
      'TIER_LIMIT_REACHED',
    );
    expect(applied).toEqual(['binance:ETH-USDT']);
  });

  it('counts the held row against a new market, not against itself', async () => {
    const m = memoryDb({ t1: { tier: 'PRO', limitOverrides: { followedMarkets: 1 } } }, [
      { tenantId: 't1', venue: 'binance', symbol: 'ETH-USDT' },
    ]);
    const { follow, applied } = service(m.db);
    expect(await codeOf(follow.follow('t1', { venue: 'binance', symbol: 'SOL-USDT' }))).toBe(
      'TIER_LIMIT_REACHED',
    );
    expect((await follow.follow('t1', { venue: 'binance', symbol: 'ETH-USDT' })).added).toBe(true);
    expect(applied).toEqual(['binance:ETH-USDT']);
    expect(m.rows.map((r) => r.symbol)).toEqual(['ETH-USDT']);
  });

  it('takes a row stored by another engine between its read and the cap lock as the same follow', async () => {
    const m = memoryDb({ t1: { tier: 'PRO', limitOverrides: { followedMarkets: 1 } } });
    m.beforeNextTransaction(() => m.rows.push({ tenantId: 't1', venue: 'binance', symbol: 'ETH-USDT' }));
    const { follow, applied } = service(m.db);
    expect((await follow.follow('t1', { venue: 'binance', symbol: 'ETH-USDT' })).added).toBe(true);
    expect(applied).toEqual(['binance:ETH-USDT']);
    expect(m.rows).toHaveLength(1);
  });

  it('stores and charges a new row; a market already followed stores nothing', async () => {
    const m = memoryDb({
      t1: { tier: 'PRO', limitOverrides: null },
      t2: { tier: 'PRO', limitOverrides: null },
    });
    const { follow, applied } = service(m.db);
    expect((await follow.follow('t1', { venue: 'binance', symbol: 'ETH-USDT' })).added).toBe(true);
    expect(await follow.follow('t2', { venue: 'binance', symbol: 'ETH-USDT' })).toEqual({
      venue: 'binance',
      symbol: 'ETH-USDT',
      added: false,
    });
    expect(applied).toEqual(['binance:ETH-USDT']);
    expect(m.rows).toEqual([{ tenantId: 't1', venue: 'binance', symbol: 'ETH-USDT' }]);
  });
});
