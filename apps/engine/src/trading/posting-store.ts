import type { Db } from '@qt/db';
import type { BookedFill, Entry, OrderReservation, Posting } from '@qt/trading';
import { fromDecimal } from './amounts.ts';

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

/**
 * A posting's `detail` column: its order reservation and booked fill, bigints as integer strings (JSON
 * has no bigint, and a float would lose units). `readJournal` reads it back.
 */
export function postingDetail(p: Posting): Json {
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
