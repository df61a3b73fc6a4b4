import { divRound } from '@qt/shared';
import { AMOUNT_ONE, formatAmount } from '../amounts.ts';
import { paperAccount } from '../ledger/accounts.ts';
import type { Ledger } from '../ledger/ledger.ts';
import { LedgerError } from '../ledger/ledger-error.ts';
import { orderLockPosting } from '../ledger/order-postings.ts';
import type { Posting } from '../ledger/posting.ts';
import { remainingReservation } from '../ledger/reservation.ts';
import type { RiskContext } from '../risk/context.ts';
import type { RiskEngine } from '../risk/risk-engine.ts';
import { assertApplies, assertFits } from './ledger-checks.ts';
import type { OrderIntent } from './order-intent.ts';
import { type OrderRefusal, refusalOf, rejectionRefusal } from './refusal.ts';

/** The prices a market buy's reservation is sized from, in amount units; null while unknown. */
export interface MarketPrices {
  /** Last trade price (rounded down). */
  last(venue: string, symbol: string): bigint | null;
  /** Best ask (rounded up). */
  ask(venue: string, symbol: string): bigint | null;
  /** The matcher's top for a buying taker (`PaperMatchingEngine.takerTop`): its walk's cap starts there. */
  takerTop(venue: string, symbol: string): bigint | null;
}

/** Everything `planOrder` reads; the host (engine or backtest) gathers it for one order. */
export interface PlanContext {
  readonly ledger: Ledger;
  readonly risk: RiskEngine;
  readonly riskContext: RiskContext;
  readonly prices: MarketPrices;
  /** The account's taker rate on the venue: sizes a buy's fee reserve. */
  readonly takerFeeRate: bigint;
  readonly maxSlippageBps: number;
  readonly time: number;
  /**
   * An amend's check before it cancels: what the order being replaced still holds (it counts as free).
   * The risk check then takes no order-rate slot (the placement after the cancel takes it).
   */
  readonly releasing?: bigint | null;
}

/** What placing the order would change: the ledger's lock, and the request the matcher gets. */
export type OrderPlan =
  | { readonly ok: true; readonly lock: Posting; readonly request: OrderIntent }
  | { readonly ok: false; readonly refusal: OrderRefusal };

/**
 * The one decision of the order path, for live accounts and backtests alike: pre-trade risk, then the
 * reservation (a market buy's quote budget from the market's prices), then the ledger's own checks on
 * the lock. Changes nothing but the risk engine's order-rate window (an admitted order takes its slot
 * even when a later step refuses it); the caller applies `lock` (the engine once it is stored, a backtest
 * at once) and hands `request` to the matcher.
 */
export function planOrder(intent: OrderIntent, ctx: PlanContext): OrderPlan {
  const releasing = ctx.releasing ?? null;
  const decision = ctx.risk.check(intent, ctx.riskContext, releasing !== null);
  if (!decision.ok) {
    const r = decision.rejection;
    return { ok: false, refusal: { code: r.code, message: r.message, details: { ...r.details } } };
  }
  let budget: bigint | null = null;
  if (intent.side === 'buy' && intent.price === null) {
    budget = quoteBudget(intent, ctx);
    if (budget === null) return { ok: false, refusal: rejectionRefusal('MARKET_NO_DATA') };
  }
  try {
    const lock = orderLockPosting({
      orderId: intent.orderId,
      accountId: intent.accountId,
      venue: intent.venue,
      symbol: intent.symbol,
      side: intent.side,
      quantity: intent.quantity,
      limitPrice: intent.price,
      quoteBudget: budget,
      takerFeeRate: ctx.takerFeeRate,
      time: ctx.time,
    });
    if (releasing !== null) assertFitsWithRelease(ctx.ledger, lock, releasing);
    else {
      assertApplies(ctx.ledger, lock);
      assertFits(ctx.ledger, lock);
    }
    return { ok: true, lock, request: intent };
  } catch (err) {
    const refusal = refusalOf(err);
    if (refusal === null) throw err;
    return { ok: false, refusal };
  }
}

/**
 * What a market (or stop-market) buy may spend: quantity x top x (1 + the slippage cap), where top is the
 * highest of the last trade, the ask, the matcher's own top (a quote finer than the tick rounded up, a
 * trade printed through it: the walk's cap is computed from it, so the reservation covers every fill up
 * to that cap) and the stop. Null while none is known. A stop can trigger into a moving market: it
 * reserves twice the cap.
 */
export function quoteBudget(intent: OrderIntent, ctx: PlanContext): bigint | null {
  const { venue, symbol } = intent;
  let top = ctx.prices.last(venue, symbol) ?? 0n;
  const ask = ctx.prices.ask(venue, symbol) ?? 0n;
  if (ask > top) top = ask;
  const taker = ctx.prices.takerTop(venue, symbol) ?? 0n;
  if (taker > top) top = taker;
  if (intent.stopPrice !== null && intent.stopPrice > top) top = intent.stopPrice;
  if (top === 0n) return null;
  const bps = BigInt(ctx.maxSlippageBps * (intent.type === 'stop_market' ? 2 : 1));
  const notional = divRound(intent.quantity * top, AMOUNT_ONE, 'ceil');
  return divRound(notional * (10_000n + bps), 10_000n, 'ceil');
}

/** An amend's funds check: the new reservation must fit in what is free plus what the old one gives back. */
function assertFitsWithRelease(ledger: Ledger, lock: Posting, back: bigint): void {
  const reservation = lock.order;
  if (reservation === null) return;
  const needed = remainingReservation(reservation);
  const free = ledger.balance(paperAccount(reservation.accountId, 'free'), reservation.lockedAsset);
  if (needed <= free + back) return;
  throw new LedgerError(
    'LEDGER_INSUFFICIENT_FUNDS',
    `Moving the order needs ${formatAmount(needed)} ${reservation.lockedAsset} reserved; ` +
      `${formatAmount(free + back)} is available with this order's own reservation.`,
    { asset: reservation.lockedAsset },
  );
}
