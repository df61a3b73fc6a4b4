import { divRound, type OrderSide } from '@qt/shared';
import { AMOUNT_ONE } from '../amounts.ts';
import { FEE_ACCOUNT, paperAccount, symbolAssets, venueAccount } from './accounts.ts';
import { LedgerError } from './ledger-error.ts';
import type { Entry, Posting, PostingType } from './posting.ts';
import type { OrderReservation } from './reservation.ts';

/*
 * Rounding, all at AMOUNT_SCALE (1e-18) units, never binary floating point:
 * - A buy limit order reserves ceil(price x quantity) plus a fee reserve of ceil(takerRate x that).
 * - An order's quote is its exact sum of price x quantity over its fills, rounded ONCE: up for a buy (the
 *   trader pays), down for a sell (the trader receives). A fill's quote is the increase of that rounded
 *   total, so fills of one order never accumulate rounding and a buy never costs more than it reserved.
 * - A fill's fee is rate x the fill's quote; the order's exact fee sum is rounded UP to the unit and a
 *   fill pays the increase. Fees are always in the quote asset: a buy pays from its quote reserve, a sell
 *   from its proceeds (rate <= 1, so a fill's fee never exceeds its proceeds).
 * Hence each fill's quote and fee are within one unit of their own exact values, and an order's totals
 * are exactly its exact totals rounded in the trader's disfavour, once.
 */

export interface OrderLockInput {
  readonly orderId: string;
  readonly accountId: string;
  readonly venue: string;
  /** Canonical BASE-QUOTE symbol. */
  readonly symbol: string;
  readonly side: OrderSide;
  /** Base quantity, > 0. */
  readonly quantity: bigint;
  /** Limit price (limit and stop-limit orders); null for market and stop-market orders. */
  readonly limitPrice: bigint | null;
  /**
   * Market buys only: the most quote the fills may cost, e.g. quantity x best ask x (1 + slippage cap),
   * chosen by the caller. The fee reserve is added on top.
   */
  readonly quoteBudget?: bigint | null;
  /** The account's taker rate (units of 1e-18: 0.1% is 10^15); sizes a buy's fee reserve and caps fills. */
  readonly takerFeeRate: bigint;
  readonly time: number;
}

export interface FillInput {
  /** Unique per fill: the posting id is `fill:<fillId>`, so a fill is applied at most once. */
  readonly fillId: string;
  readonly orderId: string;
  readonly price: bigint;
  readonly quantity: bigint;
  /** The rate this fill pays (maker or taker), at most the order's `maxFeeRate`. */
  readonly feeRate: bigint;
  readonly time: number;
}

export interface OrderUnlockInput {
  readonly orderId: string;
  readonly time: number;
}

function invalid(message: string, details: Record<string, unknown> = {}): LedgerError {
  return new LedgerError('LEDGER_INVALID_INPUT', message, details);
}

function exceeded(message: string, details: Record<string, unknown>): LedgerError {
  return new LedgerError('LEDGER_RESERVATION_EXCEEDED', message, details);
}

/** Appends the two entries moving `amount` from one account to another, unless it is zero. */
function move(
  entries: Entry[],
  type: PostingType,
  asset: string,
  from: string,
  to: string,
  amount: bigint,
): void {
  if (amount === 0n) return;
  entries.push({ type, account: from, asset, amount: -amount }, { type, account: to, asset, amount });
}

function orderPosting(
  type: PostingType,
  id: string,
  order: OrderReservation,
  entries: Entry[],
  time: number,
): Posting {
  return {
    id,
    type,
    accountId: order.accountId,
    orderId: order.orderId,
    fillId: null,
    time,
    entries,
    fill: null,
    order,
  };
}

/** free -> locked for a new order: quote (plus the fee reserve) for a buy, base for a sell. */
export function orderLockPosting(input: OrderLockInput): Posting {
  const { base, quote } = symbolAssets(input.symbol);
  if (input.quantity <= 0n) throw invalid('An order quantity must be above zero.');
  if (input.takerFeeRate < 0n || input.takerFeeRate > AMOUNT_ONE)
    throw invalid('A fee rate lies between 0 and 1.');
  if (input.limitPrice !== null && input.limitPrice <= 0n) throw invalid('A limit price must be above zero.');
  const budget = input.quoteBudget ?? null;
  let notionalCap: bigint;
  let feeCap = 0n;
  if (input.side === 'buy') {
    if ((input.limitPrice === null) === (budget === null)) {
      throw invalid('A buy reserves either at its limit price or, for a market buy, a quote budget.');
    }
    if (budget !== null && budget <= 0n) throw invalid('A market buy needs a quote budget above zero.');
    notionalCap = budget ?? divRound((input.limitPrice ?? 0n) * input.quantity, AMOUNT_ONE, 'ceil');
    feeCap = divRound(input.takerFeeRate * notionalCap, AMOUNT_ONE, 'ceil');
  } else {
    if (budget !== null) throw invalid('A sell reserves its base quantity, not a quote budget.');
    notionalCap = input.quantity;
  }
  const order: OrderReservation = {
    orderId: input.orderId,
    accountId: input.accountId,
    venue: input.venue,
    symbol: input.symbol,
    base,
    quote,
    side: input.side,
    limitPrice: input.limitPrice,
    quantity: input.quantity,
    maxFeeRate: input.takerFeeRate,
    lockedAsset: input.side === 'buy' ? quote : base,
    notionalCap,
    feeCap,
    consumed: 0n,
    filledQuantity: 0n,
    filledQuote: 0n,
    feeTotal: 0n,
    notionalExact: 0n,
    feeExact: 0n,
    status: 'open',
    seq: 1,
  };
  venueAccount(input.venue); // validates the venue id before anything is booked against it
  const entries: Entry[] = [];
  const free = paperAccount(input.accountId, 'free');
  const locked = paperAccount(input.accountId, 'locked');
  move(entries, 'order_lock', order.lockedAsset, free, locked, notionalCap + feeCap);
  return orderPosting('order_lock', `lock:${input.orderId}`, order, entries, input.time);
}

/**
 * One fill of an open order, as one posting: the trade legs against `venue:<venue>`, the fee to
 * `system:fee`, and, when this fill completes the order, the release of what the reservation did not use
 * (price improvement, unused fee reserve). Refuses a fill the reservation cannot pay.
 */
export function fillPosting(order: OrderReservation, fill: FillInput): Posting {
  if (fill.orderId !== order.orderId) throw invalid('A fill must be booked against its own order.');
  if (order.status !== 'open') {
    throw new LedgerError(
      'LEDGER_ORDER_CONFLICT',
      `Order ${order.orderId} is closed; it takes no more fills.`,
      {
        orderId: order.orderId,
        fillId: fill.fillId,
      },
    );
  }
  if (fill.quantity <= 0n || fill.price <= 0n)
    throw invalid('A fill needs a price and a quantity above zero.');
  const details = { orderId: order.orderId, fillId: fill.fillId };
  if (fill.feeRate < 0n || fill.feeRate > order.maxFeeRate) {
    throw exceeded('The fill charges a fee rate above the one the order reserved for.', details);
  }
  const filledQuantity = order.filledQuantity + fill.quantity;
  if (filledQuantity > order.quantity) throw exceeded('The fill exceeds the order quantity.', details);
  const buy = order.side === 'buy';
  if (order.limitPrice !== null && (buy ? fill.price > order.limitPrice : fill.price < order.limitPrice)) {
    throw exceeded('The fill price is beyond the order limit price.', details);
  }

  const notionalExact = order.notionalExact + fill.price * fill.quantity;
  const filledQuote = divRound(notionalExact, AMOUNT_ONE, buy ? 'ceil' : 'floor');
  const quoteAmount = filledQuote - order.filledQuote;
  const feeExact = order.feeExact + fill.feeRate * quoteAmount;
  const feeTotal = divRound(feeExact, AMOUNT_ONE, 'ceil');
  const fee = feeTotal - order.feeTotal;
  if (buy && (filledQuote > order.notionalCap || feeTotal > order.feeCap)) {
    throw exceeded('The fill costs more quote than the order reserved.', details);
  }
  const consumed = order.consumed + (buy ? quoteAmount + fee : fill.quantity);
  const done = filledQuantity === order.quantity;

  const free = paperAccount(order.accountId, 'free');
  const locked = paperAccount(order.accountId, 'locked');
  const venue = venueAccount(order.venue);
  const entries: Entry[] = [];
  if (buy) {
    move(entries, 'fill', order.quote, locked, venue, quoteAmount);
    move(entries, 'fill', order.base, venue, free, fill.quantity);
    move(entries, 'fee', order.quote, locked, FEE_ACCOUNT, fee);
  } else {
    move(entries, 'fill', order.base, locked, venue, fill.quantity);
    move(entries, 'fill', order.quote, venue, free, quoteAmount);
    move(entries, 'fee', order.quote, free, FEE_ACCOUNT, fee);
  }
  const next: OrderReservation = {
    ...order,
    consumed,
    filledQuantity,
    filledQuote,
    feeTotal,
    notionalExact,
    feeExact,
    status: done ? 'closed' : 'open',
    seq: order.seq + 1,
  };
  if (done) {
    move(
      entries,
      'order_unlock',
      order.lockedAsset,
      locked,
      free,
      order.notionalCap + order.feeCap - consumed,
    );
  }
  // orderPosting's fields in its order, written out: a spread would build that object only to copy it.
  return {
    id: `fill:${fill.fillId}`,
    type: 'fill',
    accountId: next.accountId,
    orderId: next.orderId,
    fillId: fill.fillId,
    time: fill.time,
    entries,
    fill: {
      price: fill.price,
      quantity: fill.quantity,
      quote: quoteAmount,
      fee,
      feeAsset: order.quote,
      feeRate: fill.feeRate,
    },
    order: next,
  };
}

/** locked -> free for what a canceled, expired or rejected order still holds; closes the order. */
export function orderUnlockPosting(order: OrderReservation, input: OrderUnlockInput): Posting {
  if (input.orderId !== order.orderId) throw invalid('An unlock must be booked against its own order.');
  if (order.status !== 'open') {
    throw new LedgerError('LEDGER_ORDER_CONFLICT', `Order ${order.orderId} is already closed.`, {
      orderId: order.orderId,
    });
  }
  const entries: Entry[] = [];
  const rest = order.notionalCap + order.feeCap - order.consumed;
  move(
    entries,
    'order_unlock',
    order.lockedAsset,
    paperAccount(order.accountId, 'locked'),
    paperAccount(order.accountId, 'free'),
    rest,
  );
  const next: OrderReservation = { ...order, status: 'closed', seq: order.seq + 1 };
  return orderPosting('order_unlock', `unlock:${order.orderId}`, next, entries, input.time);
}
