import { LedgerError } from './ledger-error.ts';

/**
 * Ledger accounts as stable string keys (what the persistence layer stores in an entry's `account` column).
 * A paper account has two buckets per asset: `free` (spendable) and `locked` (reserved by open orders).
 * System accounts hold the other side of every change: `system:external` (the world outside: deposits and
 * withdrawals), `system:fee` (fees charged, one balance per asset) and `venue:<venue>` (the simulated
 * counterparty of every trade on that venue). System balances may be negative; paper buckets never are.
 */
export type Bucket = 'free' | 'locked';

export type LedgerAccount =
  | { kind: 'paper'; accountId: string; bucket: Bucket }
  | { kind: 'fee' }
  | { kind: 'external' }
  | { kind: 'venue'; venue: string };

export const FEE_ACCOUNT = 'system:fee';
export const EXTERNAL_ACCOUNT = 'system:external';

export function paperAccount(accountId: string, bucket: Bucket): string {
  if (accountId.length === 0 || accountId.includes(':')) {
    throw new LedgerError('LEDGER_INVALID_INPUT', `"${accountId}" is not a usable account id.`, {
      accountId,
    });
  }
  return `paper:${accountId}:${bucket}`;
}

export function venueAccount(venue: string): string {
  if (venue.length === 0 || venue.includes(':')) {
    throw new LedgerError('LEDGER_INVALID_INPUT', `"${venue}" is not a usable venue id.`, { venue });
  }
  return `venue:${venue}`;
}

export function parseAccountKey(key: string): LedgerAccount {
  if (key === FEE_ACCOUNT) return { kind: 'fee' };
  if (key === EXTERNAL_ACCOUNT) return { kind: 'external' };
  const parts = key.split(':');
  if (parts[0] === 'venue' && parts.length === 2 && parts[1]) return { kind: 'venue', venue: parts[1] };
  if (
    parts[0] === 'paper' &&
    parts.length === 3 &&
    parts[1] &&
    (parts[2] === 'free' || parts[2] === 'locked')
  ) {
    return { kind: 'paper', accountId: parts[1], bucket: parts[2] };
  }
  throw new LedgerError('LEDGER_INVALID_INPUT', `"${key}" is not a ledger account key.`, { key });
}

/** True for the buckets that must never go negative. */
export function isPaperAccount(key: string): boolean {
  return key.startsWith('paper:');
}

/** Base and quote assets of a canonical symbol ("BTC-USDT" -> BTC, USDT). */
export function symbolAssets(symbol: string): { base: string; quote: string } {
  const dash = symbol.indexOf('-');
  const base = symbol.slice(0, dash);
  const quote = symbol.slice(dash + 1);
  if (dash <= 0 || quote.length === 0 || quote.includes('-')) {
    throw new LedgerError('LEDGER_INVALID_INPUT', `"${symbol}" is not a BASE-QUOTE symbol.`, { symbol });
  }
  return { base, quote };
}
