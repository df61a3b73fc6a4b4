import { setImmediate as nextTurn } from 'node:timers/promises';

/** Event-loop time one slice of the state's JSON may take before the next batch gets its turn. */
export const STATE_JSON_SLICE_MS = 2;

/**
 * `JSON.stringify(state)` (same text) over several event-loop turns: the top-level arrays (markets,
 * series, alerts, ...) are written element by element, yielding whenever a slice took STATE_JSON_SLICE_MS.
 * Serialising the whole evaluator state at once stalled the loop for ~20 ms every snapshot interval at
 * 100,000 alerts, which was most of the trade -> in-app p99; sliced, a batch waits at most one slice.
 * Only for a value nothing else changes meanwhile: the evaluator's snapshot() is a private copy (its
 * only shared parts, indicator parameters, are never mutated).
 */
export async function stateJsonInSlices(
  state: object,
  sliceMs: number = STATE_JSON_SLICE_MS,
): Promise<string> {
  const parts: string[] = [];
  let sliceStart = performance.now();
  const maybeYield = async () => {
    if (performance.now() - sliceStart < sliceMs) return;
    await nextTurn();
    sliceStart = performance.now();
  };
  let firstKey = true;
  parts.push('{');
  for (const [key, value] of Object.entries(state)) {
    // As JSON.stringify: keys whose value cannot be written are left out.
    if (value === undefined || typeof value === 'function' || typeof value === 'symbol') continue;
    parts.push(`${firstKey ? '' : ','}${JSON.stringify(key)}:`);
    firstKey = false;
    if (!Array.isArray(value)) {
      parts.push(JSON.stringify(value));
      continue;
    }
    parts.push('[');
    for (let i = 0; i < value.length; i++) {
      // As JSON.stringify: an element that cannot be written is `null`.
      parts.push(`${i === 0 ? '' : ','}${JSON.stringify(value[i]) ?? 'null'}`);
      await maybeYield();
    }
    parts.push(']');
  }
  parts.push('}');
  return parts.join('');
}
