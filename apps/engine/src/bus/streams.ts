import { type ConsumerSpec, type StreamSpec, streamNames } from '@qt/shared';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const HOUR = 3_600_000;

/**
 * Every JetStream stream the engine uses, with explicit limits; created or updated at start
 * (nats/ensure-streams.ts). Market data is `discard: 'old'`: the feed must never stall because a
 * slow consumer is behind, so the oldest data goes first and consumers report their lag instead.
 * The duplicate window covers a connector's reconnect-and-replay, so a trade re-published after a
 * reconnect (same `Nats-Msg-Id`) is stored once.
 *
 * Only features of NATS Server 2.9 are used (the server here is 2.9.10): no multiple filter subjects,
 * no stream compression, no subject transforms, no consumer metadata, no per-message TTL, no
 * consumer pause or priority groups (all 2.10+). ensure-streams refuses servers older than 2.9.0.
 */
export const streamSpecs: readonly StreamSpec[] = [
  {
    name: streamNames.marketTrades,
    subjects: ['market.trades.>'],
    maxAgeMs: 24 * HOUR,
    maxBytes: 4 * GiB,
    maxMsgs: 100_000_000,
    maxMsgSize: 1 * MiB,
    duplicateWindowMs: 2 * 60_000,
    discard: 'old',
    storage: 'file',
  },
  {
    name: streamNames.marketKlines,
    subjects: ['market.klines.>'],
    maxAgeMs: 6 * HOUR,
    maxBytes: 1 * GiB,
    maxMsgs: 50_000_000,
    maxMsgSize: 256 * 1024,
    duplicateWindowMs: 2 * 60_000,
    discard: 'old',
    storage: 'file',
  },
  {
    // Data-quality events (feed stale/live, gaps, failovers): a few per feed incident, read by every
    // engine's alert evaluator through its durable consumer (a restart resumes from its stored position).
    name: streamNames.marketQuality,
    subjects: ['market.quality.>'],
    maxAgeMs: 24 * HOUR,
    maxBytes: 64 * MiB,
    maxMsgs: 1_000_000,
    maxMsgSize: 4 * 1024,
    duplicateWindowMs: 2 * 60_000,
    discard: 'old',
    storage: 'file',
  },
  {
    // Conflated L2 depth (`market.depth.<venue>.<symbol>`, at most ~10/s per book): live fan-out only,
    // the newest state is all anyone needs, so the stream keeps a minute.
    name: streamNames.marketDepth,
    subjects: ['market.depth.>'],
    maxAgeMs: 60_000,
    maxBytes: 256 * MiB,
    maxMsgs: 1_000_000,
    maxMsgSize: 256 * 1024,
    duplicateWindowMs: 10_000,
    discard: 'old',
    // Nothing here is worth a disk write: a restart rebuilds every book from the venue.
    storage: 'memory',
  },
  {
    // Alert firings for the in-app live stream (`alerts.fired.<tenantId>`, msgId = firing id). The
    // database is the record (alert_firings); this only fans them out to connected clients, so it is short.
    name: 'ALERTS_FIRED',
    subjects: ['alerts.fired.>'],
    maxAgeMs: 1 * HOUR,
    maxBytes: 256 * MiB,
    maxMsgs: 1_000_000,
    maxMsgSize: 64 * 1024,
    duplicateWindowMs: 2 * 60_000,
    discard: 'old',
    storage: 'file',
  },
];

/** Defaults for durable consumers; each consumer declares its own spec from these. */
export const consumerDefaults: Omit<ConsumerSpec, 'durable' | 'stream' | 'filterSubject'> = {
  deliver: 'all',
  ackWaitMs: 30_000,
  maxDeliver: 10,
  maxAckPending: 1_000,
};

export function streamSpec(name: string): StreamSpec | undefined {
  return streamSpecs.find((s) => s.name === name);
}
