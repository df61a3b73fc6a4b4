import {
  binanceRestBudget,
  binanceTradeHistory,
  bybitRestBudget,
  bybitTradeHistory,
  okxRestBudget,
  okxTradeHistory,
  type TradeHistorySource,
} from '@qt/market-data';
import type { VenueEndpoints } from '../ingest/feed-supervisor.ts';

/**
 * One REST trade-history source per venue, at the venue's REST bases (the simulator's in simulator
 * mode), each within half the venue's published limit (the other half is left for instruments and any
 * other client on the same IP). `binanceTradeStream` must be the Binance feed's stream: with `aggTrade`
 * the stored ids are aggregate ids, which the history by trade id cannot fill (gaps are then reported
 * unrepairable, reason `aggregate-ids`).
 */
export function tradeHistorySources(
  venues: readonly VenueEndpoints[],
  opts: { binanceTradeStream?: 'trade' | 'aggTrade' } = {},
): Map<string, TradeHistorySource> {
  const out = new Map<string, TradeHistorySource>();
  for (const v of venues) {
    const restEndpoints = v.restEndpoints;
    const adapter = v.adapter;
    switch (adapter.venue) {
      case 'binance':
        out.set(
          'binance',
          binanceTradeHistory(adapter, {
            restEndpoints,
            budget: binanceRestBudget(),
            tradeStream: opts.binanceTradeStream ?? 'trade',
          }),
        );
        break;
      case 'okx':
        out.set('okx', okxTradeHistory(adapter, { restEndpoints, budget: okxRestBudget() }));
        break;
      case 'bybit':
        out.set('bybit', bybitTradeHistory(adapter, { restEndpoints, budget: bybitRestBudget() }));
        break;
    }
  }
  return out;
}
