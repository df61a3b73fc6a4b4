import {
  assertApplies,
  fillBooking,
  formatAmount,
  type MatchingEvent,
  type OrderSnapshot,
  type Posting,
  remainingReservation,
  toFillView,
  toOrderView,
  unlockBooking,
} from '@qt/trading';
import { balanceViews } from './account-access.ts';
import { isDbTimeout, isTransientDbError } from './db-errors.ts';
import type { JournalChange } from './group-commit.ts';
import { insertFill, postingStored } from './journal-writes.ts';
import { type HeldChange, hold, isHeld, refuseIfHeld } from './persistence-hold.ts';
import type { Capture, TradingState } from './trading-state.ts';

/** Runs a matcher call and returns the events it emitted for `orderId` (or the whole account). */
export function captured(
  s: TradingState,
  accountId: string,
  orderId: string | null,
  call: () => unknown,
): MatchingEvent[] {
  const capture: Capture = { accountId, orderId, events: [] };
  const outer = s.capture;
  s.capture = capture;
  try {
    call();
  } finally {
    s.capture = outer;
  }
  return capture.events;
}

/**
 * Events routed to an account's queue and not applied yet. The matcher changes an order the moment a
 * trade fills it, but the fill's booking waits its turn behind the account's queued calls; a cancel or
 * an amend queued earlier would otherwise act on the matcher's order (fill included) before the ledger
 * knows the fill, release the whole reservation, and leave the fill unbookable. Such a call applies
 * these first (`applyRouted`). Bounded like the queue itself: each entry has its own task queued.
 * Keyed by the state so each service instance has its own.
 */
const routed = new WeakMap<TradingState, Map<string, MatchingEvent[]>>();

/**
 * Applies every event routed to the account and not applied yet, in the order routed (until none is
 * left: more may arrive while one is written). Runs on the account's queue: the routed event's own task,
 * or a call that is about to act on the account's orders. Each event is taken once, so the later task of
 * an event applied early finds nothing to do.
 */
export async function applyRouted(s: TradingState, accountId: string): Promise<void> {
  const pending = routed.get(s);
  for (let list = pending?.get(accountId); list && list.length > 0; list = pending?.get(accountId)) {
    pending?.delete(accountId);
    await applyOrHold(s, accountId, list);
  }
}

/**
 * Inside the account's task, before acting on its orders: fills the matcher made while this call waited
 * are booked first, so a cancel or amend releases only what is still reserved.
 */
export async function settleRouted(s: TradingState, accountId: string): Promise<void> {
  refuseIfHeld(s, accountId);
  await applyRouted(s, accountId);
  refuseIfHeld(s, accountId);
}

/** Every matcher event: held by the call that caused it, or queued on its account. */
export function routeEvent(s: TradingState, e: MatchingEvent): void {
  const c = s.capture;
  if (c && c.accountId === e.order.accountId && (c.orderId === null || c.orderId === e.order.id)) {
    c.events.push(e);
    return;
  }
  const accountId = e.order.accountId;
  let pending = routed.get(s);
  if (!pending) {
    pending = new Map();
    routed.set(s, pending);
  }
  const list = pending.get(accountId);
  if (list) list.push(e);
  else pending.set(accountId, [e]);
  void s.queue
    .run(accountId, () => applyRouted(s, accountId))
    .catch((err) =>
      s.logger.error(
        { err: err instanceof Error ? err.message : String(err), orderId: e.order.id, event: e.type },
        'could not route a matcher event',
      ),
    );
}

/**
 * Stores and applies an account's events in order. When one cannot be stored because the database is
 * unreachable or timed out (or the account is held already), it and every later one wait in the
 * account's hold and are retried until they commit: the matcher has moved on, so they must not be lost.
 * Returns how many were dealt with now (the rest are held). Runs on the account's queue.
 */
export async function applyOrHold(
  s: TradingState,
  accountId: string,
  events: readonly MatchingEvent[],
): Promise<number> {
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as MatchingEvent;
    if (isHeld(s, accountId)) {
      hold(
        s,
        accountId,
        events.slice(i).map((x) => eventChange(s, x)),
        null,
      );
      return i;
    }
    try {
      await applyEvent(s, e);
    } catch (err) {
      if (!isTransientDbError(err)) {
        // Not an outage (a bug, or a statement refused for its content): a retry would fail the same
        // way and hold the account for ever. Logged loudly; a restart rebuilds the account as stored.
        s.logger.error(
          {
            accountId,
            orderId: e.order.id,
            event: e.type,
            err: err instanceof Error ? err.message : String(err),
          },
          'could not store a matcher event (not a database outage): given up',
        );
        continue;
      }
      hold(
        s,
        accountId,
        events.slice(i).map((x) => eventChange(s, x)),
        err,
      );
      return i;
    }
  }
  return events.length;
}

function eventChange(s: TradingState, e: MatchingEvent): HeldChange {
  return { what: e.type, orderId: e.order.id, run: () => applyEvent(s, e) };
}

/**
 * One change through the group commit, resolving an unknown outcome: when the write fails but its
 * posting is stored (the statement committed and only the answer was lost), it did commit.
 */
export async function writeChange(s: TradingState, change: JournalChange): Promise<void> {
  try {
    await s.journal.write(change);
  } catch (err) {
    const id = change.posting?.id;
    // After a timeout the look-up would wait out another one: the caller holds the change instead,
    // and the hold's retry finds out whether it was stored.
    if (id !== undefined && !isDbTimeout(err) && (await postingStored(s.pool, id).catch(() => false))) return;
    throw err;
  }
}

/** Persists one matcher event, then applies it in memory and pushes it. Runs on the account's queue. */
export async function applyEvent(s: TradingState, e: MatchingEvent): Promise<void> {
  switch (e.type) {
    case 'orderAccepted':
    case 'orderTriggered':
      s.orderHub.publish(e.order.accountId, toOrderView(e.order));
      return;
    case 'orderFilled':
      await bookFill(s, e);
      return;
    case 'orderCanceled':
    case 'orderExpired':
    case 'orderRejected':
      await closeOrder(s, e.order);
      s.orderHub.publish(e.order.accountId, toOrderView(e.order));
      return;
  }
}

async function bookFill(s: TradingState, e: Extract<MatchingEvent, { type: 'orderFilled' }>): Promise<void> {
  const { fill, order } = e;
  const posting = fillBooking(s.book.ledger, fill);
  if (posting === 'duplicate') return; // booked already: a redelivery
  const account = s.accounts.get(fill.accountId);
  if (posting === 'unknownOrder' || !account) {
    s.logger.error({ fillId: fill.id }, 'fill for an order the ledger does not hold: ignored');
    return;
  }
  assertApplies(s.book.ledger, posting);
  const booked = posting.fill as NonNullable<Posting['fill']>;
  const next = posting.order as NonNullable<Posting['order']>;
  const stored = await insertFill(
    s.pool,
    {
      id: fill.id,
      orderId: fill.orderId,
      accountId: fill.accountId,
      tenantId: account.tenantId,
      venue: fill.venue,
      symbol: fill.symbol,
      side: fill.side,
      price: booked.price,
      quantity: booked.quantity,
      quote: booked.quote,
      fee: booked.fee,
      feeAsset: booked.feeAsset,
      liquidity: fill.liquidity,
      time: fill.time,
    },
    posting,
    {
      id: fill.orderId,
      status: order.status,
      reason: null,
      filledQuantity: next.filledQuantity,
      filledQuote: next.filledQuote,
      lockedAmount: remainingReservation(next),
      updatedAt: order.updatedAt,
    },
  );
  // Not stored now but the ledger lacks it: an earlier attempt committed and lost its answer (the
  // account is held meanwhile, so the posting computed again is the stored one). Memory catches up.
  if (!stored) s.logger.warn({ fillId: fill.id }, 'fill stored by an earlier attempt: booked in memory now');
  applied(s, posting);
  s.fillHub.publish(fill.accountId, {
    ...toFillView(fill),
    quote: formatAmount(booked.quote),
    fee: formatAmount(booked.fee),
  });
  s.orderHub.publish(fill.accountId, toOrderView(order));
}

/** A canceled, expired or rejected order: release what it still holds, in one transaction. */
export async function closeOrder(
  s: TradingState,
  order: Pick<OrderSnapshot, 'id' | 'accountId' | 'status' | 'updatedAt'> & {
    /** The matcher's reason, or the service's own (SERVICE_UNAVAILABLE: ended by a database outage). */
    reason: string | null;
  },
): Promise<void> {
  const account = s.accounts.get(order.accountId);
  if (!account) return;
  const unlock = unlockBooking(s.book.ledger, order.id, order.updatedAt);
  if (unlock) assertApplies(s.book.ledger, unlock);
  await writeChange(s, {
    tenantId: account.tenantId,
    posting: unlock,
    update: {
      id: order.id,
      status: order.status,
      reason: order.reason,
      filledQuantity: null,
      filledQuote: null,
      lockedAmount: 0n,
      updatedAt: order.updatedAt,
    },
  });
  if (unlock) applied(s, unlock);
}

/** After commit: the posting into the book (ledger, positions, open orders); pushes balances. */
export function applied(s: TradingState, p: Posting): void {
  s.book.apply(p);
  if (s.balanceHub.subscriberCount(p.accountId) > 0)
    s.balanceHub.publish(p.accountId, balanceViews(s, p.accountId));
}
