import { randomUUID } from 'node:crypto';
import type { TenantScope } from '@qt/api';
import { Prisma } from '@qt/db';
import { AMOUNT_SCALE, AppError, type BalanceView, type PaperAccountView, parseScaled } from '@qt/shared';
import { depositPosting, withdrawalPosting } from '@qt/trading';
import { accountView, balanceViews, ownAccount, tenantOf } from './account-access.ts';
import { applied } from './event-application.ts';
import { asAppError, assertApplies } from './ledger-guard.ts';
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
    const row = await s.db.paperAccount.create({
      data: { tenantId: scope.tenantId, name: input.name, quoteCurrency: input.quoteCurrency },
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
  return s.queue.run(account.id, async () => {
    const funding = {
      id: randomUUID(),
      accountId: account.id,
      asset: input.asset,
      amount: parseScaled(input.amount, AMOUNT_SCALE),
      time: s.clock.now(),
    };
    try {
      const posting = kind === 'deposit' ? depositPosting(funding) : withdrawalPosting(funding);
      assertApplies(s.ledger, posting);
      await s.journal.write({ tenantId: account.tenantId, posting });
      applied(s, posting);
      const signed = kind === 'deposit' ? funding.amount : -funding.amount;
      s.days.onTransfer(s.ledger, account.id, input.asset, signed, funding.time);
    } catch (err) {
      throw asAppError(err);
    }
    return balanceViews(s, account.id);
  });
}
