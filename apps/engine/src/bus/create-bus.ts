import type { Clock, MessageBus } from '@qt/shared';
import type { Logger } from '../observability/logger.ts';
import { InProcessBus } from './in-process-bus.ts';
import { NatsBus } from './nats/nats-bus.ts';
import { streamSpecs } from './streams.ts';

export interface CreateBusOptions {
  /** Unset: the in-process bus (one engine process). Set: NATS JetStream. */
  natsUrl: string | undefined;
  natsNamespace?: string;
  clock: Clock;
  logger: Logger;
  instanceId: string;
  streamReplicas: number;
  streamMaxBytes?: number | undefined;
}

/** One interface, two buses: the rest of the engine never knows which one it has. */
export async function createBus(opts: CreateBusOptions): Promise<MessageBus> {
  const logger = opts.logger.child({ component: 'bus' });
  const cap = opts.streamMaxBytes;
  const streams = cap ? streamSpecs.map((s) => ({ ...s, maxBytes: Math.min(s.maxBytes, cap) })) : streamSpecs;
  if (!opts.natsUrl) {
    logger.info('in-process bus (set NATS_URL for NATS JetStream)');
    return new InProcessBus({ streams, clock: opts.clock, logger });
  }
  return NatsBus.connect({
    url: opts.natsUrl,
    streams,
    clock: opts.clock,
    logger,
    name: `qt-engine${opts.instanceId ? `-${opts.instanceId}` : ''}`,
    namespace: opts.natsNamespace ?? '',
    streamReplicas: opts.streamReplicas,
  });
}
