import type { PositionView } from '@qt/shared';
import { formatAmount as fmt } from '../amounts.ts';
import type { MarkPrices } from './equity.ts';
import { averageEntryPrice, type Position, realizedPnl, unrealizedPnl } from './position.ts';

/** A position as the API shows it; unrealized PnL and mark are null when `prices` has no mark for it. */
export function toPositionView(p: Position, prices: MarkPrices): PositionView {
  const mark = prices.get(p.symbol);
  const entry = averageEntryPrice(p);
  return {
    venue: p.venue,
    symbol: p.symbol,
    quantity: fmt(p.quantity),
    averageEntryPrice: entry === null ? null : fmt(entry),
    realizedPnl: fmt(realizedPnl(p)),
    unrealizedPnl: mark === undefined ? null : fmt(unrealizedPnl(p, mark)),
    markPrice: mark === undefined ? null : fmt(mark),
  };
}
