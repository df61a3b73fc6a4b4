import { z } from 'zod';
import { canonicalSymbol, depthSchema, klineSchema, tradeBatchSchema, venueId } from '../market/schemas.ts';
import { defineTopic } from './message-bus.ts';

/** Stream names; their limits are declared in apps/engine/src/bus/streams.ts. */
export const streamNames = {
  marketTrades: 'MARKET_TRADES',
  marketKlines: 'MARKET_KLINES',
  marketQuality: 'MARKET_QUALITY',
  marketDepth: 'MARKET_DEPTH',
} as const;

/**
 * A feed's data-quality event for one symbol, as the engine's feed supervisor observed it
 * (`market.quality.<venue>.<symbol>`). `feedStale` opens a stale period and `feedLive` closes it (the
 * alert engine resumes what it paused); `gapDetected` is a sequencer gap still open after its grace;
 * `venueFailover` is the feed going live on another endpoint than before. `id` is deterministic for the
 * observation (kind, venue, symbol, connection, the state's start time or the gap's ids), so a re-publish
 * or a redelivery is recognised as the same event.
 */
export const dataQualityMessageSchema = z.strictObject({
  kind: z.enum(['feedStale', 'feedLive', 'gapDetected', 'venueFailover']),
  id: z.string().min(1).max(200),
  venue: venueId,
  symbol: canonicalSymbol,
  at: z.number().int().nonnegative(),
  detail: z.string().max(500).optional(),
});
export type DataQualityMessage = z.infer<typeof dataQualityMessageSchema>;

export const topics = {
  marketTrades: defineTopic({
    name: 'market.trades',
    stream: streamNames.marketTrades,
    pattern: 'market.trades.>',
    schema: tradeBatchSchema,
  }),
  marketKlines: defineTopic({
    name: 'market.klines',
    stream: streamNames.marketKlines,
    pattern: 'market.klines.>',
    schema: klineSchema,
  }),
  marketQuality: defineTopic({
    name: 'market.quality',
    stream: streamNames.marketQuality,
    pattern: 'market.quality.>',
    schema: dataQualityMessageSchema,
  }),
  /** Conflated L2 depth, at most ~10 per second per book (`market.depth.<venue>.<symbol>`). */
  marketDepth: defineTopic({
    name: 'market.depth',
    stream: streamNames.marketDepth,
    pattern: 'market.depth.>',
    schema: depthSchema,
  }),
} as const;
