import { type MarketSelection, parseSelection, selectionQuery } from '../markets/market-selection';

/** The Trade screen's view: the Markets selection plus the paper account, all in the URL query. */
export interface TradeSelection {
  market: MarketSelection;
  accountId: string | null;
}

type QueryValue = string | string[] | undefined;

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function parseTradeSelection(query: Record<string, QueryValue>): TradeSelection {
  const account = Array.isArray(query.account) ? query.account[0] : query.account;
  return { market: parseSelection(query), accountId: account && uuid.test(account) ? account : null };
}

export function tradeSelectionQuery(sel: TradeSelection): string {
  const q = new URLSearchParams(selectionQuery(sel.market));
  if (sel.accountId) q.set('account', sel.accountId);
  return q.toString();
}
