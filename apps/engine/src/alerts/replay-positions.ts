import type { AlertPositions } from './alert-store.ts';

/**
 * Where the alert engine resumes each stream after a restart on NATS, and why it is exact.
 *
 * Two designs were possible for "no batch is lost when its commit failed at stop":
 * - never acknowledge past a failed batch and rely on the durable consumer's redelivery. JetStream
 *   redelivers a nak'd (or ack-wait expired) message AFTER newer ones it already had to send, so the next
 *   run would commit newer messages first and then take the redelivered batch for a replay (its
 *   sequences lie below the committed position): its firings were lost. Also, the restored state may be
 *   one snapshot interval older than the committed position, and the acknowledged gap between them is
 *   never redelivered, so crossings, cooldowns and per-bar state of the gap were lost after a crash.
 * - consume from a start sequence the engine chose, in stream order (chosen). The evaluator state is
 *   stored with the positions it covers; each start recreates the durable consumers to deliver from the
 *   sequence after those positions. Everything after the state is evaluated again, in order, from that
 *   exact state: the gap's firings come out with the same deterministic ids (stored ON CONFLICT DO
 *   NOTHING, so not created, not shown and not delivered again) and the failed batch's firings are stored
 *   for the first time. Within a run the consumer delivers in order and nothing is committed past an
 *   uncommitted batch (commits run in evaluation order, commit-pipeline.ts; a failed commit is retried in
 *   place; after stop() no batch is evaluated), so the committed positions stay contiguous. Because the
 *   start position comes from the stored state and not from the consumer's acknowledgements, a batch
 *   may be acknowledged once evaluated, before its commit, on a stream the stored state has a position
 *   for: if its commit never happens, it lies after that position and is delivered again.
 *
 * A stream the state has no position for (it committed for the first time after the last snapshot)
 * resumes after its committed position: the best known, and what the consumer would do anyway.
 */
export interface ReplayPlan {
  /** Last sequence the restored state covers per stream: later messages are evaluated. */
  positions: Record<string, number>;
  /** Stream sequences whose firings were committed after the state was captured (evaluated again). */
  replayed: Record<string, number>;
  /**
   * Last sequence committed per stream (at least `positions`): messages up to it are a replay, whose
   * side effects beyond the firings table ran in the run that committed them and are not repeated.
   */
  committed: Record<string, number>;
}

export function replayPlan(stored: AlertPositions): ReplayPlan {
  const positions: Record<string, number> = {};
  const replayed: Record<string, number> = {};
  const lastCommitted: Record<string, number> = {};
  const committed = stored.committed ?? {};
  for (const stream of new Set([...Object.keys(stored.streams), ...Object.keys(committed)])) {
    const covered = stored.streams[stream];
    const done = committed[stream];
    const at = covered ?? done;
    if (at === undefined || !Number.isSafeInteger(at) || at < 0) continue;
    positions[stream] = at;
    const through = done !== undefined && Number.isSafeInteger(done) && done > at ? done : at;
    lastCommitted[stream] = through;
    if (through > at) replayed[stream] = through - at;
  }
  return { positions, replayed, committed: lastCommitted };
}

/**
 * Thrown to the bus for a batch handed over after stop() began: it is not evaluated and not acknowledged
 * (the next start replays it from the stored position), so no batch commits after one whose commit failed
 * at stop, and the evaluator never runs on a state rebuilt from an older snapshot.
 */
export class AlertsStoppingError extends Error {
  override readonly name = 'AlertsStoppingError';
  constructor() {
    super('alert engine stopping: batch left for the next start');
  }
}

/** The stream's stored range now: its first and last sequence (NATS stream info). */
export interface StreamBounds {
  firstSeq: number;
  lastSeq: number;
}

/**
 * Whether a stored position still means something on the stream as it is now.
 * - `reset`: the position (or the last committed message) lies past the stream's last message: the
 *   stream was deleted and recreated, or purged. The server would clamp the start to the stream's end and
 *   the evaluator would then skip every new message up to the old position, so the position is dropped
 *   (the consumer starts at the live edge).
 * - `trimmed`: messages after the position were removed by the stream's limits (age, bytes, count) before
 *   they were evaluated: `lost` of them are gone for good (the consumer starts at the first one kept).
 */
export function positionOnStream(
  position: number,
  committed: number,
  bounds: StreamBounds,
): { kind: 'ok' } | { kind: 'reset' } | { kind: 'trimmed'; lost: number } {
  if (Math.max(position, committed) > bounds.lastSeq) return { kind: 'reset' };
  // An empty stream reports first = last + 1: nothing after the position was lost then either.
  if (position + 1 < bounds.firstSeq) return { kind: 'trimmed', lost: bounds.firstSeq - position - 1 };
  return { kind: 'ok' };
}
