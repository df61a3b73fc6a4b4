import { createTestDatabase, type TestDatabase } from '@qt/db/testing';
import { type ListingSummaryView, ManualClock, type SearchListingsInput } from '@qt/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMarketplace, type MarketplaceService } from '../src/index.ts';
import { searchQuery } from '../src/search.ts';
import {
  appCode,
  RecordingBilling,
  RecordingStrategies,
  type SeededTenant,
  seedTenant,
  silentLogger,
} from './support/fakes.ts';

const N = 2_000;
const WORDS = ['alpha', 'momentum', 'scalper', 'grid', 'breakout', 'carry', 'swing', 'revert'];
const MARKETS = ['binance:BTC-USDT', 'binance:ETH-USDT', 'okx:BTC-USDT', 'bybit:SOL-USDT'];

let db: TestDatabase;
let market: MarketplaceService;
let sellers: SeededTenant[];
let viewer: SeededTenant;

interface Ref {
  id: string;
  title: string;
  summary: string;
  tags: string[];
  markets: string[];
  status: string;
  statReturn: number | null;
  statMaxDrawdown: number | null;
  statSharpe: number | null;
  subscribers: number;
  priceCents: number;
  billingInterval: string | null;
  createdAt: Date;
}
let all: Ref[];

/**
 * Generated listings with many ties (coarse stats, repeated subscriber counts and timestamps) and some
 * nulls, so the id tie-break and the NULLS LAST paths of the cursor are exercised. Values come from a
 * hash of the row number: deterministic, no random seed to chase.
 */
async function generate(from: number, to: number): Promise<void> {
  const sellerIds = sellers.map((s) => s.scope.tenantId);
  const strategyIds = sellers.map((s) => s.strategyId);
  const versionIds = sellers.map((s) => s.versionIds[0] as string);
  await db.prisma.$executeRaw`
    INSERT INTO marketplace_listings (id, seller_tenant_id, strategy_id, version_id, module_sha256, title, summary,
      tags, instruments, markets, intervals, price_cents, billing_interval, status, verified_at, stat_return,
      stat_max_drawdown, stat_sharpe, subscribers, created_at, updated_at)
    SELECT gen_random_uuid(), (${sellerIds}::uuid[])[1 + g % 3], (${strategyIds}::uuid[])[1 + g % 3],
           (${versionIds}::uuid[])[1 + g % 3], md5(g::text),
           initcap((${WORDS}::text[])[1 + g % 8]) || ' ' || (${WORDS}::text[])[1 + (g / 8) % 8] || ' ' || g,
           'strategy number ' || g,
           ARRAY[(${WORDS}::text[])[1 + (g / 3) % 8]],
           '[{"venue":"binance","symbol":"BTC-USDT"}]'::jsonb,
           ARRAY[(${MARKETS}::text[])[1 + g % 4], (${MARKETS}::text[])[1 + (g / 4) % 4]],
           ARRAY['1h'],
           CASE g % 3 WHEN 0 THEN 0 ELSE 100 * (1 + (g * 7) % 50) END,
           CASE g % 3 WHEN 0 THEN NULL WHEN 1 THEN 'month' ELSE 'year' END,
           CASE WHEN g % 17 = 0 THEN 'unlisted' WHEN g % 19 = 0 THEN 'verifying'
                WHEN g % 23 = 0 THEN 'verification_failed' ELSE 'published' END,
           now(),
           CASE WHEN g % 29 = 0 THEN NULL ELSE round(((g * 37) % 200 - 60) / 100.0, 2) END,
           CASE WHEN g % 31 = 0 THEN NULL ELSE round(((g * 13) % 60) / 100.0, 2) END,
           CASE WHEN g % 11 = 0 THEN NULL ELSE round(((g * 53) % 50 - 10) / 10.0, 1) END,
           (g * 7) % 40,
           timestamptz '2026-01-01' + ((g % 500) * interval '1 hour'),
           now()
      FROM generate_series(${from}::int, ${to}::int) g`;
  await db.prisma.$executeRawUnsafe('ANALYZE marketplace_listings');
}

async function loadAll(): Promise<Ref[]> {
  return db.prisma.marketplaceListing.findMany({
    select: {
      id: true,
      title: true,
      summary: true,
      tags: true,
      markets: true,
      status: true,
      statReturn: true,
      statMaxDrawdown: true,
      statSharpe: true,
      subscribers: true,
      priceCents: true,
      billingInterval: true,
      createdAt: true,
    },
  });
}

const monthly = (r: Ref) => (r.billingInterval === 'year' ? r.priceCents / 12 : r.priceCents);
const KEYS: Record<string, { key: (r: Ref) => number | null; desc: boolean }> = {
  return: { key: (r) => r.statReturn, desc: true },
  drawdown: { key: (r) => r.statMaxDrawdown, desc: false },
  sharpe: { key: (r) => r.statSharpe, desc: true },
  subscribers: { key: (r) => r.subscribers, desc: true },
  newest: { key: (r) => r.createdAt.getTime(), desc: true },
  price: { key: monthly, desc: false },
};

/** The expected order, computed independently of the SQL. */
function expected(input: SearchListingsInput, filter: (r: Ref) => boolean): string[] {
  const { key, desc } = KEYS[input.sort ?? 'return'] as (typeof KEYS)[string];
  return all
    .filter((r) => r.status === 'published' && filter(r))
    .sort((a, b) => {
      const ka = key(a);
      const kb = key(b);
      if (ka !== kb) {
        if (ka === null) return 1;
        if (kb === null) return -1;
        return desc ? kb - ka : ka - kb;
      }
      return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
    })
    .map((r) => r.id);
}

async function pageThrough(
  input: SearchListingsInput,
): Promise<{ ids: string[]; pages: number; items: ListingSummaryView[] }> {
  const ids: string[] = [];
  const items: ListingSummaryView[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await market.search(viewer.scope, { ...input, ...(cursor ? { cursor } : {}) });
    pages++;
    for (const it of page.items) {
      ids.push(it.id);
      items.push(it);
    }
    cursor = page.next ?? undefined;
    if (pages > 500) throw new Error('cursor loops');
  } while (cursor);
  return { ids, pages, items };
}

beforeAll(async () => {
  db = await createTestDatabase();
  const clock = new ManualClock(Date.parse('2026-12-01T00:00:00Z'));
  market = createMarketplace({
    db: db.prisma,
    clock,
    logger: silentLogger,
    billing: new RecordingBilling(),
    strategies: new RecordingStrategies(db.prisma),
  });
  sellers = [
    await seedTenant(db.prisma, 'Seller A'),
    await seedTenant(db.prisma, 'Seller B'),
    await seedTenant(db.prisma, 'Seller C'),
  ];
  viewer = await seedTenant(db.prisma, 'Viewer');
  await generate(1, N);
  all = await loadAll();
});

afterAll(async () => {
  await db?.drop();
});

describe(`search over ${N} generated listings`, () => {
  it('pages through every sort with the cursor: the same rows and order as computed in JS, published only', async () => {
    for (const sort of ['return', 'drawdown', 'sharpe', 'subscribers', 'newest', 'price'] as const) {
      const input: SearchListingsInput = { sort, limit: 50 };
      const { ids, pages } = await pageThrough(input);
      const want = expected(input, () => true);
      expect(ids, sort).toEqual(want);
      expect(new Set(ids).size).toBe(ids.length);
      expect(pages).toBe(Math.ceil(want.length / 50));
    }
    expect(expected({ sort: 'return', limit: 1 }, () => true).length).toBeLessThan(N); // some are hidden
  });

  it('filters: market, tag, return, drawdown, Sharpe, monthly-equivalent price, subscribers, text', async () => {
    const cases: [SearchListingsInput, (r: Ref) => boolean][] = [
      [{ market: 'okx:BTC-USDT', sort: 'return', limit: 50 }, (r) => r.markets.includes('okx:BTC-USDT')],
      [{ tag: 'grid', sort: 'newest', limit: 50 }, (r) => r.tags.includes('grid')],
      [{ minReturn: 0.5, sort: 'sharpe', limit: 50 }, (r) => r.statReturn !== null && r.statReturn >= 0.5],
      [
        { maxDrawdown: 0.1, sort: 'drawdown', limit: 50 },
        (r) => r.statMaxDrawdown !== null && r.statMaxDrawdown <= 0.1,
      ],
      [{ minSharpe: 3, sort: 'return', limit: 50 }, (r) => r.statSharpe !== null && r.statSharpe >= 3],
      [{ maxPriceCents: 0, sort: 'subscribers', limit: 50 }, (r) => r.priceCents === 0],
      [{ maxPriceCents: 250, sort: 'price', limit: 50 }, (r) => monthly(r) <= 250],
      [{ minSubscribers: 35, sort: 'subscribers', limit: 50 }, (r) => r.subscribers >= 35],
      [
        { q: 'Momentum', sort: 'return', limit: 50 },
        (r) => `${r.title} ${r.summary} ${r.tags.join(' ')}`.toLowerCase().split(/\s+/).includes('momentum'),
      ],
      [
        { q: 'momentum scalper', market: 'binance:BTC-USDT', maxPriceCents: 1_000, sort: 'price', limit: 50 },
        (r) => {
          const words = `${r.title} ${r.summary} ${r.tags.join(' ')}`.toLowerCase().split(/\s+/);
          return (
            words.includes('momentum') &&
            words.includes('scalper') &&
            r.markets.includes('binance:BTC-USDT') &&
            monthly(r) <= 1_000
          );
        },
      ],
    ];
    for (const [input, filter] of cases) {
      const want = expected(input, filter);
      expect(want.length, JSON.stringify(input)).toBeGreaterThan(0);
      expect((await pageThrough(input)).ids, JSON.stringify(input)).toEqual(want);
    }
  });

  it('summaries carry the seller name and the rating; prices are a yearly /12 for the cap', async () => {
    const [first] = (await market.search(viewer.scope, { sort: 'return', limit: 1 })).items;
    expect(first).toBeDefined();
    const id = first?.id as string;
    const row = await db.prisma.marketplaceListing.findUniqueOrThrow({
      where: { id },
      select: { sellerTenantId: true },
    });
    expect(first?.sellerName).toBe(
      sellers.find((s) => s.scope.tenantId === row.sellerTenantId)?.scope.tenantName,
    );
    await db.prisma.marketplaceReview.createMany({
      data: [
        { listingId: id, tenantId: viewer.scope.tenantId, userId: viewer.userId, rating: 4 },
        {
          listingId: id,
          tenantId: sellers[1]?.scope.tenantId as string,
          userId: sellers[1]?.userId as string,
          rating: 5,
        },
      ],
    });
    const [again] = (await market.search(viewer.scope, { sort: 'return', limit: 1 })).items;
    expect(again?.rating).toEqual({ average: 4.5, count: 2 });
  });

  it('garbage cursors and hostile text are clear errors or empty results, never SQL', async () => {
    expect(await appCode(market.search(viewer.scope, { sort: 'return', limit: 5, cursor: 'garbage!' }))).toBe(
      'INVALID_CURSOR',
    );
    const other = (await market.search(viewer.scope, { sort: 'price', limit: 5 })).next as string;
    expect(await appCode(market.search(viewer.scope, { sort: 'return', limit: 5, cursor: other }))).toBe(
      'INVALID_CURSOR',
    );
    for (const q of ["'; DROP TABLE marketplace_listings; --", '"unclosed', '-', 'or or', '!!!&&|', '\\']) {
      const r = await market.search(viewer.scope, { q, sort: 'return', limit: 5 });
      expect(Array.isArray(r.items), q).toBe(true);
    }
    expect(await db.prisma.marketplaceListing.count()).toBe(N);
    const bad = await market.search(viewer.scope, {
      market: "x']::text[] OR true --",
      sort: 'return',
      limit: 5,
    });
    expect(bad.items).toEqual([]);
  });
});

describe('search cost bounds (H1)', () => {
  it('matches every word in any order (AND of terms, no phrase semantics), from the stored document', async () => {
    // "scalper momentum" in reverse order and with quotes: websearch_to_tsquery would make it a phrase.
    const { ids } = await pageThrough({ q: '"scalper momentum"', sort: 'return', limit: 50 });
    const words = (r: Ref) => `${r.title} ${r.summary} ${r.tags.join(' ')}`.toLowerCase().split(/\s+/);
    const want = expected({ sort: 'return', limit: 50 }, (r) => {
      const w = words(r);
      return w.includes('momentum') && w.includes('scalper');
    });
    expect(want.length).toBeGreaterThan(0);
    expect(ids).toEqual(want);
    const [row] = await db.prisma.$queryRaw<{ generated: string }[]>`
      SELECT is_generated AS generated FROM information_schema.columns
       WHERE table_name = 'marketplace_listings' AND column_name = 'search_doc'`;
    expect(row?.generated).toBe('ALWAYS');
  });

  it('a search that cannot finish within its statement timeout answers a retryable SERVICE_UNAVAILABLE', async () => {
    // A lock held elsewhere makes the search wait: statement_timeout covers the wait, so the search gives
    // up after the timeout instead of holding its connection until the lock goes.
    const quick = createMarketplace({
      db: db.prisma,
      clock: new ManualClock(0),
      logger: silentLogger,
      billing: new RecordingBilling(),
      strategies: new RecordingStrategies(db.prisma),
      searchTimeoutMs: 200,
    });
    const { withClient } = await import('@qt/db/testing');
    await withClient(db.url, async (c) => {
      await c.query('BEGIN');
      await c.query('LOCK TABLE marketplace_listings IN ACCESS EXCLUSIVE MODE');
      try {
        const t0 = performance.now();
        const err = await quick.search(viewer.scope, { q: 'momentum', sort: 'return', limit: 20 }).then(
          () => null,
          (e: unknown) => e,
        );
        const took = performance.now() - t0;
        expect(err).toMatchObject({ code: 'SERVICE_UNAVAILABLE', details: { retryable: true } });
        expect(took).toBeLessThan(3_000);
      } finally {
        await c.query('ROLLBACK');
      }
    });
    // And the pool is fine afterwards.
    expect((await quick.search(viewer.scope, { sort: 'return', limit: 1 })).items).toHaveLength(1);
  });
});

describe('at 10,000 listings', () => {
  beforeAll(async () => {
    await generate(N + 1, 10_000);
    all = await loadAll();
  });

  async function plan(input: SearchListingsInput): Promise<string> {
    const { sql } = searchQuery(input);
    const rows = await db.prisma.$queryRaw<{ 'QUERY PLAN': string }[]>`EXPLAIN ${sql}`;
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  }

  it('uses the partial indexes for sorted pages and the GIN indexes for text and market', async () => {
    expect(await plan({ sort: 'return', limit: 20 })).toContain('marketplace_listings_published_return_idx');
    expect(await plan({ sort: 'subscribers', limit: 20 })).toContain(
      'marketplace_listings_published_subscribers_idx',
    );
    expect(await plan({ sort: 'newest', limit: 20 })).toContain('marketplace_listings_published_created_idx');
    // A selective text (one listing's number) goes through the GIN index; a common word may rightly walk
    // the sort index instead and filter.
    expect(await plan({ q: '4321', sort: 'return', limit: 20 })).toContain(
      'marketplace_listings_search_doc_idx',
    );
    // Several selective filters: some index of the listings, never a scan of the whole table.
    const combined = await plan({ market: 'bybit:SOL-USDT', minSubscribers: 39, sort: 'return', limit: 20 });
    expect(combined).toMatch(/Index Scan on marketplace_listings_\w+_idx/);
    expect(combined).not.toMatch(/Seq Scan on marketplace_listings/);
  });

  it('p99 latency of typical searches (first and later pages)', async () => {
    const inputs: SearchListingsInput[] = [
      { sort: 'return', limit: 20 },
      { sort: 'newest', limit: 20 },
      { sort: 'subscribers', limit: 20 },
      { sort: 'price', limit: 20, maxPriceCents: 2_000 },
      { sort: 'sharpe', limit: 20, minReturn: 0.1 },
      { q: 'momentum', sort: 'return', limit: 20 },
      { market: 'okx:BTC-USDT', sort: 'drawdown', limit: 20 },
    ];
    const cursors = await Promise.all(inputs.map(async (i) => (await market.search(viewer.scope, i)).next));
    const times: number[] = [];
    for (let round = 0; round < 30; round++) {
      for (const [k, input] of inputs.entries()) {
        const page = round % 2 === 1 && cursors[k] ? { ...input, cursor: cursors[k] as string } : input;
        const t0 = performance.now();
        await market.search(viewer.scope, page);
        times.push(performance.now() - t0);
      }
    }
    times.sort((a, b) => a - b);
    const p50 = times[Math.floor(times.length * 0.5)] as number;
    const p99 = times[Math.floor(times.length * 0.99)] as number;
    console.log(
      `marketplace search at 10,000 listings: ${times.length} queries, p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`,
    );
    expect(p99).toBeLessThan(250);
  });

  it('still pages correctly at 10,000 (return sort, newest sort)', async () => {
    for (const sort of ['return', 'newest'] as const) {
      const input: SearchListingsInput = { sort, limit: 50 };
      expect((await pageThrough(input)).ids).toEqual(expected(input, () => true));
    }
  });
});
