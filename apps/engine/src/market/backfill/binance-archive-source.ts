import type { ExchangeSim } from '@qt/exchange-sim';
import { binanceArchiveCandleHistory, type CandleHistorySource, type VenueAdapter } from '@qt/market-data';
import type { EngineConfig } from '../../config/config-schema.ts';
import type { Logger } from '../../observability/logger.ts';

export const BINANCE_ARCHIVE_DEFAULT_URL = 'https://data.binance.vision';

/**
 * `BINANCE_ARCHIVE_URL`: where Binance's public archive files are read. Unset: data.binance.vision, or on
 * the in-process simulator its own copy (served under its Binance base, from the same candles as its
 * klines REST); off when `BINANCE_REST_URL` is set (a standalone simulator or a proxy: production files
 * would mix real candles into a simulated series, and reach the internet from a setup meant to be
 * offline; the simulator CLI prints the BINANCE_ARCHIVE_URL of its own copy); `off`: REST only.
 */
export function binanceArchiveUrlOf(
  config: Pick<EngineConfig, 'binanceArchiveUrl' | 'binanceRestUrl'>,
  sim: ExchangeSim | null,
): string | null {
  if (config.binanceArchiveUrl === 'off') return null;
  if (config.binanceArchiveUrl) return config.binanceArchiveUrl;
  if (sim) return sim.urls[0]?.binance.rest ?? null;
  if (config.binanceRestUrl) return null;
  return BINANCE_ARCHIVE_DEFAULT_URL;
}

/**
 * The candle-history source the backfill uses for a venue: for Binance with an archive URL, the archive
 * first for whole past months and days of a long range (more than 2 days left), REST for the rest and for
 * any file that is missing or fails its checksum; every other venue, its REST source as is.
 */
export function withBinanceArchive(
  adapter: Pick<VenueAdapter, 'venue' | 'toVenueSymbol'>,
  rest: CandleHistorySource,
  archiveUrl: string | null | undefined,
  logger: Logger,
  /** The engine's clock (which files are published yet, retry times); default the wall clock. */
  now: () => number = Date.now,
): CandleHistorySource {
  if (adapter.venue !== 'binance' || !archiveUrl) return rest;
  const log = logger.child({ component: 'binance-archive' });
  return binanceArchiveCandleHistory({
    baseUrl: archiveUrl,
    rest,
    adapter,
    now,
    logger: { warn: (o, m) => log.warn(o, m), info: (o, m) => log.info(o, m) },
  });
}
