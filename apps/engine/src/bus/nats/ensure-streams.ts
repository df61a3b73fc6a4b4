import {
  AckPolicy,
  type ConsumerConfig,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { ConsumerSpec, StreamSpec } from '@qt/shared';
import type { Logger } from '../../observability/logger.ts';
import type { Namespace } from './namespace.ts';

/** The oldest NATS Server whose JetStream API this code relies on (consumer create API, `consume()`). */
export const MIN_SERVER_VERSION = '2.9.4';

export function streamConfig(spec: StreamSpec, ns: Namespace, replicas: number): StreamConfig {
  return {
    name: ns.stream(spec.name),
    subjects: spec.subjects.map((s) => ns.subject(s)),
    retention: RetentionPolicy.Limits,
    storage: spec.storage === 'file' ? StorageType.File : StorageType.Memory,
    discard: spec.discard === 'old' ? DiscardPolicy.Old : DiscardPolicy.New,
    max_age: nanos(spec.maxAgeMs),
    max_bytes: spec.maxBytes,
    max_msgs: spec.maxMsgs,
    max_msg_size: spec.maxMsgSize,
    max_msgs_per_subject: -1,
    max_consumers: -1,
    duplicate_window: nanos(spec.duplicateWindowMs),
    num_replicas: replicas,
  } as StreamConfig;
}

/** The limits that `streams.update` may change; a difference in them is applied at start. */
const UPDATABLE: (keyof StreamConfig)[] = [
  'subjects',
  'discard',
  'max_age',
  'max_bytes',
  'max_msgs',
  'max_msg_size',
  'duplicate_window',
  'num_replicas',
];

/** Creates each declared stream, or updates its limits when the code's declaration changed. */
export async function ensureStreams(
  jsm: JetStreamManager,
  specs: readonly StreamSpec[],
  ns: Namespace,
  replicas: number,
  logger: Logger,
): Promise<void> {
  for (const spec of specs) {
    const want = streamConfig(spec, ns, replicas);
    const have = await jsm.streams.info(want.name).catch((err: unknown) => {
      if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) return null;
      throw err;
    });
    if (!have) {
      await jsm.streams.add(want);
      logger.info({ stream: want.name }, 'jetstream stream created');
      continue;
    }
    if (have.config.storage !== want.storage) {
      throw new Error(
        `stream ${want.name} exists with storage ${have.config.storage}; the code declares ${want.storage} (storage cannot be changed in place)`,
      );
    }
    const changed = UPDATABLE.filter((k) => JSON.stringify(have.config[k]) !== JSON.stringify(want[k]));
    if (changed.length > 0) {
      await jsm.streams.update(want.name, want);
      logger.info({ stream: want.name, changed }, 'jetstream stream updated');
    }
  }
}

export function consumerConfig(spec: ConsumerSpec, ns: Namespace): Partial<ConsumerConfig> {
  return {
    durable_name: spec.durable,
    filter_subject: ns.subject(spec.filterSubject),
    ack_policy: AckPolicy.Explicit,
    ...(spec.startSeq !== undefined
      ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Math.max(1, spec.startSeq) }
      : { deliver_policy: spec.deliver === 'all' ? DeliverPolicy.All : DeliverPolicy.New }),
    ack_wait: nanos(spec.ackWaitMs),
    max_deliver: spec.maxDeliver,
    max_ack_pending: spec.maxAckPending,
  };
}

/** Creates the durable consumer or updates what may change (ack wait, deliveries, pending). */
export async function ensureConsumer(
  jsm: JetStreamManager,
  spec: ConsumerSpec,
  ns: Namespace,
): Promise<void> {
  const stream = ns.stream(spec.stream);
  const want = consumerConfig(spec, ns);
  const have = await jsm.consumers.info(stream, spec.durable).catch((err: unknown) => {
    if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound) return null;
    throw err;
  });
  if (!have) {
    await jsm.consumers.add(stream, want);
    return;
  }
  // A start position cannot be changed on an existing consumer: it is recreated (the caller said it
  // keeps its own position, so the acknowledgements lost with it are not needed).
  if (spec.startSeq !== undefined) {
    await jsm.consumers.delete(stream, spec.durable);
    await jsm.consumers.add(stream, want);
    return;
  }
  if (have.config.filter_subject !== want.filter_subject) {
    throw new Error(
      `consumer ${spec.durable} on ${stream} filters ${have.config.filter_subject}; the code declares ${want.filter_subject}. Delete it or use a new durable name.`,
    );
  }
  const delta: Partial<ConsumerConfig> = {};
  if (have.config.ack_wait !== want.ack_wait) delta.ack_wait = want.ack_wait as number;
  if (have.config.max_deliver !== want.max_deliver) delta.max_deliver = want.max_deliver as number;
  if (have.config.max_ack_pending !== want.max_ack_pending)
    delta.max_ack_pending = want.max_ack_pending as number;
  if (Object.keys(delta).length > 0) await jsm.consumers.update(stream, spec.durable, delta);
}

/** `a >= b` for dotted versions like 2.9.10. */
export function versionAtLeast(a: string, b: string): boolean {
  const pa = a.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) > (pb[i] ?? 0);
  return true;
}
