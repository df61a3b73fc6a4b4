import { randomUUID } from 'node:crypto';
import type { TenantScope } from '@qt/api';
import type { Order } from '@qt/db';
import {
  AMOUNT_SCALE,
  type AmendOrderInput,
  AppError,
  compareDecimal,
  formatScaled,
  type Instrument,
  mulDecimal,
  notFound,
  type OrderView,
  type PlaceOrderInput,
  parseScaled,
  scaleOf,
} from '@qt/shared';
import {
  checkKillSwitch,
  checkOpenOrders,
  checkOrderNotional,
  checkPosition,
  checkPriceBand,
  checkReduceOnly,
  type OrderSnapshot,
  orderLockPosting,
  paperAccount,
  type RiskDecision,
  remainingReservation,
  riskOrderFromInput,
  riskRejectionToAppError,
  toOrderView,
} from '@qt/trading';
import { ownAccount, tenantOf } from './account-access.ts';
import { fromDecimal } from './amounts.ts';
import { applyOrHold, captured, settleRouted } from './event-application.ts';
import { assertStorable } from './ledger-guard.ts';
import { place } from './order-placement.ts';
import { orderRowToView } from './order-rows.ts';
import { refuseIfHeld, unavailable } from './persistence-hold.ts';
import { rejectionMessage } from './rejection-messages.ts';
import type { AccountMeta, TenantMeta } from './risk-inputs.ts';
import { riskContextOf } from './risk-inputs.ts';
import type { TradingState } from './trading-state.ts';

const DAY_MS = 86_400_000;

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
  instruments: ReadonlyMap<string, Instrument>,
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
    const current = old.price === null ? null : formatScaled(old.price, AMOUNT_SCALE);
    if (current !== null && compareDecimal(current, input.price) === 0) return toOrderView(old);

    const replacement: PlaceOrderInput = {
      accountId: account.id,
      venue: old.venue,
      symbol: old.symbol,
      side: old.side,
      type: 'limit',
      quantity: formatScaled(old.quantity - old.filledQuantity, AMOUNT_SCALE),
      price: input.price,
      timeInForce: old.timeInForce,
      postOnly: old.postOnly,
      clientOrderId: input.clientOrderId ?? `am.${randomUUID()}`,
    };
    precheck(s, instruments, account, tenant, old, replacement);

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

function refuse(decision: RiskDecision): void {
  if (!decision.ok) throw riskRejectionToAppError(decision.rejection);
}

function precheck(
  s: TradingState,
  instruments: ReadonlyMap<string, Instrument>,
  account: AccountMeta,
  tenant: TenantMeta,
  old: OrderSnapshot,
  next: PlaceOrderInput,
): void {
  const price = next.price as string;
  const limit = parseScaled(price, AMOUNT_SCALE);
  assertStorable('price', limit);
  // The matcher refuses a post-only limit that would take, but only once the old order is gone: the
  // chart's drag across the spread would cancel the order and place nothing.
  if (next.postOnly) {
    const top = s.matcher.takerTop(next.venue, next.symbol, next.side);
    if (top !== null && (next.side === 'buy' ? limit >= top : limit <= top)) {
      throw new AppError('POST_ONLY_WOULD_TAKE', rejectionMessage('POST_ONLY_WOULD_TAKE'), {
        reason: 'POST_ONLY_WOULD_TAKE',
      });
    }
  }
  const instrument = instruments.get(`${next.venue}|${next.symbol}`);
  if (instrument) {
    const scale = Math.max(scaleOf(price), scaleOf(instrument.tickSize));
    const tick = parseScaled(instrument.tickSize, scale);
    if (tick > 0n && parseScaled(price, scale) % tick !== 0n) {
      throw new AppError('ORDER_INVALID_TICK', rejectionMessage('ORDER_INVALID_TICK'), {
        reason: 'ORDER_INVALID_TICK',
        tickSize: instrument.tickSize,
      });
    }
    if (compareDecimal(mulDecimal(next.quantity, price), instrument.minNotional) < 0) {
      throw new AppError('ORDER_BELOW_MIN_NOTIONAL', rejectionMessage('ORDER_BELOW_MIN_NOTIONAL'), {
        reason: 'ORDER_BELOW_MIN_NOTIONAL',
        minNotional: instrument.minNotional,
      });
    }
  }

  // The risk checks as `RiskEngine.check` runs them, on a context without the old order. The order-rate
  // window is only read here; the placement records the one new order.
  const now = s.clock.now();
  const order = riskOrderFromInput(next);
  const ctx = riskContextOf({
    account,
    tenant,
    open: [...(s.open.get(account.id)?.entries() ?? [])].filter(([id]) => id !== old.id).map(([, o]) => o),
    venue: next.venue,
    symbol: next.symbol,
    lastPrice: s.marks.last(next.venue, next.symbol),
    position: s.positions.get(account.id, next.venue, next.symbol)?.quantity ?? 0n,
    figures: s.days.figures(s.ledger, account.id, account.quoteCurrency, s.marks.prices(), now),
  });
  refuse(checkKillSwitch(ctx));
  // `view` runs the engine's observe step (new day, daily-loss reduce-only) without counting an order,
  // so a breach that only the next check would notice refuses the move before the cancel.
  s.risk.view(ctx);
  const state = s.risk.state(account.id);
  if (state && (!state.perSecond.allows(now) || !state.perMinute.allows(now))) {
    throw new AppError(
      'RISK_ORDER_RATE',
      'Too many orders just now: wait a moment and move the order again.',
    );
  }
  refuse(checkReduceOnly(order, ctx, state?.reduceOnly ?? null, (Math.floor(now / DAY_MS) + 1) * DAY_MS));
  refuse(checkPriceBand(order, ctx));
  refuse(checkOrderNotional(order, ctx, order.price ?? 0n));
  refuse(checkPosition(order, ctx, order.price ?? 0n));
  refuse(checkOpenOrders(order, ctx));

  // Funds: the new reservation must fit in what is free plus what the old order gives back.
  const lock = orderLockPosting({
    orderId: randomUUID(),
    accountId: account.id,
    venue: next.venue,
    symbol: next.symbol,
    side: next.side,
    quantity: order.quantity,
    limitPrice: order.price,
    quoteBudget: null,
    takerFeeRate: s.fees.rates(next.venue, 'default').taker,
    time: now,
  });
  const reservation = lock.order;
  const released = s.ledger.order(old.id);
  if (reservation) {
    const needed = remainingReservation(reservation);
    const free = s.ledger.balance(paperAccount(account.id, 'free'), reservation.lockedAsset);
    const back = released ? remainingReservation(released) : 0n;
    if (needed > free + back) {
      throw new AppError(
        'LEDGER_INSUFFICIENT_FUNDS',
        `Moving the order needs ${formatScaled(needed, AMOUNT_SCALE)} ${reservation.lockedAsset} reserved; ` +
          `${formatScaled(free + back, AMOUNT_SCALE)} is available with this order's own reservation.`,
        { asset: reservation.lockedAsset },
      );
    }
  }
}
