import type { Db, Prisma } from '@qt/db';
import {
  type BookedFill,
  type Entry,
  type OrderReservation,
  type Posting,
  parseAccountKey,
} from '@qt/trading';
import { fromDecimal, toDecimal } from './amounts.ts';

/** A Prisma client or the transaction client inside `$transaction`. */
export type DbTx = Prisma.TransactionClient | Db;

const reservationAmounts = [
  'quantity',
  'maxFeeRate',
  'notionalCap',
  'feeCap',
  'consumed',
  'filledQuantity',
  'filledQuote',
  'feeTotal',
  'notionalExact',
  'feeExact',
] as const;
const fillAmounts = ['price', 'quantity', 'quote', 'fee', 'feeRate'] as const;

type Json = Record<string, unknown>;

/** bigints as decimal-free integer strings: JSON has no bigint, and a float would lose units. */
function detailOf(p: Posting): Json {
  const order = p.order
    ? Object.fromEntries(
        Object.entries(p.order).map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : v]),
      )
    : null;
  const fill = p.fill
    ? Object.fromEntries(
        Object.entries(p.fill).map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : v]),
      )
    : null;
  return { order, fill };
}

function reservationFrom(json: Json): OrderReservation {
  const out: Json = { ...json };
  for (const k of reservationAmounts) out[k] = BigInt(json[k] as string);
  out.limitPrice = json.limitPrice === null ? null : BigInt(json.limitPrice as string);
  return out as unknown as OrderReservation;
}

function fillFrom(json: Json): BookedFill {
  const out: Json = { ...json };
  for (const k of fillAmounts) out[k] = BigInt(json[k] as string);
  return out as unknown as BookedFill;
}

/**
 * Writes one posting in the caller's transaction: the posting (its id is the idempotency key), its
 * entries, and the balance rows of the paper buckets it moves (the CHECK >= 0 is the last guard).
 */
export async function writePosting(tx: DbTx, tenantId: string, p: Posting): Promise<void> {
  await tx.ledgerPosting.create({
    data: {
      id: p.id,
      tenantId,
      accountId: p.accountId,
      type: p.type,
      orderId: p.orderId,
      fillId: p.fillId,
      detail: detailOf(p) as Prisma.InputJsonObject,
      createdAt: new Date(p.time),
      entries: {
        createMany: {
          data: p.entries.map((e) => ({
            type: e.type,
            ledgerAccount: e.account,
            asset: e.asset,
            amount: toDecimal(e.amount),
          })),
        },
      },
    },
  });
  const deltas = new Map<string, { accountId: string; asset: string; free: bigint; locked: bigint }>();
  for (const e of p.entries) {
    if (!e.account.startsWith('paper:')) continue;
    const a = parseAccountKey(e.account);
    if (a.kind !== 'paper') continue;
    const key = `${a.accountId}|${e.asset}`;
    const d = deltas.get(key) ?? { accountId: a.accountId, asset: e.asset, free: 0n, locked: 0n };
    if (a.bucket === 'free') d.free += e.amount;
    else d.locked += e.amount;
    deltas.set(key, d);
  }
  for (const d of deltas.values()) {
    const free = toDecimal(d.free);
    const locked = toDecimal(d.locked);
    // Update first: a CHECK is evaluated on an INSERT's candidate row even when it would conflict.
    const updated = await tx.$executeRaw`
      UPDATE balances SET free = free + ${free}::numeric, locked = locked + ${locked}::numeric, updated_at = now()
      WHERE account_id = ${d.accountId}::uuid AND asset = ${d.asset}`;
    if (updated === 0) {
      await tx.$executeRaw`
        INSERT INTO balances (account_id, asset, free, locked, updated_at)
        VALUES (${d.accountId}::uuid, ${d.asset}, ${free}::numeric, ${locked}::numeric, now())`;
    }
  }
}

/** The whole journal in commit order, page by page, as the ledger's postings (for `Ledger.replay`). */
export async function* readJournal(db: Db, pageSize = 2_000): AsyncGenerator<Posting> {
  let after = -1n;
  for (;;) {
    const rows = await db.ledgerPosting.findMany({
      where: { sequence: { gt: after } },
      orderBy: { sequence: 'asc' },
      take: pageSize,
      include: { entries: { orderBy: { id: 'asc' } } },
    });
    for (const r of rows) {
      const detail = (r.detail ?? {}) as { order?: Json | null; fill?: Json | null };
      const entries: Entry[] = r.entries.map((e) => ({
        type: e.type,
        account: e.ledgerAccount,
        asset: e.asset,
        amount: fromDecimal(e.amount),
      }));
      yield {
        id: r.id,
        type: r.type,
        accountId: r.accountId,
        orderId: r.orderId,
        fillId: r.fillId,
        time: r.createdAt.getTime(),
        entries,
        fill: detail.fill ? fillFrom(detail.fill) : null,
        order: detail.order ? reservationFrom(detail.order) : null,
      };
    }
    const last = rows.at(-1);
    if (!last || rows.length < pageSize) return;
    after = last.sequence;
  }
}
