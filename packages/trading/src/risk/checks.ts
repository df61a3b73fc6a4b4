import { AMOUNT_ONE as ONE } from '../amounts.ts';
import { type RiskDecision, riskAccepted, riskRejected } from './codes.ts';
import type { RiskContext, RiskOrder } from './context.ts';
import { amount, assets, bpsOf, iso, percent } from './format.ts';
import { activeHalt } from './kill-switch.ts';
import type { ReduceOnlyState } from './risk-state.ts';

/**
 * The checks as pure functions of the order, the context and (for reduce-only) the account's state.
 * The engine runs them in `riskCheckOrder`; each answers accepted or one rejection.
 */

const abs = (v: bigint): bigint => (v < 0n ? -v : v);

export function checkKillSwitch(ctx: RiskContext): RiskDecision {
  const halt = activeHalt(ctx.killSwitch);
  if (!halt) return riskAccepted;
  const who = halt.scope === 'tenant' ? 'every account of this organisation' : 'this account';
  return riskRejected(
    'RISK_KILL_SWITCH',
    `Trading is halted for ${who} (kill switch set by ${halt.by} at ${iso(halt.at)}: "${halt.reason}"). ` +
      `No orders are accepted until an admin turns the ${halt.scope} kill switch off on the Risk page.`,
    { ...halt },
  );
}

/** Whether the order can only shrink the position, even if every open order on its side fills first. */
export function isReducing(order: RiskOrder, ctx: RiskContext): boolean {
  if (order.side === 'sell')
    return ctx.position > 0n && ctx.openSellQuantity + order.quantity <= ctx.position;
  return ctx.position < 0n && ctx.openBuyQuantity + order.quantity <= -ctx.position;
}

export function checkReduceOnly(
  order: RiskOrder,
  ctx: RiskContext,
  reduceOnly: ReduceOnlyState | null,
  until: number,
): RiskDecision {
  if (!reduceOnly || isReducing(order, ctx)) return riskAccepted;
  const { base } = assets(order.symbol);
  const room =
    ctx.position > 0n
      ? `a sell of at most ${amount(ctx.position - ctx.openSellQuantity)} ${base}`
      : ctx.position < 0n
        ? `a buy of at most ${amount(-ctx.position - ctx.openBuyQuantity)} ${base}`
        : `nothing on ${order.symbol}, where you hold no position`;
  const limit = ctx.limits.maxDailyLossBps;
  return riskRejected(
    'RISK_REDUCE_ONLY',
    `This account is reduce-only until ${iso(until)}: equity fell ${percent(reduceOnly.lossBps)} since 00:00 UTC, ` +
      `beyond the ${limit === null ? 'daily loss' : `${percent(limit)} daily loss`} limit. Only orders that ` +
      `reduce a position are accepted (here: ${room}); cancel open orders on the same side to make room.`,
    { cause: reduceOnly.cause, since: reduceOnly.since, until, lossBps: reduceOnly.lossBps },
  );
}

/**
 * The price an order is valued at: its limit price (limit, stop_limit), its trigger (stop_market: it
 * becomes a market order there), or the last trade price (market). Null only for a market order on an
 * instrument with no trade yet.
 */
export function referencePrice(order: RiskOrder, ctx: RiskContext): bigint | null {
  if (order.type === 'market') return ctx.lastPrice;
  if (order.type === 'stop_market') return order.stopPrice;
  return order.price;
}

export function checkReferencePrice(order: RiskOrder, ctx: RiskContext): RiskDecision {
  if (referencePrice(order, ctx) !== null) return riskAccepted;
  return riskRejected(
    'RISK_NO_REFERENCE_PRICE',
    `There is no last trade price for ${order.symbol} yet, so a market order cannot be valued or checked. ` +
      'Place a limit order instead, or wait for the first trade.',
    { symbol: order.symbol },
  );
}

/**
 * Fat-finger band: a limit order's price must lie within ±priceBandBps of the last trade price; a
 * stop-limit's limit price within the band around its stop price (the market it will meet when it
 * triggers, so stops far from today's price stay possible). A limit order on an instrument with no trade
 * yet has nothing to be compared with and passes. Exact: price x 10 000 against reference x (10 000 ± bps).
 */
export function checkPriceBand(order: RiskOrder, ctx: RiskContext): RiskDecision {
  if (order.price === null) return riskAccepted;
  const reference = order.type === 'stop_limit' ? order.stopPrice : ctx.lastPrice;
  if (reference === null) return riskAccepted;
  const band = BigInt(ctx.limits.priceBandBps);
  const scaled = order.price * 10_000n;
  const above = scaled > reference * (10_000n + band);
  const below = scaled < reference * (10_000n - band);
  if (!above && !below) return riskAccepted;
  const { quote } = assets(order.symbol);
  const what = order.type === 'stop_limit' ? 'its stop price' : 'the last trade price';
  const deviation = bpsOf(abs(order.price - reference), reference);
  return riskRejected(
    'RISK_PRICE_BAND',
    `Your ${order.side} limit price ${amount(order.price)} ${quote} is ${percent(deviation)} ${above ? 'above' : 'below'} ` +
      `${what} ${amount(reference)} ${quote}; prices must be within ±${percent(band)} of it. Check the price ` +
      'for a typo, or widen the price band in the risk settings.',
    {
      price: amount(order.price),
      referencePrice: amount(reference),
      reference: order.type === 'stop_limit' ? 'stop_price' : 'last_price',
      deviationBps: deviation,
      priceBandBps: ctx.limits.priceBandBps,
    },
  );
}

/** Quantity x price, both at AMOUNT_SCALE, compared exactly against a limit at AMOUNT_SCALE. */
const exceeds = (quantity: bigint, price: bigint, limit: bigint): boolean => quantity * price > limit * ONE;
const notional = (quantity: bigint, price: bigint): bigint => (quantity * price + ONE - 1n) / ONE;

export function checkOrderNotional(order: RiskOrder, ctx: RiskContext, price: bigint): RiskDecision {
  const limit = ctx.limits.maxOrderNotional;
  if (limit === null || !exceeds(order.quantity, price, limit)) return riskAccepted;
  const { quote } = assets(order.symbol);
  const value = notional(order.quantity, price);
  return riskRejected(
    'RISK_MAX_ORDER_NOTIONAL',
    `This order is worth ${amount(value)} ${quote} (${amount(order.quantity)} x ${amount(price)}), above the ` +
      `${amount(limit)} ${quote} limit per order. Split it into smaller orders, or raise the order ` +
      'notional limit in the risk settings.',
    { notional: amount(value), maxOrderNotional: amount(limit) },
  );
}

/**
 * The position if every open order on the order's side and the order itself fill, valued at the order's
 * price. Rejected only if that is above the limit and larger than the position today, so an account over
 * its limit (the limit was lowered, the price moved) can always shrink.
 */
export function checkPosition(order: RiskOrder, ctx: RiskContext, price: bigint): RiskDecision {
  const limit = ctx.limits.maxPositionNotional;
  if (limit === null) return riskAccepted;
  const worst =
    order.side === 'buy'
      ? ctx.position + ctx.openBuyQuantity + order.quantity
      : ctx.position - ctx.openSellQuantity - order.quantity;
  if (!exceeds(abs(worst), price, limit) || abs(worst) <= abs(ctx.position)) return riskAccepted;
  const { base, quote } = assets(order.symbol);
  const value = notional(abs(worst), price);
  return riskRejected(
    'RISK_MAX_POSITION',
    `This order could take your ${order.symbol} position to ${amount(worst)} ${base} (${amount(value)} ${quote} ` +
      `at ${amount(price)}, counting your open ${order.side} orders), above the ${amount(limit)} ${quote} ` +
      'position limit. Lower the quantity, cancel open orders on the same side, or raise the position limit.',
    { resultingPosition: amount(worst), notional: amount(value), maxPositionNotional: amount(limit) },
  );
}

/** Market orders and IOC/FOK limit orders never rest on the book, so they do not take an open-order slot. */
export function rests(order: RiskOrder): boolean {
  return order.type !== 'market' && !(order.type === 'limit' && order.timeInForce !== 'GTC');
}

export function checkOpenOrders(order: RiskOrder, ctx: RiskContext): RiskDecision {
  const limit = ctx.limits.maxOpenOrders;
  if (!rests(order) || ctx.openOrders < limit) return riskAccepted;
  return riskRejected(
    'RISK_MAX_OPEN_ORDERS',
    `This account already has ${ctx.openOrders} open orders, the most it may have (${limit}). Cancel some ` +
      'or wait for them to fill; market and IOC/FOK orders do not rest and are still accepted.',
    { openOrders: ctx.openOrders, maxOpenOrders: limit },
  );
}
