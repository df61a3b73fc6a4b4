import type { ExchangeSim } from '@qt/exchange-sim';
import {
  createBinanceAdapter,
  createBybitAdapter,
  createOkxAdapter,
  type FeedOptions,
  type VenueAdapter,
  type VenueRestBudget,
  venueRestBudget,
} from '@qt/market-data';
import type { KnownVenue } from '@qt/shared';
import type { EngineConfig } from '../config/config-schema.ts';
import type { VenueEndpoints } from './ingest/feed-supervisor.ts';

const adapters: Record<KnownVenue, () => VenueAdapter> = {
  binance: () => createBinanceAdapter(),
  okx: () => createOkxAdapter(),
  bybit: () => createBybitAdapter(),
};

/**
 * Where each venue's feed connects. Live: the configured lists (`BINANCE_WS_URLS`, ...) or the venue's
 * real public endpoints. Simulator: every endpoint of the in-process simulator, in order, so failover
 * between them works the same way as between a venue's hosts.
 */
export function venueEndpoints(config: EngineConfig, sim: ExchangeSim | null): VenueEndpoints[] {
  return config.marketVenues.map((venue) => {
    const adapter = adapters[venue]();
    const heartbeatIntervalMs = {
      binance: undefined,
      okx: config.okxHeartbeatIntervalMs,
      bybit: config.bybitHeartbeatIntervalMs,
    }[venue];
    const feedOptions: FeedOptions = heartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs };
    if (sim) {
      return {
        adapter,
        wsEndpoints: sim.urls.map((u) => u[venue].ws),
        restEndpoints: sim.urls.map((u) => u[venue].rest),
        feedOptions,
        source: 'simulator',
      };
    }
    const ws = { binance: config.binanceWsUrls, okx: config.okxWsUrls, bybit: config.bybitWsUrls }[venue];
    const rest = { binance: config.binanceRestUrl, okx: config.okxRestUrl, bybit: config.bybitRestUrl }[
      venue
    ];
    return {
      adapter,
      wsEndpoints: ws && ws.length > 0 ? ws : adapter.defaultWsEndpoints,
      restEndpoints: rest ? [rest] : adapter.defaultRestEndpoints,
      feedOptions,
      source: 'venue',
    };
  });
}

/** One shared REST budget per venue endpoints entry (see `restBudgetOf`). */
const budgets = new WeakMap<VenueEndpoints, VenueRestBudget>();

/**
 * THE REST budget of a venue: depth snapshots and gap repair take its `urgent` lane, backfill its
 * `background` lane, and every weight header and `Retry-After` any of them reads lands here, so together
 * they stay within half the venue's published limit (see `VenueRestBudget`). Made on first use and kept
 * with the endpoints entry, which the engine builds once (`venueEndpoints`) and hands to all three.
 */
export function restBudgetOf(v: VenueEndpoints): VenueRestBudget {
  let b = budgets.get(v);
  if (!b) {
    b = venueRestBudget(v.adapter.venue as KnownVenue);
    budgets.set(v, b);
  }
  return b;
}
