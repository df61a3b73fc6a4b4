/**
 * Bybit v5 REST trades (v5 docs, mid 2026): `GET /v5/market/recent-trade?category=spot&symbol=&limit=60`
 * returns only the newest trades (spot at most 60, derivatives 1000), with no paging by id or time, and
 * 600 requests per 5 s per IP (over it: HTTP 403). Bybit's stream ids are not sequential (UUIDs on
 * derivatives), so the feed cannot detect gaps by id at all: nothing is repaired by id here. This source
 * answers a range only from the newest trades (ids compared numerically, as spot ids are numbers), so a
 * range older than those is reported missing: unrepairable.
 */
import { AppError, type Trade } from '@qt/shared';
import { RestBudget } from '../rest/rest-budget.ts';
import { restTradeSource, sortedById } from '../rest/rest-trade-source.ts';
import type { RestHistoryOptions, TradeHistorySource } from '../rest/trade-history.ts';
import type { VenueAdapter } from '../venue-adapter.ts';
import { isDecimal, isDigits, isRecord } from '../wire-helpers.ts';

/** Bybit's published IP limit: 600 requests per 5 s. */
export function bybitRestBudget(share = 0.5): RestBudget {
  return new RestBudget({ capacity: 600, windowMs: 5_000, share });
}

export function bybitTradeHistory(
  adapter: Pick<VenueAdapter, 'toVenueSymbol'>,
  opts: RestHistoryOptions,
): TradeHistorySource {
  return restTradeSource('bybit', false, adapter, opts, async ({ symbol, venueSymbol, range, get, now }) => {
    const body = await get(
      `/v5/market/recent-trade?category=spot&symbol=${encodeURIComponent(venueSymbol)}&limit=60`,
      { weight: 1 },
    );
    if (!isRecord(body) || body.retCode !== 0 || !isRecord(body.result) || !Array.isArray(body.result.list))
      throw new AppError('SERVICE_UNAVAILABLE', 'Bybit recent-trade: malformed answer.');
    const receiveTime = now();
    const found = new Map<number, Trade>();
    for (const item of body.result.list) {
      if (!isRecord(item)) continue;
      const { execId, price, size, side, time } = item;
      if (!isDigits(execId) || !isDecimal(price) || !isDecimal(size) || !isDigits(time)) continue;
      const id = Number(execId);
      if (id < range.fromId || id > range.toId) continue;
      found.set(id, {
        venue: 'bybit',
        symbol,
        venueSymbol,
        tradeId: execId,
        price,
        quantity: size,
        takerSide: side === 'Buy' ? 'buy' : 'sell',
        exchangeTime: Number(time),
        receiveTime,
      });
    }
    return sortedById(found);
  });
}
