'use client';

import { isDecimalString, type PaperAccountView } from '@qt/shared';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Button } from '@/components/ui/button';
import { FormError } from '@/components/ui/form-error';
import { TextField } from '@/components/ui/text-field';
import { describeEngineError } from '@/engine/engine-error';
import { useTRPC } from '@/engine/react';

/** What a new account starts with unless the person changes it: enough to place a first order at once. */
export const DEFAULT_STARTING_BALANCE = '10000';

/**
 * Creates a paper account and funds it in one step: the starting balance is deposited in the quote
 * currency (what its equity and PnL are counted in) by the same call. Empty: the account starts empty.
 */
export function CreateAccountForm({
  onCreated,
  suggestedName,
}: {
  onCreated: (account: PaperAccountView) => void;
  suggestedName: string;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [depositError, setDepositError] = useState<string | undefined>();
  const create = useMutation(
    trpc.paperAccounts.create.mutationOptions({
      onSuccess: async (account) => {
        queryClient.setQueryData(trpc.paperAccounts.list.queryKey(), (list) => [...(list ?? []), account]);
        onCreated(account);
        await queryClient.invalidateQueries(trpc.paperAccounts.list.queryFilter());
      },
      // A deposit that failed after the account was made (database outage) leaves it in the list, empty.
      onError: () => queryClient.invalidateQueries(trpc.paperAccounts.list.queryFilter()),
    }),
  );
  const problem = create.isError
    ? describeEngineError(create.error, {
        name: 'Name',
        quoteCurrency: 'Quote currency',
        initialDeposit: 'Starting balance',
      })
    : null;

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const initialDeposit = String(form.get('initialDeposit') ?? '').trim();
    const valid =
      initialDeposit === '' ||
      (isDecimalString(initialDeposit) && !initialDeposit.startsWith('-') && /[1-9]/.test(initialDeposit));
    setDepositError(valid ? undefined : 'Enter a positive amount, like 10000, or leave it empty.');
    if (!valid) return;
    create.mutate({
      name: String(form.get('name') ?? '').trim(),
      quoteCurrency:
        String(form.get('quoteCurrency') ?? '')
          .trim()
          .toUpperCase() || 'USDT',
      ...(initialDeposit === '' ? {} : { initialDeposit }),
    });
  }

  return (
    <form onSubmit={submit} className="space-y-3" aria-label="Create a paper account" noValidate>
      <div className="grid gap-3 sm:grid-cols-[1fr_7rem_9rem]">
        <TextField
          label="Account name"
          name="name"
          defaultValue={suggestedName}
          maxLength={60}
          required
          error={problem?.fieldErrors.name}
          data-testid="account-name"
        />
        <TextField
          label="Quote currency"
          name="quoteCurrency"
          defaultValue="USDT"
          maxLength={20}
          hint="For equity and PnL"
          error={problem?.fieldErrors.quoteCurrency}
        />
        <TextField
          label="Starting balance"
          name="initialDeposit"
          inputMode="decimal"
          autoComplete="off"
          defaultValue={DEFAULT_STARTING_BALANCE}
          hint="Paper money, in the quote currency"
          error={depositError ?? problem?.fieldErrors.initialDeposit}
          data-testid="account-initial-deposit"
        />
      </div>
      {problem && !Object.keys(problem.fieldErrors).length && <FormError message={problem.message} />}
      <div className="flex justify-end">
        <Button type="submit" size="sm" disabled={create.isPending} data-testid="account-create">
          {create.isPending ? 'Creating…' : 'Create and fund'}
        </Button>
      </div>
    </form>
  );
}

/** A simulated deposit: paper money, booked through the ledger like any other movement. */
export function DepositForm({
  account,
  suggestedAmount,
  onDone,
}: {
  account: PaperAccountView;
  suggestedAmount: string;
  onDone: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [amountError, setAmountError] = useState<string | undefined>();
  const deposit = useMutation(
    trpc.paperAccounts.deposit.mutationOptions({
      onSuccess: (balances) => {
        queryClient.setQueryData(trpc.paperAccounts.balances.queryKey({ accountId: account.id }), balances);
        void queryClient.invalidateQueries(trpc.paperAccounts.pnl.queryFilter({ accountId: account.id }));
        onDone();
      },
    }),
  );
  const problem = deposit.isError
    ? describeEngineError(deposit.error, { asset: 'Asset', amount: 'Amount' })
    : null;

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const amount = String(form.get('amount') ?? '').trim();
    const positive = isDecimalString(amount) && !amount.startsWith('-') && /[1-9]/.test(amount);
    setAmountError(positive ? undefined : 'Enter a positive amount, like 10000 or 0.5.');
    if (!positive) return;
    deposit.mutate({
      accountId: account.id,
      asset: String(form.get('asset') ?? '')
        .trim()
        .toUpperCase(),
      amount,
    });
  }

  return (
    <form onSubmit={submit} className="space-y-3" aria-label="Deposit" noValidate>
      <div className="grid grid-cols-[7rem_1fr] gap-3">
        <TextField
          label="Asset"
          name="asset"
          defaultValue={account.quoteCurrency}
          maxLength={20}
          required
          error={problem?.fieldErrors.asset}
          data-testid="deposit-asset"
        />
        <TextField
          label="Amount"
          name="amount"
          inputMode="decimal"
          autoComplete="off"
          defaultValue={suggestedAmount}
          placeholder="10000"
          required
          error={amountError ?? problem?.fieldErrors.amount}
          data-testid="deposit-amount"
        />
      </div>
      {problem && !Object.keys(problem.fieldErrors).length && <FormError message={problem.message} />}
      <div className="flex justify-end gap-2">
        <Button type="button" variant="ghost" size="sm" onClick={onDone}>
          Cancel
        </Button>
        <Button type="submit" size="sm" disabled={deposit.isPending} data-testid="deposit-submit">
          {deposit.isPending ? 'Depositing…' : 'Deposit'}
        </Button>
      </div>
    </form>
  );
}
