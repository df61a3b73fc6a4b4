import type { Db, Prisma } from '@qt/db';
import {
  AppError,
  type FillView,
  type LedgerEntryView,
  type listOrdersInput,
  type OrderView,
  type Page,
} from '@qt/shared';
import { formatAmount, paperAccount } from '@qt/trading';
import type { z } from 'zod';
import { fromDecimal } from './amounts.ts';
import { OPEN_STATUSES, orderRowToView } from './order-rows.ts';

/**
 * Read-side queries straight from the database (history pages). The caller has checked that the account
 * belongs to the tenant. Cursors are "<time ms>:<id>" (orders, fills) or a posting sequence (ledger).
 */
function parseCursor(before: string | undefined): { time: Date; id: string } | null {
  if (!before) return null;
  const m = /^(\d{1,15}):(.+)$/.exec(before);
  if (!m) throw new AppError('VALIDATION_FAILED', 'That page cursor is not one this API returned.');
  return { time: new Date(Number(m[1])), id: m[2] as string };
}

export async function listOrderRows(
  db: Db,
  input: z.infer<typeof listOrdersInput>,
): Promise<Page<OrderView>> {
  const cursor = parseCursor(input.before);
  const where: Prisma.OrderWhereInput = {
    accountId: input.accountId,
    ...(input.venue ? { venue: input.venue } : {}),
    ...(input.symbol ? { symbol: input.symbol } : {}),
    ...(input.status === 'open'
      ? { status: { in: [...OPEN_STATUSES] } }
      : input.status === 'closed'
        ? { status: { notIn: [...OPEN_STATUSES] } }
        : {}),
    ...(cursor
      ? {
          OR: [{ createdAt: { lt: cursor.time } }, { createdAt: cursor.time, id: { lt: cursor.id } }],
        }
      : {}),
  };
  const rows = await db.order.findMany({
    where,
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: input.limit + 1,
  });
  const items = rows.slice(0, input.limit);
  const last = items.at(-1);
  return {
    items: items.map(orderRowToView),
    next: rows.length > input.limit && last ? `${last.createdAt.getTime()}:${last.id}` : null,
  };
}

export async function listFillRows(
  db: Db,
  input: { accountId: string; limit: number; before?: string | undefined },
): Promise<Page<FillView>> {
  const cursor = parseCursor(input.before);
  const rows = await db.fill.findMany({
    where: {
      accountId: input.accountId,
      ...(cursor
        ? { OR: [{ time: { lt: cursor.time } }, { time: cursor.time, id: { lt: cursor.id } }] }
        : {}),
    },
    orderBy: [{ time: 'desc' }, { id: 'desc' }],
    take: input.limit + 1,
  });
  const items = rows.slice(0, input.limit);
  const last = items.at(-1);
  return {
    items: items.map((r) => ({
      id: r.id,
      orderId: r.orderId,
      accountId: r.accountId,
      venue: r.venue,
      symbol: r.symbol,
      side: r.side,
      price: formatAmount(fromDecimal(r.price)),
      quantity: formatAmount(fromDecimal(r.quantity)),
      quote: formatAmount(fromDecimal(r.quote)),
      fee: formatAmount(fromDecimal(r.fee)),
      feeAsset: r.feeAsset,
      liquidity: r.liquidity,
      time: r.time.getTime(),
    })),
    next: rows.length > input.limit && last ? `${last.time.getTime()}:${last.id}` : null,
  };
}

/** The account's side of each posting, one line per asset it moved (newest first). */
export async function listLedgerRows(
  db: Db,
  input: { accountId: string; limit: number; before?: string | undefined },
): Promise<Page<LedgerEntryView>> {
  if (input.before !== undefined && !/^\d{1,19}$/.test(input.before))
    throw new AppError('VALIDATION_FAILED', 'That page cursor is not one this API returned.');
  const free = paperAccount(input.accountId, 'free');
  const locked = paperAccount(input.accountId, 'locked');
  const rows = await db.ledgerPosting.findMany({
    where: {
      accountId: input.accountId,
      ...(input.before !== undefined ? { sequence: { lt: BigInt(input.before) } } : {}),
    },
    orderBy: { sequence: 'desc' },
    take: input.limit + 1,
    include: { entries: true },
  });
  const page = rows.slice(0, input.limit);
  const items: LedgerEntryView[] = [];
  for (const p of page) {
    const byAsset = new Map<string, { free: bigint; locked: bigint }>();
    for (const e of p.entries) {
      if (e.ledgerAccount !== free && e.ledgerAccount !== locked) continue;
      const s = byAsset.get(e.asset) ?? { free: 0n, locked: 0n };
      if (e.ledgerAccount === free) s.free += fromDecimal(e.amount);
      else s.locked += fromDecimal(e.amount);
      byAsset.set(e.asset, s);
    }
    for (const [asset, s] of [...byAsset].sort(([a], [b]) => a.localeCompare(b))) {
      items.push({
        postingId: p.id,
        type: p.type,
        asset,
        free: formatAmount(s.free),
        locked: formatAmount(s.locked),
        orderId: p.orderId,
        fillId: p.fillId,
        time: p.createdAt.getTime(),
      });
    }
  }
  const last = page.at(-1);
  return { items, next: rows.length > input.limit && last ? String(last.sequence) : null };
}
