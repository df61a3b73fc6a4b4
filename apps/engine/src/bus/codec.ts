import { isAscii } from 'node:buffer';
import { type Topic, tradeBatchSchema } from '@qt/shared';
import { isValidTradeBatch } from './trade-batch-check.ts';
import {
  COMPACT_TRADES_FIRST_BYTE,
  decodeCompactTradeBatch,
  encodeCompactTradeBatch,
} from './trade-batch-codec.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Messages cross the bus as UTF-8 JSON; both buses encode the same way so they behave the same. */
export function encodeMessage(data: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(data));
}

/**
 * A topic's message as text: trade batches in their compact form when they have one
 * (trade-batch-codec.ts), everything else as JSON. Both buses encode through here.
 */
export function encodeText<T>(topic: Topic<T>, data: T): string {
  if (carriesTradeBatches(topic)) {
    const compact = encodeCompactTradeBatch(data);
    if (compact !== undefined) return compact;
  }
  return JSON.stringify(data);
}

/** encodeText as UTF-8 bytes, for the wire. */
export function encodeTopicMessage<T>(topic: Topic<T>, data: T): Uint8Array {
  // Buffer.from takes small strings from Node's pool: cheaper than a TextEncoder allocation per message.
  return Buffer.from(encodeText(topic, data), 'utf8');
}

export type Decoded<T> = { ok: true; data: T } | { ok: false; reason: string };

/** Parses and checks a payload against its topic's schema; a bad payload is reported, never thrown. */
export function decodeMessage<T>(topic: Topic<T>, bytes: Uint8Array): Decoded<T> {
  let text: string;
  try {
    // Nearly every message is ASCII, which latin1 decodes exactly and faster than the UTF-8 decoder.
    text = isAscii(bytes)
      ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
      : decoder.decode(bytes);
  } catch (err) {
    return { ok: false, reason: `not UTF-8: ${(err as Error).message}` };
  }
  return decodeJson(topic, text);
}

/**
 * The in-process bus keeps payloads as JSON text (no UTF-8 round trip) and checks the schema once per
 * stored message (`check: false` on later deliveries): its messages never leave the process, so one
 * check at the first delivery proves every copy.
 */
export function decodeJson<T>(topic: Topic<T>, text: string, check = true): Decoded<T> {
  let raw: unknown;
  if (carriesTradeBatches(topic) && text.charCodeAt(0) === COMPACT_TRADES_FIRST_BYTE) {
    const compact = decodeCompactTradeBatch(text);
    if (!compact.ok) return compact;
    raw = compact.value;
  } else {
    try {
      raw = JSON.parse(text);
    } catch (err) {
      return { ok: false, reason: `not JSON: ${(err as Error).message}` };
    }
  }
  if (!check) return { ok: true, data: raw as T };
  // The hot topic's hand-written check only ever accepts what its schema accepts; zod decides the rest.
  const fast = fastChecks.get(topic.schema);
  if (fast?.(raw)) return { ok: true, data: raw as T };
  const parsed = topic.schema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    return {
      ok: false,
      reason: `schema ${topic.name}: ${first?.path.join('.') || '(root)'} ${first?.message ?? ''}`.trim(),
    };
  }
  return { ok: true, data: parsed.data };
}

/** Topics whose messages are trade batches (market.trades), which have a compact form. */
function carriesTradeBatches(topic: Topic<unknown>): boolean {
  return (topic.schema as unknown) === tradeBatchSchema;
}

/** Hand-written equivalents of hot topics' schemas (see trade-batch-check.ts), keyed by the schema. */
const fastChecks = new Map<unknown, (value: unknown) => boolean>([[tradeBatchSchema, isValidTradeBatch]]);

/** Redelivery delay after a handler failed: exponential, capped by the consumer's ack wait. */
export function redeliveryDelayMs(deliveryCount: number, ackWaitMs: number): number {
  return Math.min(ackWaitMs, 100 * 2 ** Math.min(deliveryCount - 1, 10));
}
