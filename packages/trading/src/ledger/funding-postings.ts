import { EXTERNAL_ACCOUNT, paperAccount } from './accounts.ts';
import { LedgerError } from './ledger-error.ts';
import type { Posting } from './posting.ts';

/** A simulated deposit or withdrawal; `id` is the caller's idempotency key (a request id). */
export interface FundingInput {
  readonly id: string;
  readonly accountId: string;
  readonly asset: string;
  /** Units of 10^-AMOUNT_SCALE, > 0. */
  readonly amount: bigint;
  readonly time: number;
}

function checkFunding(input: FundingInput): void {
  if (input.amount <= 0n) {
    throw new LedgerError('LEDGER_INVALID_INPUT', 'An amount to deposit or withdraw must be above zero.', {
      amount: String(input.amount),
    });
  }
  if (input.asset.length === 0 || input.id.length === 0) {
    throw new LedgerError('LEDGER_INVALID_INPUT', 'A deposit or withdrawal needs an id and an asset.');
  }
}

/** external -> free. */
export function depositPosting(input: FundingInput): Posting {
  checkFunding(input);
  return {
    id: `deposit:${input.id}`,
    type: 'deposit',
    accountId: input.accountId,
    orderId: null,
    fillId: null,
    time: input.time,
    entries: [
      { type: 'deposit', account: EXTERNAL_ACCOUNT, asset: input.asset, amount: -input.amount },
      {
        type: 'deposit',
        account: paperAccount(input.accountId, 'free'),
        asset: input.asset,
        amount: input.amount,
      },
    ],
    fill: null,
    order: null,
  };
}

/** free -> external; the ledger refuses it (LEDGER_INSUFFICIENT_FUNDS) when free does not cover it. */
export function withdrawalPosting(input: FundingInput): Posting {
  checkFunding(input);
  return {
    id: `withdrawal:${input.id}`,
    type: 'withdrawal',
    accountId: input.accountId,
    orderId: null,
    fillId: null,
    time: input.time,
    entries: [
      {
        type: 'withdrawal',
        account: paperAccount(input.accountId, 'free'),
        asset: input.asset,
        amount: -input.amount,
      },
      { type: 'withdrawal', account: EXTERNAL_ACCOUNT, asset: input.asset, amount: input.amount },
    ],
    fill: null,
    order: null,
  };
}
