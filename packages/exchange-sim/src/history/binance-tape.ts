import { formatFixed, formatPadded8 } from '../decimal-format.ts';
import type { TradeHistory } from '../server/trade-history.ts';
import { MINUTE_MS, type SimCandles } from './sim-candles.ts';
import { minuteTrades } from './sim-trades.ts';

/**
 * One Binance symbol's whole trade tape in ONE id space, as the venue has it: the generated trades of the
 * minutes before the simulator started (`minuteTrades`, aggregating to those minutes' candles), then the
 * live `@trade` stream's own trades (its REST ring). Binance trade ids only ever grow, so the generated
 * ids sit just below the live stream's first id:
 *
 *   first id of minute m = liveFirstId - (anchorMinute - m) x stride,   m < anchorMinute
 *
 * with `stride` the most trades a generated minute can hold (plus one), so minutes never overlap and the
 * minute of an id is found by division. Ids between a minute's last trade and the next minute's first
 * never existed (Binance's ids have no such holes, but a client paging by `fromId` cannot tell). Ids
 * would reach 0 `liveFirstId / stride` minutes before the start (years at the default rate): the symbol
 * has no trades before then, as a market has none before its listing. All of it is a function of
 * (seed, start time), so the same minute always has the same ids for one simulator run, and
 * `historicalTrades`, `aggTrades` and the live stream agree on every id.
 */
export interface TapeTrade {
  id: number;
  time: number;
  ticks: number;
  lots: number;
  buy: boolean;
}

export class BinanceTape {
  readonly #gen: SimCandles;
  readonly #ring: TradeHistory;
  /** The live stream's first trade id: every generated id is below it. */
  readonly liveFirstId: number;
  /** The minute the simulator started in: generated minutes are the ones before it. */
  readonly #anchorMinute: number;
  readonly #stride: number;
  /** The oldest minute whose ids are all >= 1. */
  readonly #firstMinute: number;

  constructor(gen: SimCandles, ring: TradeHistory, liveFirstId: number, anchorMs: number) {
    this.#gen = gen;
    this.#ring = ring;
    this.liveFirstId = liveFirstId;
    this.#anchorMinute = Math.floor(anchorMs / MINUTE_MS);
    this.#stride = gen.maxTradesPerMinute + 1;
    this.#firstMinute = this.#anchorMinute - Math.floor((liveFirstId - 1) / this.#stride);
  }

  /**
   * Whether a `historicalTrades` from `id` starts in the generated minutes: below the live stream's first
   * id and below everything the ring holds (after the id-reset fault the ring's ids restart low: those
   * belong to the ring's own route).
   */
  startsBeforeLive(id: number): boolean {
    return id < this.liveFirstId && (this.#ring.size === 0 || id < this.#ring.at(0).id);
  }

  /** The generated trades of minute `m` (before the start), with their tape ids. */
  #minute(m: number): TapeTrade[] {
    const firstId = this.liveFirstId - (this.#anchorMinute - m) * this.#stride;
    return minuteTrades(this.#gen.candle(m * MINUTE_MS), firstId);
  }

  /** The generated minute holding id `id` (< liveFirstId), never before the first minute. */
  #minuteOf(id: number): number {
    const m = this.#anchorMinute - Math.ceil((this.liveFirstId - id) / this.#stride);
    return Math.max(this.#firstMinute, m);
  }

  #ringTrade(k: number): TapeTrade {
    const t = this.#ring.at(k);
    return { id: t.id, time: t.time, ticks: t.price, lots: t.lots, buy: t.buy };
  }

  /** Every trade with id >= `id`, ascending. */
  *fromId(id: number): Generator<TapeTrade> {
    if (id < this.liveFirstId) {
      for (let m = this.#minuteOf(id); m < this.#anchorMinute; m += 1)
        for (const t of this.#minute(m)) if (t.id >= id) yield t;
    }
    for (let k = this.#ring.lowerBound(id); k < this.#ring.size; k += 1) yield this.#ringTrade(k);
  }

  /** Every trade at or after `ms`, ascending (time and id grow together). */
  *fromTime(ms: number): Generator<TapeTrade> {
    const anchorOpen = this.#anchorMinute * MINUTE_MS;
    if (ms < anchorOpen) {
      const first = Math.max(this.#firstMinute, Math.floor(ms / MINUTE_MS));
      for (let m = first; m < this.#anchorMinute; m += 1)
        for (const t of this.#minute(m)) if (t.time >= ms) yield t;
    }
    // The ring is in time order (frames are stamped by a clock that does not go back).
    let lo = 0;
    let hi = this.#ring.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#ring.at(mid).time < ms) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo; k < this.#ring.size; k += 1) yield this.#ringTrade(k);
  }

  /** The newest `limit` trades, ascending. */
  newest(limit: number): TapeTrade[] {
    const out: TapeTrade[] = [];
    for (let k = this.#ring.size - 1; k >= 0 && out.length < limit; k -= 1) out.push(this.#ringTrade(k));
    for (let m = this.#anchorMinute - 1; m >= this.#firstMinute && out.length < limit; m -= 1) {
      const trades = this.#minute(m);
      for (let i = trades.length - 1; i >= 0 && out.length < limit; i -= 1) out.push(trades[i] as TapeTrade);
    }
    return out.reverse();
  }
}

/** An `aggTrades` row: consecutive trades at one time, price and side, `f`..`l`. */
export interface TapeAggregate {
  first: TapeTrade;
  lastId: number;
  lots: number;
}

/**
 * Groups consecutive trades of one time, price and side into aggregates (Binance aggregates the fills
 * of one taker order at one price; the ring keeps no order, so fills of two orders in one frame at one
 * price merge here), taking trades while `keep` holds, at most `limit` aggregates.
 */
export function aggregate(
  trades: Iterable<TapeTrade>,
  limit: number,
  keep: (t: TapeTrade) => boolean,
): TapeAggregate[] {
  const out: TapeAggregate[] = [];
  let open: TapeAggregate | null = null;
  for (const t of trades) {
    if (!keep(t)) break;
    if (open && t.time === open.first.time && t.ticks === open.first.ticks && t.buy === open.first.buy) {
      open.lastId = t.id;
      open.lots += t.lots;
      continue;
    }
    if (open) out.push(open);
    if (out.length >= limit) return out;
    open = { first: t, lastId: t.id, lots: t.lots };
  }
  if (open && out.length < limit) out.push(open);
  return out;
}

/**
 * Aggregate ids are their own id space, as on Binance where `a` and the trade id `t` are separate
 * counters: here `a` = the first trade id `f` + this offset, unique and growing as Binance's are, so an
 * `aggTrades?fromId=` maps back to a trade id by subtraction. (The simulator's `@aggTrade` stream counts
 * its own ids; nothing stores those.)
 */
export const AGG_ID_OFFSET = 1_000_000_000_000;

/** `{"a","p","q","f","l","T","m","M"}`. */
export function aggTradeRow(a: TapeAggregate, priceDecimals: number, lotDecimals: number): string {
  const t = a.first;
  return `{"a":${t.id + AGG_ID_OFFSET},"p":"${formatPadded8(t.ticks, priceDecimals)}","q":"${formatPadded8(a.lots, lotDecimals)}","f":${t.id},"l":${a.lastId},"T":${t.time},"m":${!t.buy},"M":true}`;
}

/** `{"id","price","qty","quoteQty","time","isBuyerMaker","isBestMatch"}`, as the live ring's route prints. */
export function historicalTradeRow(t: TapeTrade, priceDecimals: number, lotDecimals: number): string {
  const quote = bigFixed(BigInt(t.ticks) * BigInt(t.lots), priceDecimals + lotDecimals);
  return `{"id":${t.id},"price":"${formatPadded8(t.ticks, priceDecimals)}","qty":"${formatPadded8(t.lots, lotDecimals)}","quoteQty":"${quote}","time":${t.time},"isBuyerMaker":${!t.buy},"isBestMatch":true}`;
}

/** `units` x 10^-decimals, exact for any size, trailing zeros kept (as Binance prints quote volumes). */
export function bigFixed(units: bigint, decimals: number): string {
  if (units <= BigInt(Number.MAX_SAFE_INTEGER)) return formatFixed(Number(units), decimals);
  const s = units.toString().padStart(decimals + 1, '0');
  return decimals === 0 ? s : `${s.slice(0, s.length - decimals)}.${s.slice(s.length - decimals)}`;
}
