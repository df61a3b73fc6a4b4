import type { OrderReservation } from './reservation.ts';

/** What a posting (and each of its entries) records. A fill posting carries `fill`, `fee` and, on the
 * order's last fill, `order_unlock` entries: one atomic, idempotent change per fill. */
export type PostingType = 'deposit' | 'withdrawal' | 'order_lock' | 'order_unlock' | 'fill' | 'fee';

/**
 * One leg of a posting: `amount` (units of 10^-AMOUNT_SCALE, signed) is added to the balance of
 * (`account`, `asset`). Within a posting the entries of each asset sum to zero, and so do the entries of
 * each (type, asset): every leg (trade, fee, release) balances on its own.
 */
export interface Entry {
  readonly type: PostingType;
  readonly account: string;
  readonly asset: string;
  readonly amount: bigint;
}

/** The facts of a fill as the ledger booked them (what a FillView shows). */
export interface BookedFill {
  readonly price: bigint;
  readonly quantity: bigint;
  /** Quote paid (buy) or received (sell) for this fill, before fees; see `order-postings.ts` on rounding. */
  readonly quote: bigint;
  readonly fee: bigint;
  readonly feeAsset: string;
  readonly feeRate: bigint;
}

/**
 * The unit the ledger applies: all entries or none, at most once per `id`. `order` is the order's
 * reservation after this posting (lock, fill, unlock), so replaying postings rebuilds open orders too.
 */
export interface Posting {
  readonly id: string;
  readonly type: PostingType;
  readonly accountId: string;
  readonly orderId: string | null;
  readonly fillId: string | null;
  readonly time: number;
  readonly entries: readonly Entry[];
  readonly fill: BookedFill | null;
  readonly order: OrderReservation | null;
}

/** Sum of the entries per asset (zero for every asset of a balanced posting). */
export function sumByAsset(entries: readonly Entry[]): Map<string, bigint> {
  const sums = new Map<string, bigint>();
  for (const e of entries) sums.set(e.asset, (sums.get(e.asset) ?? 0n) + e.amount);
  return sums;
}

export function isBalanced(entries: readonly Entry[]): boolean {
  // Runs on every posting applied and has 2-6 entries: sum each (type, asset) leg at its first entry
  // with a scan instead of building a Map of string keys.
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as Entry;
    let seen = false;
    for (let j = 0; j < i && !seen; j++) {
      const f = entries[j] as Entry;
      seen = f.type === e.type && f.asset === e.asset;
    }
    if (seen) continue;
    let sum = e.amount;
    for (let k = i + 1; k < entries.length; k++) {
      const f = entries[k] as Entry;
      if (f.type === e.type && f.asset === e.asset) sum += f.amount;
    }
    if (sum !== 0n) return false;
  }
  return true;
}

/** A stable text of everything that defines a posting, to tell a retry from a different posting. */
export function postingFingerprint(p: Posting): string {
  const entries = p.entries.map((e) => `${e.type}|${e.account}|${e.asset}|${e.amount}`).join(';');
  const fill = p.fill ? `${p.fill.price}|${p.fill.quantity}|${p.fill.feeRate}` : '';
  return [p.id, p.type, p.accountId, p.orderId ?? '', p.fillId ?? '', fill, entries].join('#');
}
