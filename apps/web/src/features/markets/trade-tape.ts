import type { Trade } from '@qt/shared';

/** Rows the trades list keeps: enough to read the tape, few enough to render at 10 fps. */
export const TAPE_SIZE = 60;

function newestFirst(a: Trade, b: Trade): number {
  return b.exchangeTime - a.exchangeTime || (a.tradeId < b.tradeId ? 1 : a.tradeId > b.tradeId ? -1 : 0);
}

/** New trades merged into the tape, newest first, each trade once, at most `size` rows. */
export function mergeTrades(tape: readonly Trade[], incoming: readonly Trade[], size = TAPE_SIZE): Trade[] {
  if (incoming.length === 0) return tape.slice(0, size);
  const seen = new Set<string>();
  const merged: Trade[] = [];
  for (const t of [...incoming].sort(newestFirst).concat(tape)) {
    if (seen.has(t.tradeId)) continue;
    seen.add(t.tradeId);
    merged.push(t);
  }
  return merged.sort(newestFirst).slice(0, size);
}
