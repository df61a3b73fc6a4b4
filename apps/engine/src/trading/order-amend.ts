import { randomUUID } from 'node:crypto';
import type { Order } from '@qt/db';
import { type AmendOrderInput, AppError, notFound, type OrderView, type TenantScope } from '@qt/shared';
import {
  assertStorable,
  type OrderIntent,
  type OrderSnapshot,
  parseAmount,
  planOrder,
  refusalError,
  rejectionRefusal,
  remainingReservation,
  toOrderView,
} from '@qt/trading';
import { ownAccount, tenantOf } from './account-access.ts';
import { fromDecimal } from './amounts.ts';
import { applyOrHold, captured, settleRouted } from './event-application.ts';
import { place } from './order-placement.ts';
import { orderRowToView } from './order-rows.ts';
import { refuseIfHeld, unavailable } from './persistence-hold.ts';
import { riskContext } from './risk-admin.ts';
import type { AccountMeta, TenantMeta } from './risk-inputs.ts';
import type { TradingState } from './trading-state.ts';

/**
 * Moves a resting limit order to a new price as one task on the account's queue: nothing else of the
 * account runs between the cancel and the placement. Everything that could refuse the replacement and
 * can be known beforehand (tick, minimum notional, kill switch, order rate, reduce-only, price band,
 * notional and position limits, open-order count, funds) is checked BEFORE the cancel, counting the old
 * order as gone, so a refused move leaves the order exactly as it was. What remains (a database outage
 * between the two writes) is answered with `details.canceledOrderId`, so the caller knows the old order
 * is gone.
 */
export async function amendOrder(
  s: TradingState,
  scope: TenantScope,
  input: AmendOrderInput,
): Promise<OrderView> {
  const account = ownAccount(s, scope, input.accountId);
  refuseIfHeld(s, account.id);
  const tenant = await tenantOf(s, account.tenantId);
  return s.queue.runCall(account.id, async () => {
    await settleRouted(s, account.id);
    // The client id is settled before anything is canceled: the placement's own look-up comes after the
    // cancel, where a used id would answer an unrelated order as the replacement of a canceled one.
    if (input.clientOrderId !== undefined) {
      const replaced = await replacementOrConflict(s, account.id, input.orderId, input.clientOrderId);
      if (replaced) return replaced;
      await settleRouted(s, account.id); // fills the matcher made during the look-up
    }
    // From here to the cancel nothing awaits: the matcher's order and the ledger agree (settleRouted).
    const old = s.matcher.getOrder(account.id, input.orderId);
    if (!old || (old.status !== 'new' && old.status !== 'partially_filled')) {
      return notOpen(s, account.id, input);
    }
    if (old.type !== 'limit') {
      throw new AppError(
        'VALIDATION_FAILED',
        'Only a limit order can be moved to a new price; cancel this one and place a new order instead.',
        { type: old.type },
      );
    }
    const price = parseAmount(input.price);
    if (old.price === price) return toOrderView(old);

    const replacement: OrderIntent = {
      orderId: randomUUID(),
      accountId: account.id,
      clientOrderId: input.clientOrderId ?? `am.${randomUUID()}`,
      venue: old.venue,
      symbol: old.symbol,
      side: old.side,
      type: 'limit',
      timeInForce: old.timeInForce,
      postOnly: old.postOnly,
      quantity: old.quantity - old.filledQuantity,
      price,
      stopPrice: null,
      feeTier: 'default',
    };
    precheck(s, account, tenant, old, replacement);

    const events = captured(s, account.id, null, () => s.matcher.cancelOrder(account.id, old.id));
    if ((await applyOrHold(s, account.id, events)) < events.length) {
      throw unavailable(
        s,
        account.id,
        'The database is unavailable: the order was canceled (stored once the database is back) and not replaced.',
        { canceledOrderId: old.id },
      );
    }
    try {
      return await place(s, account, tenant, replacement);
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      throw new AppError(
        err.code,
        `The order was canceled but its replacement was refused: ${err.message}`,
        { ...err.details, canceledOrderId: old.id },
        { cause: err },
      );
    }
  });
}

/**
 * The order is not open in the matcher: filled, canceled or unknown. Read after the account's routed
 * events are applied (the task's `settleRouted`), so a fill that came while the call waited is in the row.
 */
async function notOpen(s: TradingState, accountId: string, input: AmendOrderInput): Promise<OrderView> {
  const row = await s.db.order.findFirst({ where: { id: input.orderId, accountId } }).catch(() => {
    throw unavailable(s, accountId, 'The database is unavailable: the order could not be read.');
  });
  if (!row) throw notFound('Order');
  const what =
    row.status === 'filled'
      ? 'filled before it could be moved'
      : `${row.status.replace('_', ' ')}, so it can no longer be moved`;
  throw new AppError('ORDER_NOT_OPEN', `This order was ${what}; nothing was changed.`, {
    status: row.status,
  });
}

/**
 * The amend's client id already names an order: the answer of a retried amend when that order is this
 * one's replacement, refused (ORDER_DUPLICATE_ID, nothing changed) when it is any other order, this one
 * included. Null when the id is free.
 */
async function replacementOrConflict(
  s: TradingState,
  accountId: string,
  orderId: string,
  clientOrderId: string,
): Promise<OrderView | null> {
  const [old, used] = await Promise.all([
    s.db.order.findFirst({ where: { id: orderId, accountId } }),
    s.db.order.findUnique({ where: { accountId_clientOrderId: { accountId, clientOrderId } } }),
  ]).catch(() => {
    throw unavailable(s, accountId, 'The database is unavailable: the order was not moved.');
  });
  if (!used) return null;
  if (old && isReplacementOf(used, old)) return orderRowToView(used);
  throw new AppError(
    'ORDER_DUPLICATE_ID',
    'This client order id is already used by another order: nothing was changed. Use a new id for each move.',
    { clientOrderId, orderId: used.id },
  );
}

/**
 * Whether `next` is what an amend of `old` placed: no column links the two, so it is recognised by what
 * the amend gives it (same market and side, a limit for what was left, placed once `old` was canceled).
 */
function isReplacementOf(next: Order, old: Order): boolean {
  return (
    next.id !== old.id &&
    old.status === 'canceled' &&
    next.type === 'limit' &&
    next.venue === old.venue &&
    next.symbol === old.symbol &&
    next.side === old.side &&
    next.createdAt.getTime() >= old.updatedAt.getTime() &&
    fromDecimal(next.quantity) === fromDecimal(old.quantity) - fromDecimal(old.filledQuantity)
  );
}

/**
 * The replacement as the placement after the cancel will judge it, with the old order counted as gone:
 * the matcher's admission now (lot, tick, minimum notional, a post-only limit that would take at its top:
 * otherwise the chart's drag across the spread would cancel the order and place nothing), then the same
 * plan the placement runs (risk without taking an order-rate slot, funds with the old order's
 * reservation given back).
 */
function precheck(
  s: TradingState,
  account: AccountMeta,
  tenant: TenantMeta,
  old: OrderSnapshot,
  next: OrderIntent,
): void {
  assertStorable('price', next.price);
  const refused = s.matcher.admissionRefusal(next);
  if (refused !== null) throw refusalError(rejectionRefusal(refused));
  const released = s.book.ledger.order(old.id);
  const plan = planOrder(next, {
    ledger: s.book.ledger,
    risk: s.risk,
    riskContext: riskContext(s, account, tenant, next, old.id),
    prices: s.prices,
    takerFeeRate: s.fees.rates(next.venue, next.feeTier).taker,
    maxSlippageBps: s.maxSlippageBps,
    time: s.clock.now(),
    releasing: released ? remainingReservation(released) : 0n,
  });
  if (!plan.ok) throw refusalError(plan.refusal);
}
