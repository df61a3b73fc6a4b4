import {
  binanceTradeHistory,
  bybitTradeHistory,
  okxTradeHistory,
  type TradeHistorySource,
} from '@qt/market-data';
import type { VenueEndpoints } from '../ingest/feed-supervisor.ts';
import { restBudgetOf } from '../venue-endpoints.ts';

/**
 * One REST trade-history source per venue, at the venue's REST bases (the simulator's in simulator
 * mode), on the urgent lane of the venue's one shared REST budget (`restBudgetOf`: half the venue's
 * published limit, shared with depth snapshots and, behind them, backfill). `binanceTradeStream` must be the Binance feed's stream: with `aggTrade`
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
    const budget = restBudgetOf(v).lane('urgent');
    switch (adapter.venue) {
      case 'binance':
        out.set(
          'binance',
          binanceTradeHistory(adapter, {
            restEndpoints,
            budget,
            tradeStream: opts.binanceTradeStream ?? 'trade',
          }),
        );
        break;
      case 'okx':
        out.set('okx', okxTradeHistory(adapter, { restEndpoints, budget }));
        break;
      case 'bybit':
        out.set('bybit', bybitTradeHistory(adapter, { restEndpoints, budget }));
        break;
    }
  }
  return out;
}
