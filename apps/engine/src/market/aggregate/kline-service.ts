import { KlineAggregator } from '@qt/market-data';
import {
  type Clock,
  type Kline,
  type KlineInterval,
  klineInterval,
  type MessageBus,
  type Subscription,
  significantScaleOf,
  topics,
} from '@qt/shared';
import type { Logger } from '../../observability/logger.ts';
import type { InstrumentCatalog } from '../instruments/instrument-catalog.ts';
import { KlinePublisher } from './kline-publisher.ts';

export interface KlineService {
  aggregator: KlineAggregator;
  publisher: KlinePublisher;
  /** The live (open or just closed) candles of a symbol for one interval. */
  live(venue: string, symbol: string, interval: KlineInterval): Kline[];
  stop(): Promise<void>;
}

/**
 * Candles from the trades on the bus: a live subscription feeds the in-memory aggregator (cut by
 * exchange time with a watermark; late trades within the lateness correct their candle), the injected
 * clock closes quiet symbols' candles, and every candle event goes back on the bus.
 */
export async function startKlineService(params: {
  bus: MessageBus;
  clock: Clock;
  logger: Logger;
  catalog: InstrumentCatalog;
  latenessMs: number;
  subSecond: boolean;
}): Promise<KlineService> {
  const publisher = new KlinePublisher(params.bus, params.logger);
  const intervals = klineInterval.options.filter((i) => params.subSecond || i !== '100ms');
  const aggregator = new KlineAggregator({
    intervals,
    allowedLatenessMs: params.latenessMs,
    sink: {
      klineUpdated: (k) => publisher.updated(k),
      klineClosed: (k, revision) => publisher.closed(k, revision),
    },
    scales: (venue, symbol) => {
      const i = params.catalog.get(venue, symbol);
      return i
        ? { price: significantScaleOf(i.tickSize), quantity: significantScaleOf(i.lotSize) }
        : undefined;
    },
  });
  const sub: Subscription = await params.bus.subscribe(topics.marketTrades, 'market.trades.>', (m) => {
    aggregator.onTrades(m.data.trades);
  });
  const tick = setInterval(() => aggregator.advanceTo(params.clock.now()), 250);
  tick.unref();
  return {
    aggregator,
    publisher,
    live: (venue, symbol, interval) =>
      aggregator.snapshot(venue, symbol).filter((k) => k.interval === interval),
    stop: async () => {
      clearInterval(tick);
      await sub.unsubscribe();
      publisher.close();
    },
  };
}
