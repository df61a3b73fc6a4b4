import type { FeedStatus } from '@qt/shared';
import type { TradeGap, TradeIdReset } from '../sequence/trade-sequencer.ts';

/** What a feed reports besides market data; past tense, as on the bus. */
export type FeedEvent =
  | { readonly type: 'stateChanged'; readonly status: FeedStatus }
  /** Reported once the gap is still open `gapGraceMs` after it was seen. */
  | { readonly type: 'gapDetected'; readonly connectionId: string; readonly gap: TradeGap }
  /** The venue restarted a symbol's trade ids; the sequence was re-based on the new series. */
  | { readonly type: 'tradeIdsReset'; readonly connectionId: string; readonly reset: TradeIdReset }
  /** Subscribed, yet nothing arrived for these symbols (Binance acknowledges unknown symbols silently). */
  | { readonly type: 'symbolsSilent'; readonly connectionId: string; readonly symbols: readonly string[] }
  | {
      readonly type: 'venueErrorReceived';
      readonly connectionId: string;
      readonly code: string;
      readonly message: string;
    }
  | { readonly type: 'shutdownNoticeReceived'; readonly connectionId: string; readonly message: string };
