import { Prisma } from '@qt/db';
import {
  AppError,
  type ListingSummaryView,
  type MarketplaceScope,
  type SearchListingsInput,
} from '@qt/shared';
import { decodeCursor, encodeCursor, type ListingSort, type SearchCursor } from './cursor.ts';
import type { MarketplaceDeps } from './deps.ts';
import { type ListingRow, summarySelect, toSummary } from './listing-row.ts';

/**
 * The price per year in cents (a monthly price times 12): the same order as the monthly equivalent, but
 * an exact integer, so sorting, the cursor and the price filter never round money. Expression-indexed.
 */
const ANNUAL_PRICE = Prisma.sql`(CASE WHEN l.billing_interval = 'month' THEN l.price_cents * 12 ELSE l.price_cents END)`;

interface SortSpec {
  /** The sort key's SQL (a column or an expression of `l`). */
  key: Prisma.Sql;
  desc: boolean;
  nullable: boolean;
  /** The key of a result row, as the cursor stores it. */
  value(row: ListingRow): number | null;
}

/**
 * Each sort matches a partial `WHERE status = 'published'` index (return, Sharpe, drawdown, subscribers,
 * created_at with the id; the price per year as an expression); the id breaks ties ascending.
 */
const SORTS: Record<ListingSort, SortSpec> = {
  return: { key: Prisma.sql`l.stat_return`, desc: true, nullable: true, value: (r) => r.stat_return },
  drawdown: {
    key: Prisma.sql`l.stat_max_drawdown`,
    desc: false,
    nullable: true,
    value: (r) => r.stat_max_drawdown,
  },
  sharpe: { key: Prisma.sql`l.stat_sharpe`, desc: true, nullable: true, value: (r) => r.stat_sharpe },
  subscribers: { key: Prisma.sql`l.subscribers`, desc: true, nullable: false, value: (r) => r.subscribers },
  newest: {
    key: Prisma.sql`l.created_at`,
    desc: true,
    nullable: false,
    value: (r) => r.created_at.getTime(),
  },
  price: {
    key: ANNUAL_PRICE,
    desc: false,
    nullable: false,
    value: (r) => (r.billing_interval === 'month' ? r.price_cents * 12 : r.price_cents),
  },
};

/**
 * Published listings only (unlisted, verifying and failed ones never appear), filtered and sorted, one
 * page at a time by keyset (the last row's sort key and id), so page N costs what page 1 does. Every
 * input is a bound parameter; only fixed SQL fragments chosen by the sort name are spliced in.
 */
export async function search(
  deps: MarketplaceDeps,
  _scope: MarketplaceScope,
  input: SearchListingsInput,
): Promise<{ items: ListingSummaryView[]; next: string | null }> {
  const { sql, sortName, limit } = searchQuery(input);
  const rows = await boundedQuery(deps, sql);
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  const next =
    rows.length > limit && last
      ? encodeCursor({ s: sortName, v: SORTS[sortName].value(last), id: last.id })
      : null;
  return { items: page.map(toSummary), next };
}

/**
 * Runs the search with a statement timeout local to its transaction: a search that would take longer
 * (a pathological query, a locked table) is cut off and answered with a retryable SERVICE_UNAVAILABLE,
 * instead of holding a pooled connection and the caller for as long as it takes.
 */
async function boundedQuery(deps: MarketplaceDeps, sql: Prisma.Sql): Promise<ListingRow[]> {
  // An integer of milliseconds (validated in createMarketplace), so splicing it is safe.
  const timeout = `SET LOCAL statement_timeout = '${Math.trunc(deps.searchTimeoutMs)}ms'`;
  try {
    return await deps.db.$transaction(async (tx) => {
      await tx.$executeRawUnsafe(timeout);
      return tx.$queryRaw<ListingRow[]>(sql);
    });
  } catch (err) {
    if (isStatementTimeout(err))
      throw new AppError(
        'SERVICE_UNAVAILABLE',
        'The marketplace search took too long; try again in a moment or narrow the search.',
        { retryable: true, retryAfterMs: 1_000 },
      );
    throw err;
  }
}

/** PostgreSQL's query_canceled (57014), however the driver adapter wraps it. */
function isStatementTimeout(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const o = e as { code?: unknown; message?: unknown; meta?: { code?: unknown }; cause?: unknown };
    if (o.code === '57014' || o.meta?.code === '57014') return true;
    if (typeof o.message === 'string' && o.message.includes('statement timeout')) return true;
    e = o.cause;
  }
  return false;
}

/** The statement a search runs (one row more than the page, to know whether there is a next one). */
export function searchQuery(input: SearchListingsInput): {
  sql: Prisma.Sql;
  sortName: ListingSort;
  limit: number;
} {
  const sortName: ListingSort = input.sort ?? 'return';
  const sort = SORTS[sortName];
  const limit = Math.min(Math.max(input.limit ?? 20, 1), 50);
  const where: Prisma.Sql[] = [Prisma.sql`l.status = 'published'`];
  const q = input.q?.trim();
  if (q)
    where.push(
      // The stored, GIN-indexed document; plainto_tsquery is an AND of the words (no phrase operators:
      // a phrase would make PostgreSQL recheck every candidate's positions).
      Prisma.sql`l.search_doc @@ plainto_tsquery('simple', ${q})`,
    );
  if (input.market) where.push(Prisma.sql`l.markets @> ARRAY[${input.market}]::text[]`);
  if (input.tag) where.push(Prisma.sql`l.tags @> ARRAY[${input.tag.toLowerCase()}]::text[]`);
  if (input.minReturn !== undefined) where.push(Prisma.sql`l.stat_return >= ${input.minReturn}::float8`);
  if (input.maxDrawdown !== undefined)
    where.push(Prisma.sql`l.stat_max_drawdown <= ${input.maxDrawdown}::float8`);
  if (input.minSharpe !== undefined) where.push(Prisma.sql`l.stat_sharpe >= ${input.minSharpe}::float8`);
  if (input.maxPriceCents !== undefined)
    // Monthly equivalent <= max  <=>  per year <= 12 * max (exact integers).
    where.push(Prisma.sql`${ANNUAL_PRICE} <= ${input.maxPriceCents * 12}::int8`);
  if (input.minSubscribers !== undefined)
    where.push(Prisma.sql`l.subscribers >= ${input.minSubscribers}::int`);
  if (input.cursor) where.push(after(sortName, sort, decodeCursor(input.cursor, sortName)));

  // Nullable keys sort NULLS LAST (listings without a stat at the end), as their index is built; the
  // others keep PostgreSQL's default for the direction, which is how their partial indexes are built.
  const direction = sort.desc ? Prisma.sql`DESC` : Prisma.sql`ASC`;
  const nulls = sort.nullable ? Prisma.sql`NULLS LAST` : Prisma.empty;
  const order = Prisma.sql`ORDER BY ${sort.key} ${direction} ${nulls}, l.id ASC`;
  // The page is cut first (index order, LIMIT), then seller names and ratings are joined to its rows only.
  const page = Prisma.sql`(SELECT l.* FROM marketplace_listings l
    WHERE ${Prisma.join(where, ' AND ')}
    ${order}
    LIMIT ${limit + 1})`;
  const sql = Prisma.sql`${summarySelect(page)} ${order}`;
  return { sql, sortName, limit };
}

/** Rows after the cursor in `key <dir> NULLS LAST, id ASC` order. */
function after(name: ListingSort, sort: SortSpec, c: SearchCursor): Prisma.Sql {
  const id = Prisma.sql`${c.id}::uuid`;
  if (c.v === null) {
    // Past the non-null keys: only the nulls after this id remain.
    return Prisma.sql`(${sort.key} IS NULL AND l.id > ${id})`;
  }
  // Integer keys (price per year in cents, subscribers) compare as integers: exact, and index-friendly.
  const v =
    name === 'newest'
      ? Prisma.sql`${new Date(c.v)}::timestamptz`
      : name === 'price' || name === 'subscribers'
        ? Prisma.sql`${Math.trunc(c.v)}::int8`
        : Prisma.sql`${c.v}::float8`;
  const beyond = sort.desc ? Prisma.sql`${sort.key} < ${v}` : Prisma.sql`${sort.key} > ${v}`;
  const nulls = sort.nullable ? Prisma.sql` OR ${sort.key} IS NULL` : Prisma.empty;
  return Prisma.sql`(${beyond} OR (${sort.key} = ${v} AND l.id > ${id})${nulls})`;
}
