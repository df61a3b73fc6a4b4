import { type Db, Prisma } from '@qt/db';
import type { MarketplaceStrategies } from '@qt/marketplace';
import type { InstrumentRef, StrategyInterval } from '@qt/shared';
import type { StrategiesService } from '../strategies/strategies-service.ts';
import type { StrategyStore } from '../strategies/strategy-store.ts';

/** The verification run's starting balance, in the instrument's quote asset (billing-design: 10,000). */
const VERIFICATION_START_QUOTE = '10000';

/**
 * The marketplace's view of the strategies domain (MarketplaceStrategies), over the engine's strategies
 * service and store. The marketplace checked ownership, entitlement and parameters before calling; what
 * is checked again here is only what keeps one tenant's rows from another's (the seller's strategy and
 * version belong together, a deployment's owner).
 */
export function marketplaceStrategies(deps: {
  db: Db;
  service: StrategiesService;
  store: StrategyStore;
  /** The engine's instrument catalogue (empty without market data: then every instrument is unknown). */
  instrument(venue: string, symbol: string): unknown;
}): MarketplaceStrategies {
  const { db, service, store } = deps;
  return {
    async resolveVersion(sellerTenantId, strategyId, version) {
      // NOT_FOUND for another tenant's strategy, exactly as for a missing one.
      const v = await store.version(sellerTenantId, strategyId, version);
      return {
        versionId: v.id,
        version: v.version,
        sha256: v.sha256,
        strategyName: v.strategyName,
        createdAt: v.createdAt.getTime(),
      };
    },

    async unknownInstruments(instruments) {
      return instruments.filter((ref) => !deps.instrument(ref.venue, ref.symbol));
    },

    startVerification(input) {
      return service.startVerification(input.sellerTenantId, {
        strategyId: input.strategyId,
        versionId: input.versionId,
        instruments: [input.instrument],
        interval: input.interval,
        from: input.from,
        to: input.to,
        params: input.params,
        mode: 'candles',
        quoteCurrency: quoteOf(input.instrument),
        initialBalances: { [quoteOf(input.instrument)]: VERIFICATION_START_QUOTE },
      });
    },

    async verificationResult(backtestId) {
      const r = await service.verificationResult(backtestId);
      return {
        status: r.backtest.status,
        reason: r.backtest.reason,
        metrics: r.backtest.metrics,
        equity: r.equity,
        drawdown: r.drawdown,
      };
    },

    storedCandles(instrument, interval, window) {
      return storedCandles(db, instrument, interval, window);
    },

    deployListing(scope, input) {
      return service.deployListing(scope, {
        listingId: input.listingId,
        strategyId: input.strategyId,
        versionId: input.versionId,
        accountId: input.accountId,
        instruments: input.instruments,
        interval: input.interval,
        params: input.params,
      });
    },

    deploymentEquity(sellerTenantId, deploymentId) {
      return service.deploymentEquity(sellerTenantId, deploymentId);
    },
  };
}

/** `BTC-USDT` -> `USDT` (canonical symbols are BASE-QUOTE). */
function quoteOf(ref: InstrumentRef): string {
  return ref.symbol.split('-')[1] ?? 'USDT';
}

/**
 * The closed candles stored for one series: first and last open time and how many. One index range scan
 * on the candles' primary key (venue, symbol, interval, open_time).
 */
async function storedCandles(
  db: Db,
  instrument: InstrumentRef,
  interval: StrategyInterval,
  window?: { from: number; to: number },
): Promise<{ first: number; last: number; count: number } | null> {
  // [from, to) on the primary key's open_time: still one range scan.
  const within = window
    ? Prisma.sql`AND open_time >= to_timestamp(${window.from / 1000}) AND open_time < to_timestamp(${window.to / 1000})`
    : Prisma.empty;
  const rows = await db.$queryRaw<{ first: bigint | null; last: bigint | null; count: bigint }[]>`
    SELECT (extract(epoch FROM min(open_time)) * 1000)::bigint AS first,
           (extract(epoch FROM max(open_time)) * 1000)::bigint AS last,
           count(*) AS count
      FROM market_klines
     WHERE venue = ${instrument.venue} AND symbol = ${instrument.symbol}
       AND "interval" = ${interval} AND closed ${within}`;
  const row = rows[0];
  if (!row || row.first === null || row.last === null || row.count === 0n) return null;
  return { first: Number(row.first), last: Number(row.last), count: Number(row.count) };
}
