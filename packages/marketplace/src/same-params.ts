import type { StrategyParams } from '@qt/shared';

/** The same parameter names with the same values (order of keys does not matter). */
export function sameParams(a: StrategyParams, b: StrategyParams): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}
