import type { KlineInterval } from '@qt/shared';
import type { DataQualityEventKind } from '../rules/conditions.ts';

/** A trade as the engine hands it over from `market.trades.*` (prices and sizes as decimal strings). */
export interface AlertTrade {
  venue: string;
  symbol: string;
  tradeId: string;
  price: string;
  qty: string;
  /** Exchange time, epoch ms. */
  ts: number;
}

/** A closed candle from `market.klines.*` (only `closed: true` ones are evaluated; revisions are ignored). */
export interface AlertCandle {
  venue: string;
  symbol: string;
  interval: KlineInterval;
  openTime: number;
  closeTime: number;
  open: string;
  high: string;
  low: string;
  close: string;
  baseVolume: string;
}

/** A data-quality event the engine reports (feed state changes, sequencer gaps, failovers). */
export interface DataQualityEvent {
  kind: DataQualityEventKind;
  /** Unique per event (it becomes the firing's trigger key), e.g. "stale:binance:conn-2:1733580000000". */
  id: string;
  venue: string;
  symbol?: string;
  deploymentId?: string;
  at: number;
  detail?: string;
}

/**
 * One firing. `id` is `<alertId>:<triggerKey>`, where the key names the event that fired it (a trade,
 * a bar, a data-quality event), so re-evaluating the same event after a restart gives the same id and
 * every store and channel can be idempotent on it.
 */
export interface Firing {
  id: string;
  alertId: string;
  tenantId: string;
  alertName: string;
  venue: string | null;
  symbol: string | null;
  source: 'trade' | 'close' | 'event';
  /** The event's time (trade ts, bar close time, data-quality event time), epoch ms. */
  at: number;
  /** Trade price or bar close, as printed; null for data-quality firings. */
  price: string | null;
  interval: KlineInterval | null;
  /** Indicator outputs and volumes the condition read, for the message and the firing history. */
  values: Record<string, string>;
  event: DataQualityEventKind | null;
  /** True when a data-quality alert asked the engine to pause the deployment. */
  pauseDeployment: boolean;
  message: string;
  /** True when the alert is done after this firing (`once`): the engine can deactivate its row. */
  final: boolean;
}
