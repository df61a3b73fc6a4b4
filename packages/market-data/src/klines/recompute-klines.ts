import {
  addDecimal,
  compareDecimal,
  type Kline,
  type KlineInterval,
  mulDecimal,
  parseScaled,
  scaleOf,
  type Trade,
} from '@qt/shared';
import { intervalMs } from './intervals.ts';
import { sortsBefore } from './trade-order.ts';
import { formatVolume } from './volume-format.ts';

interface Acc {
  venue: string;
  symbol: string;
  openTime: number;
  first: Trade;
  last: Trade;
  high: string;
  low: string;
  base: string;
  quote: string;
  buy: string;
  count: number;
}

function before(a: Trade, b: Trade): boolean {
  return a.exchangeTime !== b.exchangeTime
    ? a.exchangeTime < b.exchangeTime
    : sortsBefore(a.tradeId, b.tradeId);
}

function exact(sum: string): string {
  return formatVolume(parseScaled(sum, scaleOf(sum)), scaleOf(sum));
}

/**
 * The batch reference: the closed candles of `interval` that `trades` make, one per (venue, symbol,
 * interval with at least one trade), sorted by venue, symbol and open time. Deliberately simple and
 * independent of the live aggregator (string decimals, no integer units, no state): property tests
 * hold the aggregator to it, and storage tests hold stored candles to it over stored trades. Empty
 * intervals have no candle (gaps), as in the aggregator.
 */
export function recomputeKlines(trades: Iterable<Trade>, interval: KlineInterval): Kline[] {
  const ms = intervalMs[interval];
  const byKey = new Map<string, Acc>();
  for (const t of trades) {
    const openTime = t.exchangeTime - (t.exchangeTime % ms);
    const key = `${t.venue}\u0000${t.symbol}\u0000${openTime}`;
    const notional = mulDecimal(t.price, t.quantity);
    const acc = byKey.get(key);
    if (!acc) {
      byKey.set(key, {
        venue: t.venue,
        symbol: t.symbol,
        openTime,
        first: t,
        last: t,
        high: t.price,
        low: t.price,
        base: t.quantity,
        quote: notional,
        buy: t.takerSide === 'buy' ? t.quantity : '0',
        count: 1,
      });
      continue;
    }
    if (before(t, acc.first)) acc.first = t;
    if (before(acc.last, t)) acc.last = t;
    const hi = compareDecimal(t.price, acc.high);
    if (hi > 0 || (hi === 0 && sortsBefore(t.price, acc.high))) acc.high = t.price;
    const lo = compareDecimal(t.price, acc.low);
    if (lo < 0 || (lo === 0 && sortsBefore(t.price, acc.low))) acc.low = t.price;
    acc.base = addDecimal(acc.base, t.quantity);
    acc.quote = addDecimal(acc.quote, notional);
    if (t.takerSide === 'buy') acc.buy = addDecimal(acc.buy, t.quantity);
    acc.count += 1;
  }
  const out: Kline[] = [];
  for (const a of byKey.values()) {
    out.push({
      venue: a.venue,
      symbol: a.symbol,
      interval,
      openTime: a.openTime,
      closeTime: a.openTime + ms - 1,
      open: a.first.price,
      high: a.high,
      low: a.low,
      close: a.last.price,
      baseVolume: exact(a.base),
      quoteVolume: exact(a.quote),
      takerBuyBaseVolume: exact(a.buy),
      tradeCount: a.count,
      closed: true,
    });
  }
  return out.sort(compareKlines);
}

/** Venue, symbol, interval length, open time: the order `recomputeKlines` returns. */
export function compareKlines(a: Kline, b: Kline): number {
  if (a.venue !== b.venue) return a.venue < b.venue ? -1 : 1;
  if (a.symbol !== b.symbol) return a.symbol < b.symbol ? -1 : 1;
  if (a.interval !== b.interval) return intervalMs[a.interval] - intervalMs[b.interval];
  return a.openTime - b.openTime;
}
