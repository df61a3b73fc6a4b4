import type { MarketDataWriter } from '@qt/db';
import {
  type ConsumerSpec,
  type MessageBus,
  type Subscription,
  streamNames,
  type Trade,
  topics,
} from '@qt/shared';

/**
 * Stores every trade from the bus. A durable consumer shared by all engine instances (the insert is
 * idempotent, so sharing the work is safe); each batch of bus messages is written in one transaction
 * (COPY into staging, INSERT ... ON CONFLICT DO NOTHING) and acknowledged only after COMMIT, so a retried
 * batch adds nothing twice. While the database is down the handler fails, the messages are redelivered with
 * backoff for ever (maxDeliver -1) and the stream holds them: the consumer's pending count is the lag.
 */
export const tradeWriterConsumer: ConsumerSpec = {
  durable: 'trades-writer',
  stream: streamNames.marketTrades,
  filterSubject: 'market.trades.>',
  deliver: 'all',
  ackWaitMs: 30_000,
  maxDeliver: -1,
  maxAckPending: 2_000,
};

export interface PersisterStats {
  batches: number;
  inserted: number;
  duplicates: number;
  failures: number;
  /** Engine clock time of the last successful commit, ms. */
  lastCommitAt: number | null;
}

export async function startTradePersister(
  bus: MessageBus,
  writer: Pick<MarketDataWriter, 'writeTrades'>,
  now: () => number,
  consumer: ConsumerSpec = tradeWriterConsumer,
): Promise<{ subscription: Subscription; stats: PersisterStats }> {
  const stats: PersisterStats = { batches: 0, inserted: 0, duplicates: 0, failures: 0, lastCommitAt: null };
  const subscription = await bus.consumeBatch(
    topics.marketTrades,
    consumer,
    { maxMessages: 500, maxWaitMs: 50 },
    async (msgs) => {
      const trades: Trade[] = [];
      for (const m of msgs) for (const t of m.data.trades) trades.push(t);
      try {
        const r = await writer.writeTrades(trades);
        stats.batches++;
        stats.inserted += r.inserted;
        stats.duplicates += r.duplicates;
        stats.lastCommitAt = now();
      } catch (err) {
        stats.failures++;
        throw err;
      }
    },
  );
  return { subscription, stats };
}
