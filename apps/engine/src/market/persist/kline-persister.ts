import type { MarketDataWriter } from '@qt/db';
import {
  type ConsumerSpec,
  type Kline,
  type MessageBus,
  type Subscription,
  streamNames,
  topics,
} from '@qt/shared';
import type { PersisterStats } from './trade-persister.ts';

/**
 * Stores closed candles (and their late corrections) from the bus: an upsert that never lets an older
 * version overwrite a newer one, committed before the ack. Open-candle updates are not stored: the live
 * candle is served from the aggregator's memory.
 */
export const klineWriterConsumer: ConsumerSpec = {
  durable: 'klines-writer',
  stream: streamNames.marketKlines,
  filterSubject: 'market.klines.>',
  deliver: 'all',
  ackWaitMs: 30_000,
  maxDeliver: -1,
  maxAckPending: 2_000,
};

export async function startKlinePersister(
  bus: MessageBus,
  writer: MarketDataWriter,
  now: () => number,
): Promise<{ subscription: Subscription; stats: PersisterStats }> {
  const stats: PersisterStats = { batches: 0, inserted: 0, duplicates: 0, failures: 0, lastCommitAt: null };
  const subscription = await bus.consumeBatch(
    topics.marketKlines,
    klineWriterConsumer,
    { maxMessages: 1_000, maxWaitMs: 100 },
    async (msgs) => {
      const closed: Kline[] = [];
      for (const m of msgs) if (m.data.closed) closed.push(m.data);
      if (closed.length === 0) return;
      try {
        const r = await writer.writeKlines(closed);
        stats.batches++;
        stats.inserted += r.written;
        stats.duplicates += r.unchanged;
        stats.lastCommitAt = now();
      } catch (err) {
        stats.failures++;
        throw err;
      }
    },
  );
  return { subscription, stats };
}
