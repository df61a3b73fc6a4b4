/**
 * Binance Spot REST trade history (REST API doc, mid 2026): `GET /api/v3/historicalTrades?symbol=
 * &fromId=&limit=`, weight 25, at most 1000 trades a call, oldest first from `fromId`; the IP's weight
 * in the current minute comes back in `X-MBX-USED-WEIGHT-1M` (limit 6000 per minute). Items:
 * `{"id","price","qty","quoteQty","time","isBuyerMaker","isBestMatch"}`: `isBuyerMaker` true means the
 * taker sold. Ids are the same as the `@trade` stream's `t`, so a gap in those is fetched here by id.
 * With the `@aggTrade` stream the stored ids are aggregate ids `a` while its gaps are in trade ids
 * `f`..`l`: repaired trades stored one per trade id would collide with (or duplicate) the live rows, so in
 * that mode the source refuses (`byId: false`, `notById: 'aggregate-ids'`) and fetches nothing.
 */
import { AppError, type Trade } from '@qt/shared';
import { RestBudget } from '../rest/rest-budget.ts';
import { restTradeSource } from '../rest/rest-trade-source.ts';
import type { RestHistoryOptions, TradeHistorySource } from '../rest/trade-history.ts';
import type { VenueAdapter } from '../venue-adapter.ts';
import { isDecimal, isRecord } from '../wire-helpers.ts';

const pageLimit = 1000;
const weight = 25;

/** Binance's published REST weight limit: 6000 per minute per IP. */
export function binanceRestBudget(share = 0.5): RestBudget {
  return new RestBudget({ capacity: 6000, windowMs: 60_000, share });
}

export interface BinanceTradeHistoryOptions extends RestHistoryOptions {
  /** The live feed's trade stream (the adapter's `tradeStream`); default `trade`. */
  tradeStream?: 'trade' | 'aggTrade';
}

export function binanceTradeHistory(
  adapter: Pick<VenueAdapter, 'toVenueSymbol'>,
  opts: BinanceTradeHistoryOptions,
): TradeHistorySource {
  if (opts.tradeStream === 'aggTrade') {
    return {
      venue: 'binance',
      byId: false,
      notById: 'aggregate-ids',
      // Nothing is fetched: the whole range stays missing (see the header).
      fetchRange: async (_symbol, range) => ({ trades: [], missing: [range], requests: 0, throttled: 0 }),
    };
  }
  return restTradeSource('binance', true, adapter, opts, async ({ symbol, venueSymbol, range, get, now }) => {
    const trades: Trade[] = [];
    const ids: number[] = [];
    let from = range.fromId;
    while (from <= range.toId) {
      const limit = Math.min(pageLimit, range.toId - from + 1);
      const body = await get(
        `/api/v3/historicalTrades?symbol=${encodeURIComponent(venueSymbol)}&fromId=${from}&limit=${limit}`,
        { weight, usedWeightHeader: 'x-mbx-used-weight-1m' },
      );
      if (!Array.isArray(body))
        throw new AppError('SERVICE_UNAVAILABLE', 'Binance historicalTrades: not an array.');
      const receiveTime = now();
      let last = -1;
      for (const item of body) {
        if (!isRecord(item)) continue;
        const { id, price, qty, time, isBuyerMaker } = item;
        if (
          typeof id !== 'number' ||
          !isDecimal(price) ||
          !isDecimal(qty) ||
          typeof time !== 'number' ||
          typeof isBuyerMaker !== 'boolean'
        )
          throw new AppError('SERVICE_UNAVAILABLE', 'Binance historicalTrades: malformed trade.', { item });
        last = Math.max(last, id);
        if (id < from || id > range.toId || (ids.length > 0 && id <= (ids[ids.length - 1] as number)))
          continue;
        ids.push(id);
        trades.push({
          venue: 'binance',
          symbol,
          venueSymbol,
          tradeId: String(id),
          price,
          quantity: qty,
          takerSide: isBuyerMaker ? 'sell' : 'buy',
          exchangeTime: time,
          receiveTime,
        });
      }
      // Nothing at or after `from`: the venue has no such trades (yet); the rest stays missing.
      if (last < from) break;
      from = last + 1;
    }
    return { trades, ids };
  });
}
