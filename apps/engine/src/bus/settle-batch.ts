import type { BatchHandler, BusMessage, ConsumerSpec } from '@qt/shared';
import type { Logger } from '../observability/logger.ts';
import { redeliveryDelayMs } from './codec.ts';

/** How a bus acknowledges one delivery of its own kind (a stored message, a JetStream message). */
export interface Settler<R> {
  ack(raw: R): void;
  nak(raw: R, delayMs: number): void;
  term(raw: R): void;
  deliveryCount(raw: R): number;
  /** The decoded message, or undefined if it failed its schema (the bus counts and logs that). */
  decode(raw: R): BusMessage<unknown> | undefined;
}

/**
 * Runs a batch handler and settles every delivery the same way on both buses: schema failures are
 * terminated at once, the rest acknowledged after the handler returns, or, when it throws, redelivered
 * with backoff until maxDeliver, after which each is given up (counted via onGiveUp, logged).
 */
export async function settleBatch<T, R>(
  raws: R[],
  spec: ConsumerSpec,
  handler: BatchHandler<T>,
  settler: Settler<R>,
  logger: Logger,
  onGiveUp: () => void,
): Promise<void> {
  const valid: R[] = [];
  const msgs: BusMessage<T>[] = [];
  for (const raw of raws) {
    const msg = settler.decode(raw);
    if (msg) {
      valid.push(raw);
      msgs.push(msg as BusMessage<T>);
    } else {
      settler.term(raw);
    }
  }
  if (msgs.length === 0) return;
  try {
    await handler(msgs);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    for (const raw of valid) {
      const attempt = settler.deliveryCount(raw);
      if (spec.maxDeliver > 0 && attempt >= spec.maxDeliver) {
        onGiveUp();
        settler.term(raw);
      } else {
        settler.nak(raw, redeliveryDelayMs(attempt, spec.ackWaitMs));
      }
    }
    const first = msgs[0] as BusMessage<T>;
    logger.warn(
      {
        err: reason,
        consumer: spec.durable,
        messages: msgs.length,
        subject: first.subject,
        attempt: first.deliveryCount,
      },
      'handler failed; messages will be redelivered (or given up after max deliveries)',
    );
    return;
  }
  for (const raw of valid) settler.ack(raw);
}
