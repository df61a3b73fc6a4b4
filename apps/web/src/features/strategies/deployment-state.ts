import type { DeploymentState, DeploymentView, InstrumentRef, StrategyLogLineView } from '@qt/shared';
import type { BadgeTone } from '@/components/ui/badge';

export const deploymentTones: Record<DeploymentState, BadgeTone> = {
  starting: 'blue',
  running: 'green',
  paused: 'amber',
  stopped: 'neutral',
  failed: 'red',
};

/** Which controls a deployment in `state` offers (the engine refuses the others anyway). */
export function deploymentActions(state: DeploymentState) {
  const live = state === 'running' || state === 'starting' || state === 'paused';
  return {
    pause: state === 'running',
    resume: state === 'paused',
    stop: live,
    // A stopped or failed deployment can be brought back with a new version or new parameters.
    redeploy: true,
  };
}

/**
 * The list after a pushed update: replaced in place if known, else added on top. Pushes are applied as
 * they come (one socket keeps them in order); `updatedAt` is not a guard, as it moves only with state
 * changes, not with the metrics pushed every few seconds.
 */
export function upsertDeployment(list: readonly DeploymentView[], next: DeploymentView): DeploymentView[] {
  const i = list.findIndex((d) => d.id === next.id);
  if (i < 0) return [next, ...list];
  const copy = [...list];
  copy[i] = next;
  return copy;
}

/** `binance:BTC-USDT, okx:ETH-USDT` */
export function instrumentsText(instruments: readonly InstrumentRef[]): string {
  return instruments.map((i) => `${i.venue}:${i.symbol}`).join(', ');
}

/** Adds an instrument unless it is already in the list. */
export function addInstrument(list: readonly InstrumentRef[], ref: InstrumentRef): InstrumentRef[] {
  return list.some((i) => i.venue === ref.venue && i.symbol === ref.symbol) ? [...list] : [...list, ref];
}

/** Lines the log panel keeps; older ones scroll off (the engine keeps its own bounded history). */
export const LOG_LINES_KEPT = 500;

const lineKey = (l: StrategyLogLineView) => `${l.time}|${l.level}|${l.message}`;

/** A log line with a key for React: its content plus how many identical lines came before it. */
export type KeyedLogLine = StrategyLogLineView & { key: string };

/**
 * History from `strategies.logs` followed by the lines pushed by `onLog`. The stream may start before
 * the history query answers, so the two can overlap at the seam: lines already shown are not repeated.
 */
export function mergeLogLines(
  history: readonly StrategyLogLineView[],
  live: readonly StrategyLogLineView[],
  keep = LOG_LINES_KEPT,
): KeyedLogLine[] {
  const inHistory = new Set(history.map(lineKey));
  const occurrences = new Map<string, number>();
  const merged: KeyedLogLine[] = [];
  const push = (line: StrategyLogLineView, key: string) => {
    const n = occurrences.get(key) ?? 0;
    occurrences.set(key, n + 1);
    merged.push({ ...line, key: `${key}#${n}` });
  };
  for (const line of history) push(line, lineKey(line));
  for (const line of live) {
    const key = lineKey(line);
    if (inHistory.has(key)) continue;
    push(line, key);
  }
  return merged.length > keep ? merged.slice(merged.length - keep) : merged;
}
