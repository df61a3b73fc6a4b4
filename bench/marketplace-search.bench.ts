/**
 * Marketplace search over 10,000 published listings: queries/s and p50/p99 per kind of query, against a
 * primary-key lookup of one listing through the same Prisma client (the cheapest read the database can
 * serve; the ratio is what the search's filtering, sorting, keyset paging and joins cost over it).
 *
 *   npx tsx bench/marketplace-search.bench.ts   (DATABASE_URL or embedded; BENCH_SECONDS, BENCH_ROUNDS)
 *
 * A `qt_bench_market_*` database is created, migrated and dropped at the end. Seeded in SQL (deterministic:
 * values come from hashes of the row number): 200 sellers, 10,000 published listings plus 1,000 that are
 * not (verifying, unlisted, failed: search must skip them) with varied markets (1-2 of 12), tags (1-3 of
 * 12), titles, summaries and a 2-20 kB description (280-2,800 words) from a 60-word vocabulary, prices (free, monthly,
 * yearly), stats with some nulls, skewed subscriber counts, a year of creation times, and ~30,000 reviews
 * (the rating join). `createMarketplace` gets small in-bench billing/strategies ports: search never calls
 * them (they throw if it did).
 *
 * Cases (fixed counts, not fixed time: BENCH_SECONDS x 400 queries per case, 4,000 by default, split over
 * BENCH_ROUNDS interleaved rounds, at a closed-loop concurrency of 8 against Prisma's default pool of 10):
 * - `mix`: the five kinds below in turn;
 * - `sort only`: no filter, each of the six sorts in turn (first page of 20);
 * - `text`: full-text queries (plain words; every word must match), sort by return;
 * - `phrase`: quoted multi-word queries over the long descriptions (an AND of the words, no phrase recheck);
 * - `market + minReturn`: one market and a minimum return;
 * - `maxDrawdown + sort sharpe`;
 * - `cursor pages 2-5`: cursors collected before measuring by walking five pages of the sorts and filters
 *   above (keyset paging: page 5 should cost what page 1 does);
 * - baseline `pk lookup`: every stored column of one listing by id (all but the generated `search_doc`,
 *   which the Prisma driver cannot decode) for random listings.
 * Latency: one `marketplace.search` call (the SQL, the rows' zod parsing and mapping to views), from the
 * same process; no HTTP or tRPC in front (the API bench measures that layer).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MarketplaceScope } from '@qt/api';
import type { MarketplaceBilling } from '@qt/billing';
import {
  createPrisma,
  type Db,
  migrate,
  type RunningPostgres,
  startEmbeddedPostgres,
  withClient,
  withDatabase,
} from '@qt/db';
import type { MarketplaceStrategies } from '@qt/marketplace';
import { createMarketplace } from '@qt/marketplace';
import { liveClock, type SearchListingsInput, searchListingsInput } from '@qt/shared';
import {
  type BenchResult,
  benchRounds,
  benchSeconds,
  type Compared,
  fmtRate,
  type LoadResult,
  latencyHistogram,
  report,
  round,
  table,
} from './lib/measure.ts';

const LISTINGS = 10_000;
const HIDDEN = 1_000;
const SELLERS = 200;
const BUYERS = 300;
const PER_CASE = Math.max(40, Math.round(benchSeconds(10) * 400));
const ROUNDS = benchRounds(2);
const CONCURRENCY = 8;
const log = (line: string) => process.stdout.write(`${line}\n`);

const MARKETS = ['binance', 'okx', 'bybit'].flatMap((v) =>
  ['BTC-USDT', 'ETH-USDT', 'SOL-USDT', 'XRP-USDT'].map((s) => `${v}:${s}`),
);
const TAGS = [
  'momentum',
  'trend',
  'mean-reversion',
  'grid',
  'scalping',
  'breakout',
  'arbitrage',
  'volatility',
  'swing',
  'dca',
  'market-making',
  'funding',
];
const WORDS = [
  'momentum',
  'trend',
  'following',
  'mean',
  'reversion',
  'grid',
  'scalper',
  'breakout',
  'volatility',
  'swing',
  'carry',
  'funding',
  'basis',
  'ema',
  'sma',
  'crossover',
  'rsi',
  'macd',
  'bollinger',
  'bands',
  'channel',
  'donchian',
  'atr',
  'stop',
  'trailing',
  'position',
  'sizing',
  'risk',
  'parity',
  'pairs',
  'spread',
  'orderflow',
  'imbalance',
  'vwap',
  'twap',
  'range',
  'bound',
  'intraday',
  'overnight',
  'hourly',
  'daily',
  'adaptive',
  'regime',
  'filter',
  'kalman',
  'signal',
  'entry',
  'exit',
  'bitcoin',
  'ether',
  'solana',
  'ripple',
  'altcoin',
  'leverage',
  'hedged',
  'neutral',
  'long',
  'short',
  'conservative',
  'aggressive',
];
const TEXT_QUERIES = [
  'momentum',
  'mean reversion',
  'bitcoin breakout',
  '"trend following"',
  'grid leverage',
  'ema crossover',
  'volatility regime',
  'kalman',
  'rsi bands bitcoin',
  'scalper intraday',
];
/** Quoted phrases: with plainto_tsquery they are an AND of their words (no phrase recheck). */
const PHRASE_QUERIES = [
  '"trend following"',
  '"mean reversion bitcoin"',
  '"ema crossover with trailing stop"',
  '"volatility regime filter"',
];
const SORTS = ['return', 'drawdown', 'sharpe', 'subscribers', 'newest', 'price'] as const;

async function seed(db: Db): Promise<void> {
  await db.$executeRaw`
    INSERT INTO tenants (id, name)
    SELECT gen_random_uuid(), 'Seller ' || g FROM generate_series(1, ${SELLERS}::int) g`;
  await db.$executeRaw`
    INSERT INTO tenants (id, name)
    SELECT gen_random_uuid(), 'Buyer ' || g FROM generate_series(1, ${BUYERS}::int) g`;
  await db.$executeRaw`
    INSERT INTO strategies (id, tenant_id, name)
    SELECT gen_random_uuid(), id, 'strategy of ' || name FROM tenants WHERE name LIKE 'Seller %'`;
  await db.$executeRaw`
    INSERT INTO strategy_versions (id, strategy_id, version, wasm, sha256, size_bytes, source, callbacks, memory_pages)
    SELECT gen_random_uuid(), id, 1, convert_to(id::text, 'UTF8'), md5(id::text) || md5(name), 36, 'upload', '{}', 1
      FROM strategies`;
  // h(g, k): a deterministic value in [0, 1) per row and purpose.
  await db.$executeRaw`
    WITH s AS (
      SELECT row_number() OVER (ORDER BY s.id) AS n, s.id AS strategy_id, s.tenant_id, v.id AS version_id, v.sha256
        FROM strategies s JOIN strategy_versions v ON v.strategy_id = s.id
    ), h AS (
      SELECT g, (abs(hashtext(g || ':' || k)) % 1000000) / 1000000.0 AS u, k
        FROM generate_series(1, ${LISTINGS + HIDDEN}::int) g, generate_series(1, 60) k
    ), u AS (
      SELECT g, array_agg(u ORDER BY k) AS r FROM h GROUP BY g
    ), rows AS (
      SELECT u.g, u.r, s.*,
             ARRAY(SELECT DISTINCT (${MARKETS}::text[])[1 + floor(u.r[k] * 12)::int]
                     FROM generate_series(1, 1 + floor(u.r[3] * 2)::int) k) AS markets,
             ARRAY(SELECT DISTINCT (${TAGS}::text[])[1 + floor(u.r[10 + k] * 12)::int]
                     FROM generate_series(1, 1 + floor(u.r[4] * 3)::int) k) AS tags
        FROM u JOIN s ON s.n = 1 + u.g % ${SELLERS}
    )
    INSERT INTO marketplace_listings (id, seller_tenant_id, strategy_id, version_id, module_sha256, title, summary,
      description_md, description_html, tags, instruments, markets, intervals, price_cents, billing_interval,
      status, verified_at, stat_return, stat_max_drawdown, stat_sharpe, subscribers, created_at, updated_at)
    SELECT gen_random_uuid(), tenant_id, strategy_id, version_id, sha256,
           initcap((${WORDS}::text[])[1 + floor(r[20] * 60)::int]) || ' ' || (${WORDS}::text[])[1 + floor(r[21] * 60)::int]
             || ' ' || (${WORDS}::text[])[1 + floor(r[22] * 60)::int] || ' #' || g,
           (SELECT string_agg((${WORDS}::text[])[1 + floor(r[22 + k] * 60)::int], ' ') FROM generate_series(1, 8) k),
           -- 2-20 kB of Markdown (about 280-2,800 words), so text search pays for long documents.
           (SELECT string_agg((${WORDS}::text[])[1 + abs(hashtext(g || ':' || k)) % 60], ' ')
              FROM generate_series(1, 280 + floor(r[34] * 2520)::int) k),
           '<p>generated</p>', tags,
           (SELECT jsonb_agg(jsonb_build_object('venue', split_part(m, ':', 1), 'symbol', split_part(m, ':', 2))) FROM unnest(markets) m),
           markets, ARRAY[(ARRAY['1m', '5m', '15m', '1h', '4h'])[1 + floor(r[5] * 5)::int]],
           CASE WHEN r[6] < 0.4 THEN 0 ELSE 500 + 100 * floor(r[7] * 96)::int END,
           CASE WHEN r[6] < 0.4 THEN NULL WHEN r[6] < 0.8 THEN 'month' ELSE 'year' END,
           CASE WHEN g <= ${LISTINGS} THEN 'published'
                ELSE (ARRAY['verifying', 'unlisted', 'verification_failed'])[1 + g % 3] END,
           now() - interval '1 day',
           CASE WHEN r[8] < 0.03 THEN NULL ELSE round((-0.5 + r[9] * 2.5)::numeric, 4)::float8 END,
           CASE WHEN r[8] < 0.03 THEN NULL ELSE round((0.02 + r[30] * 0.58)::numeric, 4)::float8 END,
           CASE WHEN r[8] < 0.05 THEN NULL ELSE round((-1 + r[31] * 5)::numeric, 3)::float8 END,
           floor(1000 * r[32] ^ 4)::int,
           now() - (r[33] * interval '365 days'), now()
      FROM rows`;
  await db.$executeRaw`
    WITH l AS (SELECT array_agg(id ORDER BY id) AS ids FROM marketplace_listings WHERE status = 'published'),
         b AS (SELECT array_agg(id ORDER BY id) AS ids FROM tenants WHERE name LIKE 'Buyer %')
    INSERT INTO marketplace_reviews (listing_id, tenant_id, user_id, rating, body)
    SELECT l.ids[1 + abs(hashtext(g || ':l')) % ${LISTINGS}], b.ids[1 + abs(hashtext(g || ':b')) % ${BUYERS}],
           gen_random_uuid(), 1 + abs(hashtext(g || ':r')) % 5, 'fine'
      FROM generate_series(1, 30000) g, l, b
    ON CONFLICT DO NOTHING`;
  await db.$executeRawUnsafe('ANALYZE');
}

const unused = (what: string) => () => {
  throw new Error(`search called ${what}: it should not`);
};
const billing: MarketplaceBilling = {
  feePercent: 20,
  ensureListingPrice: unused('billing.ensureListingPrice'),
  startListingCheckout: unused('billing.startListingCheckout'),
  cancelListingSubscription: unused('billing.cancelListingSubscription'),
  sellerOnboardingLink: unused('billing.sellerOnboardingLink'),
  sellerAccount: unused('billing.sellerAccount'),
  sellerFinance: unused('billing.sellerFinance'),
};
const strategies: MarketplaceStrategies = {
  resolveVersion: unused('strategies.resolveVersion'),
  unknownInstruments: unused('strategies.unknownInstruments'),
  startVerification: unused('strategies.startVerification'),
  verificationResult: unused('strategies.verificationResult'),
  storedCandles: unused('strategies.storedCandles'),
  deployListing: unused('strategies.deployListing'),
  deploymentEquity: unused('strategies.deploymentEquity'),
};
const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** `count` calls of `op(i)` from `concurrency` loops (closed loop), each call's latency in microseconds. */
async function fixedCount(
  op: (i: number) => Promise<unknown>,
  count: number,
  concurrency: number,
): Promise<LoadResult> {
  const histogram = latencyHistogram();
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < count; i = next++) {
        const t0 = performance.now();
        await op(i);
        histogram.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
      }
    }),
  );
  return { ops: count, seconds: (performance.now() - started) / 1000, histogram };
}

async function main(): Promise<void> {
  let embedded: RunningPostgres | undefined;
  let dataDir: string | undefined;
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    log('DATABASE_URL unset: an embedded PostgreSQL in a temp folder');
    dataDir = mkdtempSync(join(tmpdir(), 'qt-bench-market-'));
    if (process.getuid?.() === 0) chmodSync(dataDir, 0o755);
    embedded = await startEmbeddedPostgres({ dataDir, port: 54_900 + Math.floor(Math.random() * 90) });
    serverUrl = embedded.url;
  }
  const dbName = `qt_bench_market_${randomBytes(4).toString('hex')}`;
  await withClient(serverUrl, (c) => c.query(`CREATE DATABASE "${dbName}"`));
  const url = withDatabase(serverUrl, dbName);
  // The engine's client: one Prisma client, the default pool of 10.
  const db = createPrisma(url);
  try {
    await migrate(url);
    const seededAt = performance.now();
    await seed(db);
    const counts = await db.$queryRaw<{ status: string; n: number }[]>`
      SELECT status, count(*)::int AS n FROM marketplace_listings GROUP BY status ORDER BY status`;
    const reviews = await db.marketplaceReview.count();
    log(
      `seeded in ${((performance.now() - seededAt) / 1000).toFixed(1)} s: ` +
        `${counts.map((c) => `${c.n} ${c.status}`).join(', ')}; ${reviews} reviews`,
    );
    const published = counts.find((c) => c.status === 'published')?.n ?? 0;
    if (published !== LISTINGS) throw new Error(`expected ${LISTINGS} published listings, got ${published}`);

    const market = createMarketplace({ db, clock: liveClock, logger: silent, billing, strategies });
    const scope: MarketplaceScope = {
      tenantId: (await db.tenant.findFirstOrThrow({ where: { name: 'Buyer 1' } })).id,
      actor: 'user:bench',
      tier: 'FREE',
      tenantName: 'Buyer 1',
      userId: null,
    };
    const input = (raw: Record<string, unknown>): SearchListingsInput => searchListingsInput.parse(raw);
    const search = (i: SearchListingsInput) => market.search(scope, i);

    const sortOnly = SORTS.map((sort) => input({ sort }));
    const text = TEXT_QUERIES.map((q) => input({ q }));
    const phrase = PHRASE_QUERIES.map((q) => input({ q }));
    const marketReturn = MARKETS.flatMap((m) =>
      [0, 0.1, 0.25, 0.5].map((minReturn) => input({ market: m, minReturn })),
    );
    const drawdownSharpe = [0.1, 0.15, 0.2, 0.3, 0.45].map((maxDrawdown) =>
      input({ maxDrawdown, sort: 'sharpe' }),
    );

    // Cursors of pages 2-5, collected by walking each starting query (the data does not change after).
    const pages: SearchListingsInput[] = [];
    for (const start of [...sortOnly, ...text.slice(0, 4), ...marketReturn.slice(0, 6), ...drawdownSharpe]) {
      let cursor: string | null = null;
      for (let page = 1; page <= 5; page++) {
        const r = await search(cursor ? { ...start, cursor } : start);
        if (page > 1) pages.push({ ...start, cursor: cursor as string });
        cursor = r.next;
        if (!cursor) break;
      }
    }
    // Sanity, so a broken query cannot pass as a fast one.
    for (const i of sortOnly) {
      const r = await search(i);
      if (r.items.length !== 20 || !r.next) throw new Error(`sort ${i.sort}: ${r.items.length} items`);
    }
    const hits = await Promise.all(text.map(async (i) => (await search(i)).items.length));
    if (hits.some((n) => n === 0)) throw new Error(`a text query found nothing: ${hits.join(', ')}`);
    log(`text queries' first pages: ${hits.join(', ')} items; ${pages.length} cursor pages (2-5) collected`);
    const ids = (await db.marketplaceListing.findMany({ select: { id: true } })).map((r) => r.id);

    const kinds: { name: string; inputs: SearchListingsInput[] }[] = [
      { name: 'sort only (6 sorts)', inputs: sortOnly },
      { name: 'text', inputs: text },
      { name: 'phrase (2-20 kB descriptions)', inputs: phrase },
      { name: 'market + minReturn', inputs: marketReturn },
      { name: 'maxDrawdown + sort sharpe', inputs: drawdownSharpe },
      { name: 'cursor pages 2-5', inputs: pages },
    ];
    const pick = <T>(xs: readonly T[], i: number): T => xs[i % xs.length] as T;
    let rowsSeen = 0;
    const cases: { name: string; op: (i: number) => Promise<unknown> }[] = [
      {
        name: 'mix',
        op: async (i) => {
          const k = pick(kinds, i);
          rowsSeen += (await search(pick(k.inputs, Math.floor(i / kinds.length)))).items.length;
        },
      },
      ...kinds.map((k) => ({
        name: k.name,
        op: async (i: number) => {
          rowsSeen += (await search(pick(k.inputs, i))).items.length;
        },
      })),
      {
        name: 'pk lookup',
        op: async (i: number) => {
          const id = pick(ids, (i * 7919) % ids.length);
          const rows = await db.$queryRaw<
            { id: string }[]
          >`SELECT id, seller_tenant_id, strategy_id, version_id, module_sha256, title, summary, description_md,
                    description_html, tags, instruments, markets, intervals, tunable_params, default_params,
                    price_cents, currency, billing_interval, trial_days, stripe_product_id, stripe_price_id, status,
                    status_reason, verification_backtest_id, verified_at, stat_return, stat_max_drawdown,
                    stat_sharpe, subscribers, track_deployment_id, track_since, created_at, updated_at
               FROM marketplace_listings WHERE id = ${id}::uuid`;
          if (rows.length !== 1) throw new Error('listing not found by id');
        },
      },
    ];

    log(
      `marketplace search: ${PER_CASE} queries per case in ${ROUNDS} interleaved rounds, concurrency ${CONCURRENCY}`,
    );
    // Warm-up, unmeasured: plans cached, pool filled.
    for (const c of cases) await fixedCount(c.op, Math.min(200, PER_CASE), CONCURRENCY);
    const acc: Compared[] = cases.map((c) => ({
      name: `marketplace-search: ${c.name}`,
      ops: 0,
      seconds: 0,
      throughput: 0,
      histogram: latencyHistogram(),
      perRound: [],
    }));
    const perRound = Math.max(1, Math.round(PER_CASE / ROUNDS));
    for (let r = 0; r < ROUNDS; r++) {
      for (const [k, c] of cases.entries()) {
        const res = await fixedCount((i) => c.op(i + r * perRound), perRound, CONCURRENCY);
        const a = acc[k] as Compared;
        a.ops += res.ops;
        a.seconds += res.seconds;
        a.histogram.add(res.histogram);
        a.perRound.push(res.ops / res.seconds);
        log(
          `  round ${r + 1}/${ROUNDS} ${c.name}: ${fmtRate(res.ops / res.seconds)}/s over ${res.seconds.toFixed(1)} s`,
        );
      }
    }
    for (const a of acc) a.throughput = a.ops / a.seconds;
    const base = acc.at(-1) as Compared;
    const results: BenchResult[] = acc.map((a) => {
      const ratios = a.perRound.map((t, i) => t / (base.perRound[i] as number));
      return {
        bench: a.name,
        throughput: round(a.throughput),
        unit: 'queries/s',
        p50_us: a.histogram.getValueAtPercentile(50),
        p99_us: a.histogram.getValueAtPercentile(99),
        baseline: round(base.throughput),
        baseline_name: base.name,
        ratio: round(a.throughput / base.throughput, 3),
        ...(ratios.length > 1
          ? {
              ratio_range: [round(Math.min(...ratios), 3), round(Math.max(...ratios), 3)] as [number, number],
            }
          : {}),
      };
    });
    (results[0] as BenchResult).notes =
      `${LISTINGS} published listings (+${HIDDEN} hidden), pages of 20, concurrency ${CONCURRENCY}; ${rowsSeen} rows returned`;
    log(table(results));
    for (const r of results) report(r);
    await market.close();
  } finally {
    await db.$disconnect();
    await withClient(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`));
    await embedded?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
