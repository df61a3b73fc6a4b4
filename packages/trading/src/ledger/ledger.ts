import { formatAmount as fmt } from '../amounts.ts';
import { isPaperAccount, paperAccount, parseAccountKey } from './accounts.ts';
import { depositPosting, type FundingInput, withdrawalPosting } from './funding-postings.ts';
import { LedgerError } from './ledger-error.ts';
import {
  type FillInput,
  fillPosting,
  type OrderLockInput,
  type OrderUnlockInput,
  orderLockPosting,
  orderUnlockPosting,
} from './order-postings.ts';
import { type BookedFill, type Entry, isBalanced, type Posting, postingFingerprint } from './posting.ts';
import { type OrderReservation, remainingReservation } from './reservation.ts';

export interface ApplyResult {
  /** The posting as first applied (on a repeat: the stored one, not the argument). */
  readonly posting: Posting;
  /** False when the id had been applied before and nothing changed. */
  readonly applied: boolean;
  /** Position of the posting in the journal (0-based); replaying in this order rebuilds the ledger. */
  readonly sequence: number;
}

export interface FillResult extends ApplyResult {
  readonly fill: BookedFill;
  /** The order's reservation right after this fill. */
  readonly order: OrderReservation;
}

export interface AccountBalance {
  readonly asset: string;
  readonly free: bigint;
  readonly locked: bigint;
}

export interface BalanceMismatch {
  readonly account: string;
  readonly asset: string;
  readonly live: bigint;
  readonly expected: bigint;
}

export interface ReconcileReport {
  readonly ok: boolean;
  /** Live balances that differ from the sum of the journal's entries. */
  readonly balances: readonly BalanceMismatch[];
  /** Locked buckets that differ from the sum of their open orders' remaining reservations. */
  readonly reservations: readonly BalanceMismatch[];
  /** Orders whose live reservation differs from the one carried by their last posting. */
  readonly orders: readonly string[];
  /** Postings whose entries do not sum to zero per asset (and per leg). */
  readonly unbalancedPostings: readonly string[];
}

function addTo(map: Map<string, Map<string, bigint>>, account: string, asset: string, amount: bigint): void {
  let assets = map.get(account);
  if (!assets) {
    assets = new Map();
    map.set(account, assets);
  }
  assets.set(asset, (assets.get(asset) ?? 0n) + amount);
}

const NO_BALANCES: ReadonlyMap<string, bigint> = new Map();

/** True when no pair before `i` has the same account: `i` starts that account's group. */
function firstOfAccount(accounts: readonly string[], i: number): boolean {
  const account = accounts[i];
  for (let j = 0; j < i; j++) if (accounts[j] === account) return false;
  return true;
}

function hasZeroEntry(entries: readonly Entry[]): boolean {
  for (let i = 0; i < entries.length; i++) if ((entries[i] as Entry).amount === 0n) return true;
  return false;
}

function sameReservation(a: OrderReservation, b: OrderReservation): boolean {
  const keys = Object.keys(a) as (keyof OrderReservation)[];
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

/**
 * The in-memory double-entry ledger: applies postings atomically (all entries or none) and at most once
 * per posting id, keeps every (account, asset) balance and every order's reservation, and can prove its
 * balances against its own journal. Pure domain: the persistence layer stores the journal (postings with
 * their entries) in the same transaction as the orders and fills, and rebuilds with `Ledger.replay`.
 */
export class Ledger {
  readonly #journal: Posting[] = [];
  readonly #byId = new Map<string, number>();
  readonly #balances = new Map<string, Map<string, bigint>>();
  readonly #orders = new Map<string, OrderReservation>();
  /** apply()'s per-posting (account, asset, delta) sums, reused: apply runs no callbacks, so never nests. */
  readonly #scratchAccount: string[] = [];
  readonly #scratchAsset: string[] = [];
  readonly #scratchDelta: bigint[] = [];

  /** Rebuilds a ledger from a journal in its original order (e.g. after a restart). */
  static replay(postings: Iterable<Posting>): Ledger {
    const ledger = new Ledger();
    for (const p of postings) ledger.apply(p);
    return ledger;
  }

  apply(posting: Posting): ApplyResult {
    const seen = this.#byId.get(posting.id);
    if (seen !== undefined) {
      const first = this.#journal[seen] as Posting;
      if (postingFingerprint(first) !== postingFingerprint(posting)) {
        throw new LedgerError(
          'LEDGER_IDEMPOTENCY_CONFLICT',
          `Posting ${posting.id} was already applied with different content.`,
          { postingId: posting.id },
        );
      }
      return { posting: first, applied: false, sequence: seen };
    }
    this.#check(posting);
    // A posting has 2-6 entries: net them per (account, asset) in reused scratch arrays (no Map per
    // posting), check every paper bucket, then apply. Both passes visit the pairs grouped by account
    // in first-appearance order, as the former Map of Maps did, so the first refusal and the order
    // in which new balances appear are unchanged.
    const entries = posting.entries;
    const accounts = this.#scratchAccount;
    const assets = this.#scratchAsset;
    const deltas = this.#scratchDelta;
    let n = 0;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i] as Entry;
      let j = 0;
      while (j < n && (accounts[j] !== e.account || assets[j] !== e.asset)) j++;
      if (j === n) {
        accounts[n] = e.account;
        assets[n] = e.asset;
        deltas[n++] = e.amount;
      } else deltas[j] = (deltas[j] as bigint) + e.amount;
    }
    for (let i = 0; i < n; i++) {
      const account = accounts[i] as string;
      if (!firstOfAccount(accounts, i) || !isPaperAccount(account)) continue;
      const live = this.#balances.get(account);
      for (let k = i; k < n; k++) {
        if (accounts[k] !== account) continue;
        const asset = assets[k] as string;
        const delta = deltas[k] as bigint;
        const now = live?.get(asset) ?? 0n;
        // Both signs first: the sum is a fresh bigint, and most deltas add to a non-negative bucket.
        if ((delta >= 0n && now >= 0n) || now + delta >= 0n) continue;
        const { bucket } = parseAccountKey(account) as { bucket: 'free' | 'locked' };
        throw bucket === 'free'
          ? new LedgerError(
              'LEDGER_INSUFFICIENT_FUNDS',
              `Not enough ${asset}: ${fmt(now)} available, ${fmt(-delta)} needed. Deposit more or reduce the amount.`,
              { accountId: posting.accountId, asset, available: fmt(now), required: fmt(-delta) },
            )
          : new LedgerError(
              'LEDGER_RESERVATION_EXCEEDED',
              `The posting takes more locked ${asset} than held.`,
              {
                postingId: posting.id,
                asset,
              },
            );
      }
    }
    for (let i = 0; i < n; i++) {
      const account = accounts[i] as string;
      if (!firstOfAccount(accounts, i)) continue;
      let live = this.#balances.get(account);
      if (!live) {
        live = new Map();
        this.#balances.set(account, live);
      }
      for (let k = i; k < n; k++) {
        if (accounts[k] !== account) continue;
        const asset = assets[k] as string;
        live.set(asset, (live.get(asset) ?? 0n) + (deltas[k] as bigint));
      }
    }
    if (posting.order) this.#orders.set(posting.order.orderId, posting.order);
    const sequence = this.#journal.push(posting) - 1;
    this.#byId.set(posting.id, sequence);
    return { posting, applied: true, sequence };
  }

  deposit(input: FundingInput): ApplyResult {
    return this.apply(depositPosting(input));
  }

  /** Refuses (LEDGER_INSUFFICIENT_FUNDS) more than the free balance. */
  withdraw(input: FundingInput): ApplyResult {
    return this.apply(withdrawalPosting(input));
  }

  /** Reserves what the order may spend; refuses (LEDGER_INSUFFICIENT_FUNDS) when free does not cover it. */
  lockOrder(input: OrderLockInput): ApplyResult {
    return this.apply(orderLockPosting(input));
  }

  /** Books a fill at most once: a repeated fill id returns the first booking and changes nothing. */
  fill(input: FillInput): FillResult {
    const seen = this.#byId.get(`fill:${input.fillId}`);
    if (seen !== undefined) {
      const first = this.#journal[seen] as Posting;
      const f = first.fill;
      if (
        !f ||
        !first.order ||
        first.orderId !== input.orderId ||
        f.price !== input.price ||
        f.quantity !== input.quantity ||
        f.feeRate !== input.feeRate
      ) {
        throw new LedgerError(
          'LEDGER_IDEMPOTENCY_CONFLICT',
          `Fill ${input.fillId} was booked with other terms.`,
          {
            fillId: input.fillId,
          },
        );
      }
      return { posting: first, applied: false, sequence: seen, fill: f, order: first.order };
    }
    const result = this.apply(fillPosting(this.#openOrder(input.orderId), input));
    const { fill, order } = result.posting;
    return { ...result, fill: fill as BookedFill, order: order as OrderReservation };
  }

  /** Releases what a canceled or expired order still holds (once per order). */
  unlockOrder(input: OrderUnlockInput): ApplyResult {
    const seen = this.#byId.get(`unlock:${input.orderId}`);
    if (seen !== undefined)
      return { posting: this.#journal[seen] as Posting, applied: false, sequence: seen };
    return this.apply(orderUnlockPosting(this.#openOrder(input.orderId), input));
  }

  balance(account: string, asset: string): bigint {
    return this.#balances.get(account)?.get(asset) ?? 0n;
  }

  /**
   * One ledger account's live balances by asset (an account key, e.g. `paperAccount(id, 'free')`): no
   * copy and no sort, for a reader that runs after every posting. Read it at once; do not keep it.
   */
  accountBalances(account: string): ReadonlyMap<string, bigint> {
    return this.#balances.get(account) ?? NO_BALANCES;
  }

  /** A paper account's balances per asset (assets it ever held), sorted by asset. */
  balances(accountId: string): AccountBalance[] {
    const free = this.#balances.get(paperAccount(accountId, 'free'));
    const locked = this.#balances.get(paperAccount(accountId, 'locked'));
    const assets = new Set([...(free?.keys() ?? []), ...(locked?.keys() ?? [])]);
    return [...assets].sort().map((asset) => ({
      asset,
      free: free?.get(asset) ?? 0n,
      locked: locked?.get(asset) ?? 0n,
    }));
  }

  /** Every (account, asset, balance) held, system accounts included. */
  *entries(): Generator<{ account: string; asset: string; amount: bigint }> {
    for (const [account, assets] of this.#balances) {
      for (const [asset, amount] of assets) yield { account, asset, amount };
    }
  }

  /** Sum of every balance per asset; all zero while the ledger conserves value. */
  totals(): Map<string, bigint> {
    const totals = new Map<string, bigint>();
    for (const { asset, amount } of this.entries()) totals.set(asset, (totals.get(asset) ?? 0n) + amount);
    return totals;
  }

  order(orderId: string): OrderReservation | undefined {
    return this.#orders.get(orderId);
  }

  openOrders(accountId?: string): OrderReservation[] {
    return [...this.#orders.values()].filter(
      (o) => o.status === 'open' && (accountId === undefined || o.accountId === accountId),
    );
  }

  posting(id: string): Posting | undefined {
    const seq = this.#byId.get(id);
    return seq === undefined ? undefined : this.#journal[seq];
  }

  journal(): readonly Posting[] {
    return this.#journal;
  }

  /** Recomputes balances and reservations from the journal and compares them with the live state. */
  reconcile(): ReconcileReport {
    const expected = new Map<string, Map<string, bigint>>();
    const lastOrder = new Map<string, OrderReservation>();
    const unbalancedPostings: string[] = [];
    for (const p of this.#journal) {
      if (!isBalanced(p.entries)) unbalancedPostings.push(p.id);
      for (const e of p.entries) addTo(expected, e.account, e.asset, e.amount);
      if (p.order) lastOrder.set(p.order.orderId, p.order);
    }
    const balances = diff(this.#balances, expected);

    const reserved = new Map<string, Map<string, bigint>>();
    for (const o of this.#orders.values()) {
      if (o.status === 'open')
        addTo(reserved, paperAccount(o.accountId, 'locked'), o.lockedAsset, remainingReservation(o));
    }
    const lockedOnly = new Map([...this.#balances].filter(([account]) => account.endsWith(':locked')));
    const reservations = diff(lockedOnly, reserved);

    const orders: string[] = [];
    for (const [id, live] of this.#orders) {
      const last = lastOrder.get(id);
      if (!last || !sameReservation(live, last)) orders.push(id);
    }
    for (const id of lastOrder.keys()) if (!this.#orders.has(id)) orders.push(id);

    const ok = balances.length + reservations.length + orders.length + unbalancedPostings.length === 0;
    return { ok, balances, reservations, orders, unbalancedPostings };
  }

  #openOrder(orderId: string): OrderReservation {
    const order = this.#orders.get(orderId);
    if (!order) {
      throw new LedgerError('LEDGER_ORDER_CONFLICT', `The ledger holds no order ${orderId}.`, { orderId });
    }
    return order;
  }

  #check(p: Posting): void {
    if (hasZeroEntry(p.entries) || !isBalanced(p.entries)) {
      throw new LedgerError(
        'LEDGER_UNBALANCED_POSTING',
        `Posting ${p.id} must have non-zero entries summing to zero per asset.`,
        { postingId: p.id },
      );
    }
    if (!p.order) return;
    const current = this.#orders.get(p.order.orderId);
    const expectedSeq = (current?.seq ?? 0) + 1;
    if (
      p.order.seq !== expectedSeq ||
      current?.status === 'closed' ||
      p.orderId !== p.order.orderId ||
      p.accountId !== p.order.accountId
    ) {
      throw new LedgerError(
        'LEDGER_ORDER_CONFLICT',
        `Posting ${p.id} does not follow order ${p.order.orderId}'s current state; rebuild it from the ledger.`,
        { postingId: p.id, orderId: p.order.orderId, expectedSeq, gotSeq: p.order.seq },
      );
    }
  }
}

function diff(
  live: Map<string, Map<string, bigint>>,
  expected: Map<string, Map<string, bigint>>,
): BalanceMismatch[] {
  const out: BalanceMismatch[] = [];
  const accounts = new Set([...live.keys(), ...expected.keys()]);
  for (const account of accounts) {
    const l = live.get(account);
    const e = expected.get(account);
    const assets = new Set([...(l?.keys() ?? []), ...(e?.keys() ?? [])]);
    for (const asset of assets) {
      const a = l?.get(asset) ?? 0n;
      const b = e?.get(asset) ?? 0n;
      if (a !== b) out.push({ account, asset, live: a, expected: b });
    }
  }
  return out;
}
