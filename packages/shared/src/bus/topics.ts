import { klineSchema, tradeBatchSchema } from '../market/schemas.ts';
import { defineTopic } from './message-bus.ts';

/** Stream names; their limits are declared in apps/engine/src/bus/streams.ts. */
export const streamNames = {
  marketTrades: 'MARKET_TRADES',
  marketKlines: 'MARKET_KLINES',
} as const;

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
} as const;
