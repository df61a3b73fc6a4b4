/**
 * OKX v5 REST trade history (docs-v5, 2025): `GET /api/v5/market/history-trades?instId=&type=1&after=
 * &limit=100`, 20 requests per 2 s per IP, newest first; `type=1` pages by trade id, `after` returning
 * ids below it. Items `{"instId","side","sz","px","source","tradeId","ts"}` are single trades (as on
 * `trades-all`), `side` the taker's. Over the limit: HTTP 429, code 50011, no weight header.
 * The `trades` channel's rows aggregate one taker order per price (`tradeId` the last id, `count` ids);
 * a gap is a range of ids no row covered, and the repaired trades are stored one per id.
 */
import { AppError, type Trade } from '@qt/shared';
import { RestBudget } from '../rest/rest-budget.ts';
import { restTradeSource, sortedById } from '../rest/rest-trade-source.ts';
import type { RestHistoryOptions, TradeHistorySource } from '../rest/trade-history.ts';
import type { VenueAdapter } from '../venue-adapter.ts';
import { isDecimal, isDigits, isRecord } from '../wire-helpers.ts';
import { okxTrade } from './okx-parser.ts';

const pageLimit = 100;

/** OKX's published limit for history-trades: 20 requests per 2 s per IP. */
export function okxRestBudget(share = 0.5): RestBudget {
  return new RestBudget({ capacity: 20, windowMs: 2_000, share });
}

export function okxTradeHistory(
  adapter: Pick<VenueAdapter, 'toVenueSymbol'>,
  opts: RestHistoryOptions,
): TradeHistorySource {
  return restTradeSource(
    'okx',
    true,
    adapter,
    opts,
    async ({ symbol, venueSymbol: instId, range, get, now }) => {
      const found = new Map<number, Trade>();
      // Walk down from just above the range's top until below its bottom.
      let after = range.toId + 1;
      while (after > range.fromId) {
        const body = await get(
          `/api/v5/market/history-trades?instId=${encodeURIComponent(instId)}&type=1&after=${after}&limit=${pageLimit}`,
          { weight: 1 },
        );
        if (!isRecord(body) || !Array.isArray(body.data))
          throw new AppError('SERVICE_UNAVAILABLE', 'OKX history-trades: malformed answer.');
        if (body.code !== '0')
          throw new AppError('SERVICE_UNAVAILABLE', `OKX history-trades: code ${String(body.code)}.`, {
            msg: body.msg,
          });
        const receiveTime = now();
        let lowest = after;
        for (const item of body.data) {
          if (!isRecord(item)) continue;
          const { tradeId, px, sz, side, ts } = item;
          if (!isDigits(tradeId) || !isDecimal(px) || !isDecimal(sz) || !isDigits(ts))
            throw new AppError('SERVICE_UNAVAILABLE', 'OKX history-trades: malformed trade.', { item });
          if (side !== 'buy' && side !== 'sell')
            throw new AppError('SERVICE_UNAVAILABLE', 'OKX history-trades: bad side.', { item });
          const id = Number(tradeId);
          if (id < lowest) lowest = id;
          if (id < range.fromId || id > range.toId) continue;
          found.set(id, okxTrade(symbol, instId, tradeId, px, sz, side, ts, receiveTime));
        }
        // An empty page (or one that did not move down): the history ends here.
        if (lowest >= after) break;
        after = lowest;
      }
      return sortedById(found);
    },
  );
}
