import {
  type BalanceView,
  type FillView,
  type LedgerEntryView,
  type listOrdersInput,
  notFound,
  type OrderView,
  type Page,
  type PositionView,
  type pnlSchema,
  type TenantScope,
} from '@qt/shared';
import { accountEquity, formatAmount, realizedPnl, toPositionView, unrealizedPnl } from '@qt/trading';
import type { z } from 'zod';
import { balanceViews, ownAccount } from './account-access.ts';
import { orderRowToView } from './order-rows.ts';
import { listFillRows, listLedgerRows, listOrderRows } from './trading-queries.ts';
import type { TradingState } from './trading-state.ts';

/** A page of one account's history, newest first. */
export interface PageInput {
  accountId: string;
  limit: number;
  before?: string | undefined;
}

export async function balances(
  s: TradingState,
  scope: TenantScope,
  accountId: string,
): Promise<BalanceView[]> {
  ownAccount(s, scope, accountId);
  return balanceViews(s, accountId);
}

export async function positions(
  s: TradingState,
  scope: TenantScope,
  accountId: string,
): Promise<PositionView[]> {
  ownAccount(s, scope, accountId);
  return s.book.positions.list(accountId).map((p) => toPositionView(p, s.marks.pricesFor(p.venue, p.symbol)));
}

export async function pnl(
  s: TradingState,
  scope: TenantScope,
  accountId: string,
): Promise<z.infer<typeof pnlSchema>> {
  const account = ownAccount(s, scope, accountId);
  let realized = 0n;
  let unrealized: bigint | null = 0n;
  for (const p of s.book.positions.list(accountId)) {
    realized += realizedPnl(p);
    if (p.quantity === 0n) continue;
    const mark = s.marks.last(p.venue, p.symbol);
    unrealized = mark === null || unrealized === null ? null : unrealized + unrealizedPnl(p, mark);
  }
  const equity = accountEquity(s.book.ledger.balances(accountId), account.quoteCurrency, s.marks.prices());
  return {
    quoteCurrency: account.quoteCurrency,
    equity: equity.complete ? formatAmount(equity.equity) : null,
    realizedPnl: formatAmount(realized),
    unrealizedPnl: unrealized === null ? null : formatAmount(unrealized),
    unpriced: equity.complete ? [] : [...equity.unpriced],
  };
}

export async function ledgerEntries(
  s: TradingState,
  scope: TenantScope,
  input: PageInput,
): Promise<Page<LedgerEntryView>> {
  ownAccount(s, scope, input.accountId);
  return listLedgerRows(s.db, input);
}

export async function listOrders(
  s: TradingState,
  scope: TenantScope,
  input: z.infer<typeof listOrdersInput>,
): Promise<Page<OrderView>> {
  ownAccount(s, scope, input.accountId);
  return listOrderRows(s.db, input);
}

export async function listFills(
  s: TradingState,
  scope: TenantScope,
  input: PageInput,
): Promise<Page<FillView>> {
  ownAccount(s, scope, input.accountId);
  return listFillRows(s.db, input);
}

export async function getOrder(
  s: TradingState,
  scope: TenantScope,
  input: { accountId: string; orderId: string },
): Promise<OrderView> {
  const account = ownAccount(s, scope, input.accountId);
  const row = await s.db.order.findFirst({ where: { id: input.orderId, accountId: account.id } });
  if (!row) throw notFound('Order');
  return orderRowToView(row);
}
