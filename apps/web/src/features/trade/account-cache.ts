import type { FillView, OrderView } from '@qt/shared';

/** Fills and closed orders the panels keep; the engine pages further back on request. */
export const RECENT_LIMIT = 50;

export const isOpenStatus = (status: OrderView['status']) =>
  status === 'new' || status === 'partially_filled';

/** The open-orders list after one update: replaced or added while open, dropped once done; newest first. */
export function upsertOpenOrder(list: readonly OrderView[], order: OrderView): OrderView[] {
  const i = list.findIndex((o) => o.id === order.id);
  const current = i >= 0 ? list[i] : undefined;
  // Updates can overtake each other (HTTP answer vs push); an older view never replaces a newer one.
  if (current && current.updatedAt > order.updatedAt) return [...list];
  const rest = list.filter((o) => o.id !== order.id);
  if (!isOpenStatus(order.status)) return rest;
  return [order, ...rest].sort((a, b) => b.createdAt - a.createdAt);
}

/** The fills list with one more, newest first, each fill once. */
export function prependFill(list: readonly FillView[], fill: FillView, size = RECENT_LIMIT): FillView[] {
  if (list.some((f) => f.id === fill.id)) return [...list];
  return [fill, ...list].sort((a, b) => b.time - a.time).slice(0, size);
}
