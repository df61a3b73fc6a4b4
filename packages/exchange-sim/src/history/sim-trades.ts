import { MINUTE_MS, type SimCandle } from './sim-candles.ts';

/**
 * The trades of one historical minute, derived from that minute's candle and nothing else, so they are a
 * pure function of (seed, venue, symbol, minute) as the candle is, and a resumed backfill stores exactly
 * what a single run would. They aggregate to the candle where the model allows:
 *
 * - count = the candle's trade count; base volume (lots) = the candle's exactly (every trade >= 1 lot);
 * - the first trade is at the open, the last at the close; with 4 or more trades one is at the high and
 *   another at the low, so open/high/low/close all match; with fewer, every price still lies within
 *   [low, high];
 * - taker-buy lots are assigned greedily up to the candle's `buyLots` (at most it, usually equal);
 * - the quote volume is the trades' own sum of price x lots (the candle's is a VWAP estimate, so the two
 *   differ a little: an aggregate of these trades is the more exact one).
 *
 * Ids: `firstId` + k. By default minute x 10,000 + k (a minute holds at most 9,000 trades), far above
 * every live stream's ids (< 10^10), the OKX history's own range. Binance passes ids just below its live
 * stream's (`BinanceTape`), so history and live trades share one id space there.
 */
export interface SimHistoryTrade {
  id: number;
  time: number;
  ticks: number;
  lots: number;
  buy: boolean;
}

export const HISTORY_IDS_PER_MINUTE = 10_000;
/** History ids are at least this (minute 10^7 is in 1989). */
export const HISTORY_ID_FLOOR = 10_000_000 * HISTORY_IDS_PER_MINUTE;

/** Uniform on [0, 1) from a 32-bit mix of the inputs (murmur3 finaliser). */
function unit(a: number, b: number, c: number): number {
  let h = (a ^ Math.imul(b, 0x9e3779b1) ^ Math.imul(c, 0x85ebca6b)) | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

export function minuteTrades(
  c: SimCandle,
  firstId = Math.floor(c.openTime / MINUTE_MS) * HISTORY_IDS_PER_MINUTE,
): SimHistoryTrade[] {
  const n = Math.min(HISTORY_IDS_PER_MINUTE - 1, Math.max(1, c.trades));
  const minute = Math.floor(c.openTime / MINUTE_MS);
  // The candle itself seeds the draws: same candle, same trades.
  const key = (minute ^ Math.imul(c.open, 31) ^ Math.imul(c.close, 17) ^ c.lots) | 0;
  const hiAt = n >= 4 ? 1 + Math.floor(unit(key, 1, 0) * (n - 2)) : -1;
  let loAt = n >= 4 ? 1 + Math.floor(unit(key, 2, 0) * (n - 3)) : -1;
  if (loAt >= hiAt && loAt >= 0) loAt += 1;
  // Lots: one each, the rest split by random weights; the remainder of the rounding goes to the last.
  const weights: number[] = [];
  let sum = 0;
  for (let k = 0; k < n; k += 1) {
    const w = unit(key, 3, k) + 1e-9;
    weights.push(w);
    sum += w;
  }
  const spare = Math.max(0, c.lots - n);
  const out: SimHistoryTrade[] = [];
  let lotsLeft = c.lots;
  let buyLeft = c.buyLots;
  for (let k = 0; k < n; k += 1) {
    const lots = k === n - 1 ? Math.max(1, lotsLeft) : 1 + Math.floor((spare * (weights[k] as number)) / sum);
    lotsLeft -= lots;
    let ticks: number;
    if (k === 0) ticks = c.open;
    else if (k === n - 1) ticks = c.close;
    else if (k === hiAt) ticks = c.high;
    else if (k === loAt) ticks = c.low;
    else ticks = c.low + Math.floor(unit(key, 4, k) * (c.high - c.low + 1));
    const buy = lots <= buyLeft && unit(key, 5, k) < 0.9;
    if (buy) buyLeft -= lots;
    // Spread over the minute in id order: trade k at a random point of the k-th of n equal slices.
    const time = c.openTime + Math.floor(((k + unit(key, 6, k)) * MINUTE_MS) / n);
    out.push({ id: firstId + k, time, ticks, lots, buy });
  }
  return out;
}
