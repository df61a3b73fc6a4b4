import { formatVolume, intervalMs } from '@qt/market-data';
import { addDecimal, compareDecimal, type Kline, type KlineInterval, parseScaled, scaleOf } from '@qt/shared';

/**
 * The tie rule of `recomputeKlines` and the aggregator for equal prices spelled differently ("1.5" and
 * "1.50"): the spelling that sorts first (shorter, then lexicographic) is kept.
 */
const sortsBefore = (a: string, b: string) => (a.length !== b.length ? a.length < b.length : a < b);

/** Exact decimal sum in canonical form (`recomputeKlines` formats its sums the same way). */
const exact = (sum: string) => formatVolume(parseScaled(sum, scaleOf(sum)), scaleOf(sum));

/**
 * One candle of `interval` opening at `openTime` from the finer candles inside it (stored 1m candles,
 * any order): open of the earliest, close of the latest, extreme high and low, summed volumes and counts.
 * Equal to `recomputeKlines` over the same trades, since each 1m candle already is (volumes are exact
 * decimal sums; only a quote volume needing more than 18 decimals, which both round half-to-even, could
 * differ in its 18th decimal). Candles outside the window are ignored; none inside gives no candle.
 */
export function rollUpKlines(parts: readonly Kline[], interval: KlineInterval, openTime: number): Kline[] {
  const end = openTime + intervalMs[interval];
  const inside = parts
    .filter((k) => k.openTime >= openTime && k.openTime < end && k.tradeCount > 0)
    .sort((a, b) => a.openTime - b.openTime);
  const first = inside[0];
  const last = inside[inside.length - 1];
  if (first === undefined || last === undefined) return [];
  let high = first.high;
  let low = first.low;
  let base = '0';
  let quote = '0';
  let buy = '0';
  let count = 0;
  for (const k of inside) {
    const hi = compareDecimal(k.high, high);
    if (hi > 0 || (hi === 0 && sortsBefore(k.high, high))) high = k.high;
    const lo = compareDecimal(k.low, low);
    if (lo < 0 || (lo === 0 && sortsBefore(k.low, low))) low = k.low;
    base = addDecimal(base, k.baseVolume);
    quote = addDecimal(quote, k.quoteVolume);
    buy = addDecimal(buy, k.takerBuyBaseVolume);
    count += k.tradeCount;
  }
  return [
    {
      venue: first.venue,
      symbol: first.symbol,
      interval,
      openTime,
      closeTime: end - 1,
      open: first.open,
      high,
      low,
      close: last.close,
      baseVolume: exact(base),
      quoteVolume: exact(quote),
      takerBuyBaseVolume: exact(buy),
      tradeCount: count,
      closed: true,
    },
  ];
}
