import { randomUUID } from 'node:crypto';
import { AppError, type OrderView, type PlaceOrderInput, type TenantScope } from '@qt/shared';
import {
  assertStorable,
  type MatchingEvent,
  type OrderIntent,
  type OrderSnapshot,
  orderIntentOf,
  type Posting,
  planOrder,
  refusalError,
  rejectionMessage,
  rejectionRefusal,
  remainingReservation,
  toOrderView,
} from '@qt/trading';
import { ownAccount, tenantOf } from './account-access.ts';
import { isTransientDbError } from './db-errors.ts';
import { applied, applyOrHold, captured, closeOrder, writeChange } from './event-application.ts';
import type { OrderRowInsert } from './journal-writes.ts';
import { postingStored } from './journal-writes.ts';
import { orderRowToView } from './order-rows.ts';
import { type HeldChange, hold, refuseIfHeld, unavailable } from './persistence-hold.ts';
import { riskContext } from './risk-admin.ts';
import type { AccountMeta, TenantMeta } from './risk-inputs.ts';
import type { TradingState } from './trading-state.ts';

/**
 * The one entry point for every order (person, script or strategy). The input is parsed here, once,
 * into an intent in integer units; everything after reads the intent.
 */
export async function placeOrder(
  s: TradingState,
  scope: TenantScope,
  input: PlaceOrderInput,
): Promise<OrderView> {
  const account = ownAccount(s, scope, input.accountId);
  refuseIfHeld(s, account.id);
  const tenant = await tenantOf(s, account.tenantId);
  const intent = orderIntentOf(input, randomUUID());
  return s.queue.runCall(account.id, () => place(s, account, tenant, intent));
}

/**
 * Places on the account's queue (the caller runs inside it; also the second half of an amend):
 * the core's plan (risk, reservation, ledger checks) -> the matcher -> one commit of the order row and
 * its lock -> the lock applied -> the order's own events stored and applied.
 */
export async function place(
  s: TradingState,
  account: AccountMeta,
  tenant: TenantMeta,
  intent: OrderIntent,
): Promise<OrderView> {
  refuseIfHeld(s, account.id);
  // What the order is about comes before anything about the account (balances, limits).
  if (!s.matcher.hasInstrument(intent.venue, intent.symbol)) {
    throw new AppError('MARKET_UNKNOWN_INSTRUMENT', rejectionMessage('MARKET_UNKNOWN_INSTRUMENT'), {
      reason: 'MARKET_UNKNOWN_INSTRUMENT',
      venue: intent.venue,
      symbol: intent.symbol,
    });
  }
  assertStorable('quantity', intent.quantity);
  assertStorable('price', intent.price);
  assertStorable('stopPrice', intent.stopPrice);
  if (intent.clientOrderId !== null) {
    const clientOrderId = intent.clientOrderId;
    const existing = await s.db.order
      .findUnique({ where: { accountId_clientOrderId: { accountId: account.id, clientOrderId } } })
      .catch((err: unknown) => {
        s.logger.warn(
          { err: err instanceof Error ? err.message : String(err) },
          'clientOrderId look-up failed',
        );
        throw unavailable(s, account.id, 'The database is unavailable: the order was not placed.');
      });
    if (existing) return orderRowToView(existing);
  }
  const plan = planOrder(intent, {
    ledger: s.book.ledger,
    risk: s.risk,
    riskContext: riskContext(s, account, tenant, intent),
    prices: s.prices,
    takerFeeRate: s.fees.rates(intent.venue, intent.feeTier).taker,
    maxSlippageBps: s.maxSlippageBps,
    time: s.clock.now(),
  });
  if (!plan.ok) throw refusalError(plan.refusal);
  const { lock, request } = plan;

  let snapshot: OrderSnapshot | undefined;
  const events = captured(s, account.id, request.orderId, () => {
    snapshot = s.matcher.placeOrder(request);
  });
  const placed = snapshot as OrderSnapshot;
  const rejected = events.find((e) => e.type === 'orderRejected');
  if (rejected?.type === 'orderRejected' && !events.some((e) => e.type === 'orderAccepted')) {
    throw refusalError(rejectionRefusal(rejected.reason));
  }

  try {
    await writeChange(s, {
      tenantId: account.tenantId,
      posting: lock,
      order: orderRow(account, placed, lock),
    });
  } catch (err) {
    // Not stored (or not known to be), so not placed: out of the matcher again (its events are dropped).
    captured(s, account.id, request.orderId, () => s.matcher.cancelOrder(account.id, request.orderId));
    if (!isTransientDbError(err)) throw err;
    // The statement may have committed with its answer lost: find out once the database is back, and
    // cancel the order then if it was stored. The account waits for that answer.
    hold(s, account.id, [unknownPlacement(s, account.id, lock, request.orderId)], err);
    throw unavailable(
      s,
      account.id,
      'The database is unavailable: the order was not placed (if it reached storage, it is canceled and its funds released once the database is back).',
      { orderId: request.orderId },
    );
  }
  applied(s, lock);
  // The lock is stored: the order exists. Its own events (accept, immediate fills, expiry) are stored
  // now, or held and retried, in which case the answer is the order as stored so far.
  const done = await applyOrHold(s, account.id, events);
  const last = done > 0 ? (events[done - 1] as MatchingEvent).order : placed;
  return toOrderView(last);
}

/** The new order's row: what the matcher admitted (its snapshot) and what the lock reserves. */
function orderRow(account: AccountMeta, placed: OrderSnapshot, lock: Posting): OrderRowInsert {
  const reservation = lock.order as NonNullable<Posting['order']>;
  return {
    id: placed.id,
    tenantId: account.tenantId,
    accountId: account.id,
    clientOrderId: placed.clientOrderId,
    venue: placed.venue,
    symbol: placed.symbol,
    side: placed.side,
    type: placed.type,
    timeInForce: placed.timeInForce,
    postOnly: placed.postOnly,
    quantity: placed.quantity,
    price: placed.price,
    stopPrice: placed.stopPrice,
    lockedAmount: remainingReservation(reservation),
    lockedAsset: reservation.lockedAsset,
    createdAt: placed.createdAt,
  };
}

/** Resolves a placement whose lock write had an unknown outcome: if it was stored, it is canceled. */
function unknownPlacement(s: TradingState, accountId: string, lock: Posting, orderId: string): HeldChange {
  const updatedAt = s.clock.now();
  return {
    what: 'placement of unknown outcome',
    orderId,
    run: async () => {
      if (!s.book.ledger.posting(lock.id)) {
        if (!(await postingStored(s.pool, lock.id))) return;
        applied(s, lock);
      }
      await closeOrder(s, {
        id: orderId,
        accountId,
        status: 'canceled',
        reason: 'SERVICE_UNAVAILABLE',
        updatedAt,
      });
    },
  };
}
