import { randomUUID } from 'node:crypto';
import { withinTierCap } from '@qt/api';
import { Prisma } from '@qt/db';
import {
  AMOUNT_SCALE,
  AppError,
  type BalanceView,
  type PaperAccountView,
  parseScaled,
  type TenantScope,
} from '@qt/shared';
import {
  asAppError,
  assertApplies,
  assertFits,
  assertStorable,
  depositPosting,
  type Posting,
  withdrawalPosting,
} from '@qt/trading';
import { accountView, balanceViews, ownAccount, tenantOf } from './account-access.ts';
import { isTransientDbError } from './db-errors.ts';
import { applied, writeChange } from './event-application.ts';
import { postingStored } from './journal-writes.ts';
import { hold, refuseIfHeld, unavailable } from './persistence-hold.ts';
import { accountMetaOf } from './risk-inputs.ts';
import type { TradingState } from './trading-state.ts';

export interface TransferInput {
  accountId: string;
  asset: string;
  amount: string;
}

export async function createAccount(
  s: TradingState,
  scope: TenantScope,
  input: { name: string; quoteCurrency: string },
): Promise<PaperAccountView> {
  try {
    // The tier's cap on paper accounts is counted and the row inserted under one lock (concurrent
    // creates cannot all pass the count).
    const row = await withinTierCap(s.db, {
      tenantId: scope.tenantId,
      kind: 'paperAccounts',
      count: (tx) => tx.paperAccount.count({ where: { tenantId: scope.tenantId } }),
      create: (tx) =>
        tx.paperAccount.create({
          data: { tenantId: scope.tenantId, name: input.name, quoteCurrency: input.quoteCurrency },
        }),
    });
    const meta = accountMetaOf(row);
    s.accounts.set(row.id, meta);
    await tenantOf(s, scope.tenantId);
    return accountView(s, meta);
  } catch (err) {
    if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') {
      throw new AppError(
        'PAPER_ACCOUNT_NAME_TAKEN',
        `A paper account named "${input.name}" exists already. Pick another name.`,
      );
    }
    throw err;
  }
}

export async function listAccounts(s: TradingState, scope: TenantScope): Promise<PaperAccountView[]> {
  const tenant = await tenantOf(s, scope.tenantId);
  return [...s.accounts.values()]
    .filter((a) => a.tenantId === scope.tenantId)
    .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id))
    .map((a) => accountView(s, a, tenant));
}

/** A deposit or withdrawal, on the account's queue: checked, committed, then applied in memory. */
export async function transfer(
  s: TradingState,
  scope: TenantScope,
  input: TransferInput,
  kind: 'deposit' | 'withdrawal',
): Promise<BalanceView[]> {
  const account = ownAccount(s, scope, input.accountId);
  refuseIfHeld(s, account.id);
  return s.queue.runCall(account.id, async () => {
    refuseIfHeld(s, account.id);
    const amount = parseScaled(input.amount, AMOUNT_SCALE);
    assertStorable('amount', amount);
    const funding = {
      id: randomUUID(),
      accountId: account.id,
      asset: input.asset,
      amount,
      time: s.clock.now(),
    };
    let posting: Posting;
    try {
      posting = kind === 'deposit' ? depositPosting(funding) : withdrawalPosting(funding);
      assertApplies(s.book.ledger, posting);
      assertFits(s.book.ledger, posting);
    } catch (err) {
      throw asAppError(err);
    }
    const signed = kind === 'deposit' ? amount : -amount;
    const book = () => {
      applied(s, posting);
      s.days.onTransfer(s.book.ledger, account.id, input.asset, signed, funding.time);
    };
    try {
      await writeChange(s, { tenantId: account.tenantId, posting });
    } catch (err) {
      if (!isTransientDbError(err)) throw asAppError(err);
      // It may have committed with the answer lost: the account waits until the database says which.
      hold(
        s,
        account.id,
        [
          {
            what: `${kind} of unknown outcome`,
            orderId: null,
            run: async () => {
              if (!s.book.ledger.posting(posting.id) && (await postingStored(s.pool, posting.id))) book();
            },
          },
        ],
        err,
      );
      throw unavailable(
        s,
        account.id,
        `The database is unavailable: the ${kind} may not have been stored. Check the balances once it is back before trying again.`,
        { postingId: posting.id },
      );
    }
    book();
    return balanceViews(s, account.id);
  });
}
