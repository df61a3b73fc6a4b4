import { AMOUNT_SCALE, parseScaled } from '@qt/shared';
import { type OrderSnapshot, PaperBook, type Posting } from '@qt/trading';
import { toDecimal } from './amounts.ts';
import { closeOrder } from './event-application.ts';
import { accountMetaOf, tenantMetaOf } from './risk-inputs.ts';
import type { TradingState } from './trading-state.ts';

/**
 * Rebuilds the state from the database: accounts, the ledger (postings replayed in commit order, which
 * also restores every order's reservation), positions (from the fill postings) and the open orders,
 * put back into the matcher without matching them again. Call once, after `setInstrument`, before
 * market data flows.
 */
export async function recover(
  s: TradingState,
  journal: AsyncIterable<Posting>,
): Promise<{ postings: number; openOrders: number }> {
  const [accounts, tenants] = await Promise.all([
    s.db.paperAccount.findMany(),
    s.db.tenant.findMany({ where: { paperAccounts: { some: {} } } }),
  ]);
  for (const a of accounts) s.accounts.set(a.id, accountMetaOf(a));
  for (const t of tenants) s.tenants.set(t.id, tenantMetaOf(t));
  const book = new PaperBook();
  let postings = 0;
  for await (const p of journal) {
    book.replay(p);
    postings++;
  }
  s.book = book;
  const { ledger } = book;
  await checkBalances(s);

  const rows = await s.db.order.findMany({
    where: { status: { in: ['new', 'partially_filled'] } },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
  let restored = 0;
  for (const row of rows) {
    const r = ledger.order(row.id);
    if (r?.status !== 'open') {
      s.logger.error({ orderId: row.id }, 'open order without an open reservation: left as is');
      continue;
    }
    book.track(r);
    const canRest =
      row.timeInForce === 'GTC' &&
      (row.type === 'limit' || row.type === 'stop_limit' || row.type === 'stop_market');
    const fillCount = r.seq - 1;
    const ok =
      canRest &&
      s.matcher.restoreOrder({
        orderId: row.id,
        accountId: row.accountId,
        clientOrderId: row.clientOrderId,
        venue: row.venue,
        symbol: row.symbol,
        side: row.side,
        type: row.type,
        timeInForce: row.timeInForce,
        postOnly: row.postOnly,
        quantity: r.quantity,
        price: row.price === null ? null : r.limitPrice,
        stopPrice: row.stopPrice === null ? null : parseScaled(row.stopPrice.toFixed(), AMOUNT_SCALE),
        filledQuantity: r.filledQuantity,
        filledQuote: r.filledQuote,
        fees: r.feeTotal,
        notionalExact: r.notionalExact,
        feeExact: r.feeExact,
        fillCount,
        createdAt: row.createdAt.getTime(),
        updatedAt: row.updatedAt.getTime(),
      });
    if (ok) {
      restored++;
      continue;
    }
    // It cannot rest again (an IOC caught mid-flight by a crash, or its instrument is gone): it ends
    // as expired and releases what it holds, as it would have without the restart.
    const snap: Pick<OrderSnapshot, 'id' | 'accountId' | 'status' | 'reason' | 'updatedAt'> = {
      id: row.id,
      accountId: row.accountId,
      status: 'expired',
      reason: 'IOC_UNFILLED',
      updatedAt: s.clock.now(),
    };
    await s.queue.run(row.accountId, () => closeOrder(s, snap));
  }
  s.logger.info({ postings, openOrders: restored }, 'paper trading state recovered');
  return { postings, openOrders: restored };
}

/** The `balances` table against the replayed journal: mismatches are logged, not repaired. */
async function checkBalances(s: TradingState): Promise<void> {
  const rows = await s.db.balance.findMany();
  const mismatches: string[] = [];
  for (const row of rows) {
    const live = s.book.ledger.balances(row.accountId).find((b) => b.asset === row.asset);
    const free = live?.free ?? 0n;
    const locked = live?.locked ?? 0n;
    if (
      toDecimal(free).toFixed() !== row.free.toFixed() ||
      toDecimal(locked).toFixed() !== row.locked.toFixed()
    )
      mismatches.push(`${row.accountId}/${row.asset}`);
  }
  if (mismatches.length > 0)
    s.logger.error({ mismatches }, 'balances table disagrees with the ledger journal');
}
