import type { TenantScope } from '@qt/api';
import { AppError, notFound, type OrderView } from '@qt/shared';
import { toOrderView } from '@qt/trading';
import { ownAccount } from './account-access.ts';
import { applyEvent, captured } from './event-application.ts';
import type { TradingState } from './trading-state.ts';

export async function cancelOrder(
  s: TradingState,
  scope: TenantScope,
  input: { accountId: string; orderId: string },
): Promise<OrderView> {
  const account = ownAccount(s, scope, input.accountId);
  const outcome = await s.queue.run(account.id, async () => {
    const events = captured(s, account.id, null, () => s.matcher.cancelOrder(account.id, input.orderId));
    for (const e of events) await applyEvent(s, e);
    const done = events.find((e) => e.order.id === input.orderId && e.type === 'orderCanceled');
    return done ? toOrderView(done.order) : null;
  });
  if (outcome) return outcome;
  // Not open in the matcher: unknown, another tenant's, or already done (its last events may still be
  // queued, so read it after them).
  return s.queue.run(account.id, async () => {
    const row = await s.db.order.findFirst({ where: { id: input.orderId, accountId: account.id } });
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
  return s.queue.run(account.id, async () => {
    let canceled = 0;
    const events = captured(s, account.id, null, () => {
      canceled = s.matcher.cancelAll(account.id, {
        ...(input.venue ? { venue: input.venue } : {}),
        ...(input.symbol ? { symbol: input.symbol } : {}),
      });
    });
    for (const e of events) await applyEvent(s, e);
    return { canceled };
  });
}
