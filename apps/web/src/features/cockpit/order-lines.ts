import {
  compareDecimal,
  type FillView,
  formatScaled,
  type Kline,
  type OrderView,
  type PositionView,
  parseScaled,
  subtractDecimal,
} from '@qt/shared';
import { formatDecimal } from '../markets/decimal-text';

/**
 * What the Trade chart draws over the candles: the account's open orders, its position's average entry
 * and its fills. Built here from the same cached queries the panels read (no data of its own), as exact
 * decimal strings; the chart turns prices into pixels only to draw.
 */

export type OrderLineKind = 'limit' | 'stop' | 'entry';

export interface OrderLine {
  /** Stable per order (or `entry`), for the chart's graphic ids. */
  id: string;
  orderId: string | null;
  kind: OrderLineKind;
  side: 'buy' | 'sell';
  /** Where the line is drawn: the limit price, a stop's trigger, or the average entry. */
  price: string;
  /** Remaining quantity (orders) or the position's size. */
  quantity: string;
  label: string;
  color: string;
  /** Only a plain limit order can be dragged to a new price (the engine's amend moves limit orders). */
  draggable: boolean;
}

export interface FillPoint {
  id: string;
  /** Index of the candle the fill falls in, among the candles drawn. */
  index: number;
  price: number;
  side: 'buy' | 'sell';
}

/** What the chart needs: lines, fills, and what to call when a limit order's line is dropped. */
export interface CockpitLayer {
  lines: readonly OrderLine[];
  fills: readonly FillView[];
  tickSize: string;
  onOrderMove?: ((line: OrderLine, price: string) => void) | undefined;
}

export interface Precision {
  price: number;
  size: number;
}

export const lineColors = {
  buy: '#34d399',
  sell: '#fb7185',
  stop: '#f472b6',
  profit: '#34d399',
  loss: '#fb7185',
  flat: '#a1a1aa',
} as const;

const sideText = (side: 'buy' | 'sell') => (side === 'buy' ? 'Buy' : 'Sell');

/** "Buy 0.010 @ 64,000.0": the words of a line label and of the move confirmation. */
export function orderText(side: 'buy' | 'sell', quantity: string, price: string, d: Precision): string {
  return `${sideText(side)} ${formatDecimal(quantity, d.size)} @ ${formatDecimal(price, d.price)}`;
}

/** The confirmation asked before a dragged line is sent: "Move buy 0.010 @ 64,000.0 to 63,800.0?". */
export function moveQuestion(line: OrderLine, price: string, d: Precision): string {
  const from = orderText(line.side, line.quantity, line.price, d);
  return `Move ${from.charAt(0).toLowerCase()}${from.slice(1)} to ${formatDecimal(price, d.price)}?`;
}

function signed(value: string, decimals: number): string {
  const rounded = formatScaled(parseScaled(value, decimals, 'halfUp'), decimals, decimals);
  const text = formatDecimal(rounded, decimals);
  return compareDecimal(rounded, '0') > 0 ? `+${text}` : text;
}

/**
 * The lines of one market: open orders (limit at its price, stops at their trigger) and the position's
 * average entry with its unrealized PnL in the quote currency.
 */
export function orderLinesOf(params: {
  orders: readonly OrderView[];
  position: PositionView | undefined;
  venue: string;
  symbol: string;
  quote: string;
  precision: Precision;
}): OrderLine[] {
  const { venue, symbol, precision: d } = params;
  const out: OrderLine[] = [];
  for (const o of params.orders) {
    if (o.venue !== venue || o.symbol !== symbol) continue;
    if (o.status !== 'new' && o.status !== 'partially_filled') continue;
    const remaining = subtractDecimal(o.quantity, o.filledQuantity);
    if (o.type === 'limit' && o.price) {
      out.push({
        id: `order-${o.id}`,
        orderId: o.id,
        kind: 'limit',
        side: o.side,
        price: o.price,
        quantity: remaining,
        label: `${orderText(o.side, remaining, o.price, d)} · limit`,
        color: lineColors[o.side],
        draggable: true,
      });
    } else if ((o.type === 'stop_market' || o.type === 'stop_limit') && o.stopPrice) {
      const limit = o.type === 'stop_limit' && o.price ? ` → limit ${formatDecimal(o.price, d.price)}` : '';
      out.push({
        id: `order-${o.id}`,
        orderId: o.id,
        kind: 'stop',
        side: o.side,
        price: o.stopPrice,
        quantity: remaining,
        label: `${sideText(o.side)} ${formatDecimal(remaining, d.size)} · stop ${formatDecimal(o.stopPrice, d.price)}${limit}`,
        color: lineColors.stop,
        draggable: false,
      });
    }
  }
  const p = params.position;
  if (p && p.venue === venue && p.symbol === symbol && p.averageEntryPrice !== null) {
    const qty = p.quantity.startsWith('-') ? p.quantity.slice(1) : p.quantity;
    if (compareDecimal(qty, '0') > 0) {
      const pnl = p.unrealizedPnl;
      const tone = pnl === null ? 0 : compareDecimal(pnl, '0');
      const entry = formatScaled(parseScaled(p.averageEntryPrice, d.price, 'halfUp'), d.price, d.price);
      out.push({
        id: 'entry',
        orderId: null,
        kind: 'entry',
        side: p.quantity.startsWith('-') ? 'sell' : 'buy',
        price: p.averageEntryPrice,
        quantity: qty,
        label: `Entry ${formatDecimal(qty, d.size)} @ ${formatDecimal(entry, d.price)} · PnL ${
          pnl === null ? '—' : `${signed(pnl, 2)} ${params.quote}`
        }`,
        color: tone > 0 ? lineColors.profit : tone < 0 ? lineColors.loss : lineColors.flat,
        draggable: false,
      });
    }
  }
  return out;
}

/**
 * Fills of one market placed on the candles drawn: each at the candle whose open time is the last one at
 * or before the fill (binary search; candles are in time order). Fills before the first candle are left
 * out (they are off the chart).
 */
export function fillPointsOf(
  fills: readonly FillView[],
  venue: string,
  symbol: string,
  candles: readonly Pick<Kline, 'openTime'>[],
): FillPoint[] {
  const out: FillPoint[] = [];
  const first = candles[0];
  if (!first) return out;
  for (const f of fills) {
    if (f.venue !== venue || f.symbol !== symbol || f.time < first.openTime) continue;
    let lo = 0;
    let hi = candles.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((candles[mid]?.openTime ?? Number.POSITIVE_INFINITY) <= f.time) lo = mid;
      else hi = mid - 1;
    }
    out.push({ id: f.id, index: lo, price: Number(f.price), side: f.side });
  }
  return out;
}
