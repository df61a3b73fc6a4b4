import { ManualClock } from '@qt/shared';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maintainPartitions } from '../../src/timeseries/partitions.ts';
import { MarketDataQueries } from '../../src/timeseries/queries.ts';
import { detectStorageMode } from '../../src/timeseries/storage-mode.ts';
import { MarketDataWriter } from '../../src/timeseries/writer.ts';
import { DAY, DAY0, kline, timeSeriesDatabase, trade } from './fixtures.ts';
import { compressAll, type TimeRelation, timeRelations } from './storage-mode.ts';

// The plans of the statements MarketDataQueries really sends (recorded from its calls, then EXPLAINed
// with the same parameters), on whichever storage this server has: native partitions here, TimescaleDB
// hypertables with compressed chunks on a TimescaleDB server. What must hold on both:
//  * no Sort node: pages walk the primary key in order (LIMIT 100 of 300k trades must not sort 300k);
//  * every scan of a market table is an index scan (TimescaleDB: its custom nodes over index scans);
//  * a paging query's time bound is a plan-time constant: partitions/chunks outside it are not in the
//    plan at all (not even pruned at executor start), which is what lets TimescaleDB exclude chunks
//    and skip compressed batches by their min/max time before decompressing.

const env = await timeSeriesDatabase();
const mode = await detectStorageMode(env.pool);
const SERIES = { venue: 'binance', symbol: 'BTC-USDT' };
const DAYS = 5;
const TRADES_PER_DAY = 3_000;
const MIN = 60_000;

interface Recorded {
  text: string;
  values: unknown[];
}
let recorded: Recorded[] = [];
/** The pool as MarketDataQueries sees it, keeping every statement it sends. */
const recording = new Proxy(env.pool, {
  get(target, prop, receiver) {
    if (prop === 'query')
      // Both of pg's forms: (text, values) and a config object ({ text, values, query_timeout }).
      return (textOrConfig: string | pg.QueryConfig, values?: unknown[]) => {
        if (typeof textOrConfig === 'string') {
          recorded.push({ text: textOrConfig, values: values ?? [] });
          return target.query(textOrConfig, values);
        }
        recorded.push({ text: textOrConfig.text, values: textOrConfig.values ?? [] });
        return target.query(textOrConfig);
      };
    return Reflect.get(target, prop, receiver);
  },
}) as pg.Pool;
const queries = new MarketDataQueries(recording);

/** Runs one query method and returns its result with the plan of the one statement it sent. */
async function planOf<T>(call: () => Promise<T>): Promise<{ result: T; plan: PlanNode }> {
  recorded = [];
  const result = await call();
  expect(recorded).toHaveLength(1);
  const [{ text, values }] = recorded as [Recorded];
  const c = await env.pool.connect();
  try {
    // Small tables: ask whether the index CAN serve the query, as it must on a big one (with enough rows
    // the planner picks it by itself; the shape of the plan is what is asserted).
    await c.query('SET enable_seqscan = off');
    await c.query('SET enable_bitmapscan = off');
    const { rows } = await c.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
      `EXPLAIN (FORMAT JSON) ${text}`,
      values,
    );
    return { result, plan: (rows[0] as { 'QUERY PLAN': [{ Plan: PlanNode }] })['QUERY PLAN'][0].Plan };
  } finally {
    await c.query('RESET ALL');
    c.release();
  }
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Subplans Removed'?: number;
  Plans?: PlanNode[];
  [key: string]: unknown;
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

const scanTypes = new Set(['Seq Scan', 'Index Scan', 'Index Only Scan', 'Bitmap Heap Scan', 'Tid Scan']);

/**
 * The assertions shared by every paging query. `window` is the time range the query is bounded to
 * ([from, to) in ms, either side open): relations holding no time of it must not be in the plan.
 */
async function expectIndexedAndBounded(
  plan: PlanNode,
  table: 'market_trades' | 'market_klines',
  window: { fromMs?: number; toMs?: number },
): Promise<void> {
  const all = nodes(plan);
  const text = JSON.stringify(plan);
  expect(
    all.filter((n) => /Sort/.test(n['Node Type'])),
    text,
  ).toEqual([]);
  const scans = all.filter((n) => scanTypes.has(n['Node Type']));
  expect(scans.length, text).toBeGreaterThan(0);
  for (const s of scans) expect(s['Node Type'], text).toMatch(/^Index (Only )?Scan$/);
  // Pruned or excluded while planning, not at executor start (which needs a non-constant bound).
  expect(
    all.filter((n) => (n['Subplans Removed'] ?? 0) > 0),
    text,
  ).toEqual([]);
  expect(
    all.filter((n) => Number(n['Chunks excluded during startup'] ?? 0) > 0),
    text,
  ).toEqual([]);

  const relations = await timeRelations(env.pool, mode, table);
  const inPlan = new Set(all.map((n) => n['Relation Name']).filter((r) => r !== undefined));
  const outside = (r: TimeRelation) =>
    r.fromMs !== null &&
    r.toMs !== null &&
    ((window.toMs !== undefined && r.fromMs >= window.toMs) ||
      (window.fromMs !== undefined && r.toMs <= window.fromMs));
  expect(relations.filter(outside).length, 'the data spans relations outside the window').toBeGreaterThan(0);
  expect(
    relations.filter((r) => outside(r) && inPlan.has(r.name)).map((r) => r.name),
    text,
  ).toEqual([]);
}

beforeAll(async () => {
  // Native: partitions for every day of data (TimescaleDB makes chunks on insert; upkeep is a no-op there).
  await maintainPartitions(env.pool, { clock: new ManualClock(DAY0 + DAY), policy: { premakeDays: DAYS } });
  const writer = new MarketDataWriter(env.pool);
  for (let d = 0; d < DAYS; d++) {
    const day = Array.from({ length: TRADES_PER_DAY }, (_, i) =>
      trade(d * TRADES_PER_DAY + i, { exchangeTime: DAY0 + d * DAY + i * 20_000 + (i % 7) }),
    );
    await writer.writeTrades(day);
    await writer.writeTrades(day.map((t) => ({ ...t, symbol: 'ETH-USDT', venueSymbol: 'ETHUSDT' })));
  }
  // 1m candles over 20 days: three weekly partitions (or chunks).
  const candles = Array.from({ length: 20 * 24 * 60 }, (_, i) => kline(DAY0 + i * MIN, { close: `${i}` }));
  for (let i = 0; i < candles.length; i += 5_000) await writer.writeKlines(candles.slice(i, i + 5_000));
  await compressAll(env.pool, mode);
  await env.pool.query('ANALYZE market_trades');
  await env.pool.query('ANALYZE market_klines');
}, 120_000);
afterAll(async () => {
  await env.close();
});

describe(`paging queries use their indexes and plain time bounds (storage: ${mode})`, () => {
  it('recentTrades: the newest page, and a deep page before a cursor two days back', async () => {
    const first = await planOf(() => queries.recentTrades(SERIES.venue, SERIES.symbol, { limit: 100 }));
    expect(first.result.trades).toHaveLength(100);
    const all = nodes(first.plan);
    expect(
      all.filter((n) => /Sort/.test(n['Node Type'])),
      JSON.stringify(first.plan),
    ).toEqual([]);

    const cursorMs = DAY0 + 2 * DAY + 1_000_000;
    const deep = await planOf(() =>
      queries.recentTrades(SERIES.venue, SERIES.symbol, {
        limit: 100,
        before: { exchangeTime: cursorMs, tradeId: '' },
      }),
    );
    expect(deep.result.trades).toHaveLength(100);
    expect(deep.result.trades.every((t) => t.exchangeTime <= cursorMs)).toBe(true);
    expect(deep.result.trades[0]?.exchangeTime).toBeGreaterThan(cursorMs - 40_000);
    await expectIndexedAndBounded(deep.plan, 'market_trades', { toMs: cursorMs + 1 });
  });

  it('tradesAscending: a replay page after a cursor inside a five-day range', async () => {
    const after = { exchangeTime: DAY0 + 3 * DAY + 500_000, tradeId: '' };
    const { result, plan } = await planOf(() =>
      queries.tradesAscending({ ...SERIES, fromMs: DAY0, toMs: DAY0 + DAYS * DAY, after, limit: 500 }),
    );
    expect(result).toHaveLength(500);
    expect(result[0]?.exchangeTime).toBeGreaterThanOrEqual(after.exchangeTime);
    expect(result[0]?.exchangeTime).toBeLessThan(after.exchangeTime + 40_000);
    await expectIndexedAndBounded(plan, 'market_trades', { fromMs: after.exchangeTime });
  });

  it('candles: the newest page, and an older page with the before cursor', async () => {
    const base = { ...SERIES, interval: '1m' as const, limit: 500 };
    const first = await planOf(() => queries.candles(base));
    expect(first.result.candles).toHaveLength(500);
    const firstNodes = nodes(first.plan);
    expect(
      firstNodes.filter((n) => /Sort/.test(n['Node Type'])),
      JSON.stringify(first.plan),
    ).toEqual([]);

    const before = DAY0 + 3 * DAY;
    const deep = await planOf(() => queries.candles({ ...base, before }));
    expect(deep.result.candles.at(-1)?.openTime).toBe(before - MIN);
    await expectIndexedAndBounded(deep.plan, 'market_klines', { toMs: before });
  });

  it('closedCandlesAscending: a backtest page after a cursor two weeks into the range', async () => {
    const after = DAY0 + 15 * DAY;
    const { result, plan } = await planOf(() =>
      queries.closedCandlesAscending({
        ...SERIES,
        interval: '1m',
        fromMs: DAY0,
        toMs: DAY0 + 20 * DAY,
        after,
        limit: 1_000,
      }),
    );
    expect(result[0]?.openTime).toBe(after + MIN);
    expect(result).toHaveLength(1_000);
    await expectIndexedAndBounded(plan, 'market_klines', { fromMs: after + 1 });
  });
});
