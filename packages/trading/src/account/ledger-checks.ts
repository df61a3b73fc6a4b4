import { AppError } from '@qt/shared';
import { formatAmount } from '../amounts.ts';
import { parseAccountKey } from '../ledger/accounts.ts';
import type { Ledger } from '../ledger/ledger.ts';
import { LedgerError } from '../ledger/ledger-error.ts';
import type { Posting } from '../ledger/posting.ts';

/**
 * Throws what `ledger.apply(posting)` would throw, without applying it. The engine checks first, then
 * commits to the database, then applies in memory: so memory never runs ahead of the database, and the
 * apply after commit cannot fail for a reason the check missed.
 */
export function assertApplies(ledger: Ledger, p: Posting): void {
  for (const [k, delta] of paperDeltas(p)) {
    const [account = '', asset = ''] = k.split('\u0000');
    const now = ledger.balance(account, asset);
    if (now + delta >= 0n) continue;
    const bucket = (parseAccountKey(account) as { bucket: 'free' | 'locked' }).bucket;
    const f = formatAmount;
    throw bucket === 'free'
      ? new LedgerError(
          'LEDGER_INSUFFICIENT_FUNDS',
          `Not enough ${asset}: ${f(now)} available, ${f(-delta)} needed. Deposit more or reduce the amount.`,
          { accountId: p.accountId, asset, available: f(now), required: f(-delta) },
        )
      : new LedgerError('LEDGER_RESERVATION_EXCEEDED', `The posting takes more locked ${asset} than held.`, {
          postingId: p.id,
          asset,
        });
  }
  if (p.order) {
    const current = ledger.order(p.order.orderId);
    if (p.order.seq !== (current?.seq ?? 0) + 1 || current?.status === 'closed') {
      throw new LedgerError('LEDGER_ORDER_CONFLICT', `Posting ${p.id} does not follow its order's state.`, {
        postingId: p.id,
      });
    }
  }
}

/**
 * Amounts are stored as numeric(38,18): at most 20 integer digits. 10^38 units of 10^-18 is the first
 * amount that does not fit; the API takes up to 30 integer digits, so this is checked before a write the
 * database would refuse (and a backtest refuses the same orders a live account would).
 */
const STORED_LIMIT = 10n ** 38n;
const STORED_MAX = formatAmount(STORED_LIMIT - 1n);

function outOfRange(field: string): AppError {
  return new AppError(
    'VALUE_OUT_OF_RANGE',
    `The ${field} is larger than the largest amount that can be stored (${STORED_MAX}). Use a smaller amount.`,
    { field, max: STORED_MAX },
  );
}

/** Refuses an input amount (units of 10^-18) that could not be stored. */
export function assertStorable(field: string, units: bigint | null): void {
  if (units !== null && (units >= STORED_LIMIT || units <= -STORED_LIMIT)) throw outOfRange(field);
}

/** Refuses a posting whose entries, or the balances it leaves, could not be stored. */
export function assertFits(ledger: Ledger, p: Posting): void {
  for (const e of p.entries) assertStorable('amount', e.amount);
  for (const [k, delta] of paperDeltas(p)) {
    const [account = '', asset = ''] = k.split('\u0000');
    if (ledger.balance(account, asset) + delta >= STORED_LIMIT) throw outOfRange(`${asset} balance`);
  }
}

/** The posting's net change per paper (account, asset), keyed `account\0asset`. */
function paperDeltas(p: Posting): Map<string, bigint> {
  const deltas = new Map<string, bigint>();
  for (const e of p.entries) {
    if (!e.account.startsWith('paper:')) continue;
    const k = `${e.account}\u0000${e.asset}`;
    deltas.set(k, (deltas.get(k) ?? 0n) + e.amount);
  }
  return deltas;
}
