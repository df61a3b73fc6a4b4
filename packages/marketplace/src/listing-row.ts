import { Prisma } from '@qt/db';
import {
  type InstrumentRef,
  instrumentRef,
  type ListingStatus,
  type ListingSummaryView,
  notFound,
  type StrategyInterval,
  type StrategyParams,
  strategyInterval,
  strategyParams,
  type TunableParam,
  tunableParamSchema,
} from '@qt/shared';
import { z } from 'zod';
import type { MarketplaceDeps } from './deps.ts';

/** A listing as read by SUMMARY_SELECT (snake_case: raw SQL). */
export interface ListingRow {
  id: string;
  seller_tenant_id: string;
  strategy_id: string;
  version_id: string;
  module_sha256: string;
  module_uploaded_at: Date | null;
  title: string;
  summary: string;
  description_html: string;
  tags: string[];
  instruments: unknown;
  intervals: string[];
  tunable_params: unknown;
  default_params: unknown;
  price_cents: number;
  currency: string;
  billing_interval: string | null;
  trial_days: number;
  stripe_price_id: string | null;
  status: string;
  status_reason: string | null;
  verification_backtest_id: string | null;
  verified_at: Date | null;
  stat_return: number | null;
  stat_max_drawdown: number | null;
  stat_sharpe: number | null;
  subscribers: number;
  track_deployment_id: string | null;
  track_since: Date | null;
  track_history: unknown;
  track_end_reason: string | null;
  created_at: Date;
  seller_name: string;
  rating_avg: number | null;
  rating_count: number;
}

/**
 * Every listing read for a view goes through this select: the seller's name (the tenant's) and the
 * rating joined in one statement. `from` is the listings table or a page of it already cut down (the
 * rating aggregate then runs for the page's rows only). Callers append WHERE/ORDER BY/LIMIT.
 */
export function summarySelect(from: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`
  SELECT l.id, l.seller_tenant_id, l.strategy_id, l.version_id, l.module_sha256, l.module_uploaded_at,
         l.title, l.summary,
         l.description_html, l.tags, l.instruments, l.intervals, l.tunable_params,
         l.default_params, l.price_cents, l.currency, l.billing_interval, l.trial_days, l.stripe_price_id,
         l.status, l.status_reason, l.verification_backtest_id, l.verified_at, l.stat_return,
         l.stat_max_drawdown, l.stat_sharpe, l.subscribers, l.track_deployment_id, l.track_since,
         l.track_history, l.track_end_reason, l.created_at, t.name AS seller_name, r.rating_avg, r.rating_count
    FROM ${from} l
    JOIN tenants t ON t.id = l.seller_tenant_id
    LEFT JOIN LATERAL (
      SELECT avg(rv.rating)::float8 AS rating_avg, count(*)::int AS rating_count
        FROM marketplace_reviews rv WHERE rv.listing_id = l.id
    ) r ON true`;
}

export const SUMMARY_SELECT = summarySelect(Prisma.sql`marketplace_listings`);

const instrumentsSchema = z.array(instrumentRef);
const intervalsSchema = z.array(strategyInterval);
const tunableSchema = z.array(tunableParamSchema);

export function rowInstruments(row: ListingRow): InstrumentRef[] {
  return instrumentsSchema.parse(row.instruments);
}
export function rowIntervals(row: ListingRow): StrategyInterval[] {
  return intervalsSchema.parse(row.intervals);
}
export function rowTunable(row: ListingRow): TunableParam[] {
  return tunableSchema.parse(row.tunable_params);
}
export function rowDefaults(row: ListingRow): StrategyParams {
  return strategyParams.parse(row.default_params);
}

export function toSummary(row: ListingRow): ListingSummaryView {
  const verified = row.verified_at !== null;
  return {
    id: row.id,
    title: row.title,
    summary: row.summary,
    tags: row.tags,
    instruments: rowInstruments(row),
    intervals: rowIntervals(row),
    price: {
      amountCents: row.price_cents,
      currency: row.currency,
      interval:
        row.billing_interval === 'month' || row.billing_interval === 'year' ? row.billing_interval : null,
      trialDays: row.trial_days,
    },
    status: row.status as ListingStatus,
    moduleSha256: row.module_sha256,
    stats: verified
      ? { totalReturn: row.stat_return, maxDrawdown: row.stat_max_drawdown, sharpe: row.stat_sharpe }
      : null,
    // The verification runs on the listing's first instrument at its first interval: the stats say so.
    statsInstrument: verified ? (rowInstruments(row)[0] ?? null) : null,
    statsInterval: verified ? (rowIntervals(row)[0] ?? null) : null,
    statusReason: row.status_reason,
    subscribers: row.subscribers,
    rating: { average: row.rating_avg, count: row.rating_count },
    sellerName: row.seller_name,
    createdAt: row.created_at.toISOString(),
  };
}

export async function loadListing(deps: MarketplaceDeps, listingId: string): Promise<ListingRow | null> {
  const rows = await deps.db.$queryRaw<ListingRow[]>`${SUMMARY_SELECT} WHERE l.id = ${listingId}::uuid`;
  return rows[0] ?? null;
}

/** The caller's tenant's own listing; NOT_FOUND for anyone else's (same answer as "does not exist"). */
export async function loadOwnListing(
  deps: MarketplaceDeps,
  tenantId: string,
  listingId: string,
): Promise<ListingRow> {
  const row = await loadListing(deps, listingId);
  if (!row || row.seller_tenant_id !== tenantId) throw notFound('Listing');
  return row;
}

/** `binance:BTC-USDT`: how markets are stored for filtering. */
export function marketKey(i: InstrumentRef): string {
  return `${i.venue}:${i.symbol}`;
}
