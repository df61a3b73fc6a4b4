import {
  instrumentRef,
  isAppError,
  strategyParams,
  type TrackRecordView,
  tunableParamSchema,
} from '@qt/shared';
import { z } from 'zod';
import type { MarketplaceDeps } from './deps.ts';
import { marketKey } from './listing-row.ts';
import type { DeploymentEquity } from './marketplace-strategies.ts';
import { listingDefaultParams } from './params.ts';
import { sameParams } from './same-params.ts';

/** Listings read per page of a sampling pass (a pass pages through all of them by id). */
export const TRACK_BATCH = 500;
/** The most points a record view draws (the stats use every sample). */
export const TRACK_VIEW_POINTS = 500;

interface SampleRow {
  id: string;
  sellerTenantId: string;
  trackDeploymentId: string | null;
  trackSince: Date | null;
  versionId: string;
  instruments: unknown;
  intervals: string[];
  tunableParams: unknown;
  defaultParams: unknown;
}

/**
 * One sample per listing with an attached deployment: its paper account's equity from our ledger,
 * marked to market (never a number the seller reports). The pass pages through every attached listing
 * (keyset on the id, TRACK_BATCH at a time), so none is starved however many there are. The record
 * ends (the deployment is detached, the samples stay, the reason is kept and logged) when the deployment
 * stopped, runs another version or other parameters, shares its account with another deployment, or
 * money moved into or out of the account since the record started (it would read as return).
 */
export async function sampleTrackRecords(deps: MarketplaceDeps): Promise<number> {
  let sampled = 0;
  let after: string | null = null;
  for (;;) {
    const rows: SampleRow[] = await deps.db.marketplaceListing.findMany({
      where: { trackDeploymentId: { not: null }, ...(after ? { id: { gt: after } } : {}) },
      select: {
        id: true,
        sellerTenantId: true,
        trackDeploymentId: true,
        trackSince: true,
        versionId: true,
        instruments: true,
        intervals: true,
        tunableParams: true,
        defaultParams: true,
      },
      orderBy: { id: 'asc' },
      take: TRACK_BATCH,
    });
    for (const row of rows) sampled += await sampleOne(deps, row);
    if (rows.length < TRACK_BATCH) return sampled;
    after = rows[rows.length - 1]?.id ?? null;
  }
}

async function sampleOne(deps: MarketplaceDeps, row: SampleRow): Promise<number> {
  const deploymentId = row.trackDeploymentId as string;
  try {
    let state: DeploymentEquity | null;
    try {
      state = await deps.strategies.deploymentEquity(row.sellerTenantId, deploymentId);
    } catch (err) {
      if (!(isAppError(err) && err.code === 'NOT_FOUND')) throw err;
      state = null;
    }
    const at = new Date(deps.clock.now());
    const reason = endReason(row, state);
    if (reason) {
      const ended = await deps.db.marketplaceListing.updateMany({
        where: { id: row.id, trackDeploymentId: deploymentId },
        data: { trackDeploymentId: null, trackEndReason: reason, updatedAt: at },
      });
      if (ended.count > 0)
        deps.logger.info({ listingId: row.id, deploymentId, reason }, 'forward record ended');
      return 0;
    }
    await deps.db.marketplaceTrackPoint.createMany({
      data: [{ listingId: row.id, at, equity: (state as DeploymentEquity).equity }],
      skipDuplicates: true,
    });
    return 1;
  } catch (err) {
    deps.logger.warn(
      { listingId: row.id, err: String(err) },
      'forward record sample failed; retrying next pass',
    );
    return 0;
  }
}

/** Why the record cannot go on with this deployment (null: sample it). */
function endReason(row: SampleRow, state: DeploymentEquity | null): string | null {
  if (!state?.running) return 'the deployment is not running';
  if (state.versionId !== row.versionId) return 'the deployment runs another version';
  const tunable = z.array(tunableParamSchema).safeParse(row.tunableParams);
  const defaults = strategyParams.safeParse(row.defaultParams);
  const want = tunable.success && defaults.success ? listingDefaultParams(tunable.data, defaults.data) : null;
  if (!want || !sameParams(state.params, want)) return "the deployment's parameters changed";
  const markets = z.array(instrumentRef).safeParse(row.instruments);
  const allowed = new Set(markets.success ? markets.data.map(marketKey) : []);
  if (state.instruments.some((i) => !allowed.has(marketKey(i))) || !row.intervals.includes(state.interval))
    return 'the deployment trades outside the listing';
  if (state.otherActiveDeployments > 0) return 'another deployment trades on the same paper account';
  const since = row.trackSince?.getTime() ?? 0;
  if (state.lastExternalFlowAt !== null && state.lastExternalFlowAt >= since)
    return 'money was deposited to or withdrawn from the paper account';
  return null;
}

interface PointRow {
  at: Date;
  equity: number;
  drawdown: number;
}

/**
 * The forward record as drawn: equity and drawdown thinned to at most TRACK_VIEW_POINTS (always keeping
 * the last), with drawdown against the running peak of ALL samples and the stats over all of them, in
 * exact decimals in the database (thinning never hides a trough from maxDrawdown).
 */
export async function trackRecordView(
  deps: MarketplaceDeps,
  listing: {
    id: string;
    trackSince: Date | null;
    running: boolean;
    /** The record's end (an earlier record); open-ended for the current one. */
    until?: Date;
    endedReason?: string | null;
  },
): Promise<TrackRecordView | null> {
  if (!listing.trackSince) return null;
  const from = listing.trackSince;
  const until = listing.until ?? new Date(8.64e15);
  const points = await deps.db.$queryRaw<PointRow[]>`
    WITH p AS (
      SELECT at, equity,
             max(equity) OVER (ORDER BY at ROWS UNBOUNDED PRECEDING) AS peak,
             row_number() OVER (ORDER BY at) AS rn,
             count(*) OVER () AS n
        FROM marketplace_track_points
       WHERE listing_id = ${listing.id}::uuid AND at >= ${from} AND at <= ${until}
    )
    SELECT at, equity::float8 AS equity,
           (CASE WHEN peak > 0 THEN 1 - equity / peak ELSE 0 END)::float8 AS drawdown
      FROM p
     WHERE (rn - 1) % ceil(n / ${TRACK_VIEW_POINTS}::numeric) = 0 OR rn = n
     ORDER BY at`;
  const [stats] = await deps.db.$queryRaw<{ total_return: number | null; max_drawdown: number | null }[]>`
    WITH p AS (
      SELECT at, equity,
             max(equity) OVER (ORDER BY at ROWS UNBOUNDED PRECEDING) AS peak,
             first_value(equity) OVER (ORDER BY at) AS first_eq,
             last_value(equity) OVER (ORDER BY at ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS last_eq
        FROM marketplace_track_points
       WHERE listing_id = ${listing.id}::uuid AND at >= ${from} AND at <= ${until}
    )
    SELECT (CASE WHEN max(first_eq) > 0 THEN max(last_eq) / max(first_eq) - 1 END)::float8 AS total_return,
           max(CASE WHEN peak > 0 THEN 1 - equity / peak ELSE 0 END)::float8 AS max_drawdown
      FROM p`;
  return {
    since: listing.trackSince.toISOString(),
    equity: points.map((p) => [p.at.getTime(), p.equity]),
    drawdown: points.map((p) => [p.at.getTime(), p.drawdown]),
    totalReturn: stats?.total_return ?? null,
    maxDrawdown: stats?.max_drawdown ?? null,
    running: listing.running,
    endedReason: listing.running ? null : (listing.endedReason ?? null),
  };
}
