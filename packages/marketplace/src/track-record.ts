import { isAppError, type TrackRecordView } from '@qt/shared';
import type { MarketplaceDeps } from './deps.ts';

/** Listings sampled per pass. */
export const TRACK_BATCH = 500;
/** The most points a record view draws (the stats use every sample). */
export const TRACK_VIEW_POINTS = 500;

/**
 * One sample per listing with an attached deployment: its paper account's equity from our ledger,
 * marked to market (never a number the seller reports). A deployment no longer running (stopped,
 * failed, deleted) ends the sampling; the record keeps its samples and shows it is no longer running.
 */
export async function sampleTrackRecords(deps: MarketplaceDeps): Promise<number> {
  const rows = await deps.db.marketplaceListing.findMany({
    where: { trackDeploymentId: { not: null } },
    select: { id: true, sellerTenantId: true, trackDeploymentId: true },
    orderBy: { id: 'asc' },
    take: TRACK_BATCH,
  });
  let sampled = 0;
  for (const row of rows) {
    const deploymentId = row.trackDeploymentId as string;
    try {
      let state: { running: boolean; equity: string } | null;
      try {
        state = await deps.strategies.deploymentEquity(row.sellerTenantId, deploymentId);
      } catch (err) {
        if (!(isAppError(err) && err.code === 'NOT_FOUND')) throw err;
        state = null;
      }
      const at = new Date(deps.clock.now());
      if (!state?.running) {
        await deps.db.marketplaceListing.updateMany({
          where: { id: row.id, trackDeploymentId: deploymentId },
          data: { trackDeploymentId: null, updatedAt: at },
        });
        deps.logger.info({ listingId: row.id, deploymentId }, 'forward record ended: deployment not running');
        continue;
      }
      await deps.db.marketplaceTrackPoint.createMany({
        data: [{ listingId: row.id, at, equity: state.equity }],
        skipDuplicates: true,
      });
      sampled++;
    } catch (err) {
      deps.logger.warn(
        { listingId: row.id, err: String(err) },
        'forward record sample failed; retrying next pass',
      );
    }
  }
  return sampled;
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
  listing: { id: string; trackSince: Date | null; running: boolean },
): Promise<TrackRecordView | null> {
  if (!listing.trackSince) return null;
  const points = await deps.db.$queryRaw<PointRow[]>`
    WITH p AS (
      SELECT at, equity,
             max(equity) OVER (ORDER BY at ROWS UNBOUNDED PRECEDING) AS peak,
             row_number() OVER (ORDER BY at) AS rn,
             count(*) OVER () AS n
        FROM marketplace_track_points
       WHERE listing_id = ${listing.id}::uuid
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
       WHERE listing_id = ${listing.id}::uuid
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
  };
}
