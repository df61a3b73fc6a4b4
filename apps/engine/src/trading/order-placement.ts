import { randomUUID } from 'node:crypto';
import type { TenantScope } from '@qt/api';
import {
  AMOUNT_SCALE,
  AppError,
  divRound,
  type ErrorCode,
  type OrderView,
  type PlaceOrderInput,
  parseScaled,
  pow10n,
} from '@qt/shared';
import {
  type MatchingEvent,
  type OrderSnapshot,
  orderLockPosting,
  type Posting,
  remainingReservation,
  riskOrderFromInput,
  riskRejectionToAppError,
  toOrderView,
} from '@qt/trading';
import { ownAccount, tenantOf } from './account-access.ts';
import { isTransientDbError } from './db-errors.ts';
import { applied, applyOrHold, captured, closeOrder, writeChange } from './event-application.ts';
import { postingStored } from './journal-writes.ts';
import { asAppError, assertApplies, assertFits, assertStorable } from './ledger-guard.ts';
import { orderRowToView } from './order-rows.ts';
import { type HeldChange, hold, refuseIfHeld, unavailable } from './persistence-hold.ts';
import { rejectionMessage } from './rejection-messages.ts';
import { riskContext } from './risk-admin.ts';
import type { AccountMeta, TenantMeta } from './risk-inputs.ts';
import type { TradingState } from './trading-state.ts';

const ONE = pow10n(AMOUNT_SCALE);

/** The one entry point for every order (person, script or strategy): risk first, then the matcher. */
export async function placeOrder(
  s: TradingState,
  scope: TenantScope,
  input: PlaceOrderInput,
): Promise<OrderView> {
  const account = ownAccount(s, scope, input.accountId);
  refuseIfHeld(s, account.id);
  const tenant = await tenantOf(s, account.tenantId);
  return s.queue.runCall(account.id, () => place(s, account, tenant, input));
}

/** Places on the account's queue (the caller runs inside it): also the second half of an amend. */
export async function place(
  s: TradingState,
  account: AccountMeta,
  tenant: TenantMeta,
  input: PlaceOrderInput,
): Promise<OrderView> {
  refuseIfHeld(s, account.id);
  // What the order is about comes before anything about the account (balances, limits).
  if (!s.matcher.hasInstrument(input.venue, input.symbol)) {
    throw new AppError('MARKET_UNKNOWN_INSTRUMENT', rejectionMessage('MARKET_UNKNOWN_INSTRUMENT'), {
      reason: 'MARKET_UNKNOWN_INSTRUMENT',
      venue: input.venue,
      symbol: input.symbol,
    });
  }
  assertStorable('quantity', parseScaled(input.quantity, AMOUNT_SCALE));
  assertStorable('price', input.price === undefined ? null : parseScaled(input.price, AMOUNT_SCALE));
  assertStorable(
    'stopPrice',
    input.stopPrice === undefined ? null : parseScaled(input.stopPrice, AMOUNT_SCALE),
  );
  if (input.clientOrderId !== undefined) {
    const clientOrderId = input.clientOrderId;
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
  const now = s.clock.now();
  const decision = s.risk.check(riskOrderFromInput(input), riskContext(s, account, tenant, input));
  if (!decision.ok) throw riskRejectionToAppError(decision.rejection);

  const orderId = randomUUID();
  let lock: Posting;
  try {
    lock = orderLockPosting({
      orderId,
      accountId: account.id,
      venue: input.venue,
      symbol: input.symbol,
      side: input.side,
      quantity: parseScaled(input.quantity, AMOUNT_SCALE),
      limitPrice: input.price === undefined ? null : parseScaled(input.price, AMOUNT_SCALE),
      quoteBudget: quoteBudget(s, input),
      takerFeeRate: s.fees.rates(input.venue, 'default').taker,
      time: now,
    });
    assertApplies(s.ledger, lock);
    assertFits(s.ledger, lock);
  } catch (err) {
    throw asAppError(err);
  }

  const request = {
    orderId,
    accountId: account.id,
    clientOrderId: input.clientOrderId ?? null,
    venue: input.venue,
    symbol: input.symbol,
    side: input.side,
    type: input.type,
    quantity: input.quantity,
    price: input.price ?? null,
    stopPrice: input.stopPrice ?? null,
    timeInForce: input.timeInForce,
    postOnly: input.postOnly,
  };
  let snapshot: OrderSnapshot | undefined;
  const events = captured(s, account.id, orderId, () => {
    snapshot = s.matcher.placeOrder(request);
  });
  const placed = snapshot as OrderSnapshot;
  const rejected = events.find((e) => e.type === 'orderRejected');
  if (rejected?.type === 'orderRejected' && !events.some((e) => e.type === 'orderAccepted')) {
    throw new AppError(rejected.reason as ErrorCode, rejectionMessage(rejected.reason), {
      reason: rejected.reason,
    });
  }

  try {
    await writeChange(s, {
      tenantId: account.tenantId,
      posting: lock,
      order: {
        id: orderId,
        tenantId: account.tenantId,
        accountId: account.id,
        clientOrderId: request.clientOrderId,
        venue: input.venue,
        symbol: input.symbol,
        side: input.side,
        type: input.type,
        timeInForce: input.timeInForce,
        postOnly: placed.postOnly,
        quantity: placed.quantity,
        price: placed.price,
        stopPrice: placed.stopPrice,
        lockedAmount: remainingReservation(lock.order as NonNullable<Posting['order']>),
        lockedAsset: lock.order?.lockedAsset ?? '',
        createdAt: placed.createdAt,
      },
    });
  } catch (err) {
    // Not stored (or not known to be), so not placed: out of the matcher again (its events are dropped).
    captured(s, account.id, orderId, () => s.matcher.cancelOrder(account.id, orderId));
    if (!isTransientDbError(err)) throw err;
    // The statement may have committed with its answer lost: find out once the database is back, and
    // cancel the order then if it was stored. The account waits for that answer.
    hold(s, account.id, [unknownPlacement(s, account.id, lock, orderId)], err);
    throw unavailable(
      s,
      account.id,
      'The database is unavailable: the order was not placed (if it reached storage, it is canceled and its funds released once the database is back).',
      { orderId },
    );
  }
  applied(s, lock);
  // The lock is stored: the order exists. Its own events (accept, immediate fills, expiry) are stored
  // now, or held and retried, in which case the answer is the order as stored so far.
  const done = await applyOrHold(s, account.id, events);
  const last = done > 0 ? (events[done - 1] as MatchingEvent).order : placed;
  return toOrderView(last);
}

/** Resolves a placement whose lock write had an unknown outcome: if it was stored, it is canceled. */
function unknownPlacement(s: TradingState, accountId: string, lock: Posting, orderId: string): HeldChange {
  const updatedAt = s.clock.now();
  return {
    what: 'placement of unknown outcome',
    orderId,
    run: async () => {
      if (!s.ledger.posting(lock.id)) {
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

/** What a market (or stop-market) buy may spend: quantity x top x (1 + the slippage cap). */
function quoteBudget(s: TradingState, input: PlaceOrderInput): bigint | null {
  if (input.side !== 'buy' || input.price !== undefined) return null;
  const last = s.marks.last(input.venue, input.symbol) ?? 0n;
  const ask = s.marks.ask(input.venue, input.symbol) ?? 0n;
  const stop = input.stopPrice === undefined ? 0n : parseScaled(input.stopPrice, AMOUNT_SCALE);
  // The matcher's own top too: its walk's cap is computed from it (a quote finer than the tick rounded
  // up, a trade printed through the quote), so the reservation covers every fill up to that cap.
  const taker = s.matcher.takerTop(input.venue, input.symbol, 'buy') ?? 0n;
  let top = last > ask ? last : ask;
  if (taker > top) top = taker;
  if (stop > top) top = stop;
  if (top === 0n) {
    throw new AppError('MARKET_NO_DATA', rejectionMessage('MARKET_NO_DATA'), { reason: 'MARKET_NO_DATA' });
  }
  // A stop can trigger into a moving market: it reserves twice the cap (see README: known limits).
  const bps = BigInt(s.maxSlippageBps * (input.type === 'stop_market' ? 2 : 1));
  const notional = divRound(parseScaled(input.quantity, AMOUNT_SCALE) * top, ONE, 'ceil');
  return divRound(notional * (10_000n + bps), 10_000n, 'ceil');
}
