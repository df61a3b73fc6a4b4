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
  type OrderSnapshot,
  orderLockPosting,
  type Posting,
  remainingReservation,
  riskOrderFromInput,
  riskRejectionToAppError,
  toOrderView,
} from '@qt/trading';
import { ownAccount, tenantOf } from './account-access.ts';
import { applied, applyEvent, captured } from './event-application.ts';
import { asAppError, assertApplies } from './ledger-guard.ts';
import { orderRowToView } from './order-rows.ts';
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
  const tenant = await tenantOf(s, account.tenantId);
  return s.queue.run(account.id, () => place(s, account, tenant, input));
}

async function place(
  s: TradingState,
  account: AccountMeta,
  tenant: TenantMeta,
  input: PlaceOrderInput,
): Promise<OrderView> {
  if (input.clientOrderId !== undefined) {
    const existing = await s.db.order.findUnique({
      where: { accountId_clientOrderId: { accountId: account.id, clientOrderId: input.clientOrderId } },
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
    await s.journal.write({
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
    // Not stored, so not placed: take it out of the matcher again (its events are dropped).
    captured(s, account.id, orderId, () => s.matcher.cancelOrder(account.id, orderId));
    throw err;
  }
  applied(s, lock);
  let last: OrderSnapshot = placed;
  for (const e of events) {
    await applyEvent(s, e);
    last = e.order;
  }
  return toOrderView(last);
}

/** What a market (or stop-market) buy may spend: quantity x top x (1 + the slippage cap). */
function quoteBudget(s: TradingState, input: PlaceOrderInput): bigint | null {
  if (input.side !== 'buy' || input.price !== undefined) return null;
  const last = s.marks.last(input.venue, input.symbol) ?? 0n;
  const ask = s.marks.ask(input.venue, input.symbol) ?? 0n;
  const stop = input.stopPrice === undefined ? 0n : parseScaled(input.stopPrice, AMOUNT_SCALE);
  let top = last > ask ? last : ask;
  if (stop > top) top = stop;
  if (top === 0n) {
    throw new AppError('MARKET_NO_DATA', rejectionMessage('MARKET_NO_DATA'), { reason: 'MARKET_NO_DATA' });
  }
  // A stop can trigger into a moving market: it reserves twice the cap (see README: known limits).
  const bps = BigInt(s.maxSlippageBps * (input.type === 'stop_market' ? 2 : 1));
  const notional = divRound(parseScaled(input.quantity, AMOUNT_SCALE) * top, ONE, 'ceil');
  return divRound(notional * (10_000n + bps), 10_000n, 'ceil');
}
