import type { InstrumentRef, ListingSummaryView, StrategyInterval, TrackRecordView } from '@qt/shared';

/**
 * Where a listing's verified numbers were computed: `binance:BTC-USDT · 1m`, or null when the engine did
 * not say (an older engine, or no verification yet). A listing may offer several markets; its figures
 * hold for one of them only, so every place that shows the figures names it.
 */
export function statsMarketText(
  listing: Pick<ListingSummaryView, 'statsInstrument' | 'statsInterval'>,
): string | null {
  return marketText(listing.statsInstrument ?? null, listing.statsInterval ?? null);
}

export function marketText(
  instrument: InstrumentRef | null,
  interval: StrategyInterval | null,
): string | null {
  if (!instrument) return null;
  const market = `${instrument.venue}:${instrument.symbol}`;
  return interval ? `${market} · ${interval}` : market;
}

/**
 * When a forward record's sampling ended: its last equity sample (the contract carries no end time; the
 * sampler stops with the deployment, so the last sample is when the ledger last saw it). Null while the
 * record runs or before its first sample.
 */
export function trackRecordUntil(track: Pick<TrackRecordView, 'running' | 'equity'>): number | null {
  if (track.running) return null;
  const last = track.equity.at(-1);
  return last ? last[0] : null;
}

/** Why a stopped record ended, for people: the engine's reason, or a neutral line when it gave none. */
export function endedReasonText(track: Pick<TrackRecordView, 'running' | 'endedReason'>): string | null {
  if (track.running) return null;
  const reason = track.endedReason?.trim();
  return reason ? reason : 'The deployment behind this record stopped.';
}
