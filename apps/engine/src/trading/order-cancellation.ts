import { AppError, notFound, type OrderView, type TenantScope } from '@qt/shared';
import { toOrderView } from '@qt/trading';
import { ownAccount } from './account-access.ts';
import { applyOrHold, captured, settleRouted } from './event-application.ts';
import { refuseIfHeld, unavailable } from './persistence-hold.ts';
import type { TradingState } from './trading-state.ts';

const HELD_CANCEL =
  'The database is unavailable: the cancel is done and will be stored as soon as the database is back.';

export async function cancelOrder(
  s: TradingState,
  scope: TenantScope,
  input: { accountId: string; orderId: string },
): Promise<OrderView> {
  const account = ownAccount(s, scope, input.accountId);
  refuseIfHeld(s, account.id);
  const outcome = await s.queue.runCall(account.id, async () => {
    await settleRouted(s, account.id);
    const events = captured(s, account.id, null, () => s.matcher.cancelOrder(account.id, input.orderId));
    if ((await applyOrHold(s, account.id, events)) < events.length) {
      throw unavailable(s, account.id, HELD_CANCEL, { orderId: input.orderId });
    }
    const done = events.find((e) => e.order.id === input.orderId && e.type === 'orderCanceled');
    return done ? toOrderView(done.order) : null;
  });
  if (outcome) return outcome;
  // Not open in the matcher: unknown, another tenant's, or already done (its last events may still be
  // queued, so read it after them).
  return s.queue.runCall(account.id, async () => {
    await settleRouted(s, account.id);
    const row = await s.db.order
      .findFirst({ where: { id: input.orderId, accountId: account.id } })
      .catch(() => {
        throw unavailable(s, account.id, 'The database is unavailable: the order could not be read.');
      });
    if (!row) throw notFound('Order');
    throw new AppError('ORDER_NOT_OPEN', `This order is ${row.status}; only open orders can be canceled.`, {
      status: row.status,
    });
  });
}

export async function cancelAll(
  s: TradingState,
  scope: TenantScope,
  input: { accountId: string; venue?: string | undefined; symbol?: string | undefined },
): Promise<{ canceled: number }> {
  const account = ownAccount(s, scope, input.accountId);
  refuseIfHeld(s, account.id);
  return s.queue.runCall(account.id, async () => {
    await settleRouted(s, account.id);
    let canceled = 0;
    const events = captured(s, account.id, null, () => {
      canceled = s.matcher.cancelAll(account.id, {
        ...(input.venue ? { venue: input.venue } : {}),
        ...(input.symbol ? { symbol: input.symbol } : {}),
      });
    });
    if ((await applyOrHold(s, account.id, events)) < events.length) {
      throw unavailable(s, account.id, HELD_CANCEL, { canceled });
    }
    return { canceled };
  });
}
