'use client';

import type { PaperAccountView } from '@qt/shared';
import { Badge, type BadgeTone } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Dialog } from '@/components/ui/dialog';
import { Select } from '@/components/ui/select';
import { CreateAccountForm, DepositForm } from './account-forms';

const statusTones: Record<PaperAccountView['status'], BadgeTone> = {
  active: 'green',
  reduce_only: 'amber',
  halted: 'red',
};
const statusTitles: Record<PaperAccountView['status'], string> = {
  active: 'Trading normally',
  reduce_only: 'Only orders that reduce a position are accepted (daily loss limit reached)',
  halted: 'Trading halted by the kill switch',
};

export interface AccountBarProps {
  accounts: readonly PaperAccountView[];
  account: PaperAccountView;
  onSelect: (accountId: string) => void;
  onOpen: (dialog: AccountDialog) => void;
}

export type AccountDialog = 'create' | 'deposit';

/** Which paper account the screen trades, with the buttons to fund it and to add another. */
export function AccountBar({ accounts, account, onSelect, onOpen }: AccountBarProps) {
  return (
    <div className="flex flex-wrap items-end gap-2">
      <Select
        label="Account"
        className="w-44"
        data-testid="account-picker"
        value={account.id}
        onChange={(e) => onSelect(e.target.value)}
      >
        {accounts.map((a) => (
          <option key={a.id} value={a.id}>
            {a.name}
          </option>
        ))}
      </Select>
      <Badge
        tone={statusTones[account.status]}
        title={statusTitles[account.status]}
        data-testid="account-status"
        data-status={account.status}
        className="mb-1.5"
      >
        {account.status.replace('_', '-')}
      </Badge>
      <Button variant="secondary" size="sm" onClick={() => onOpen('deposit')} data-testid="deposit-open">
        Deposit
      </Button>
      <Button variant="ghost" size="sm" onClick={() => onOpen('create')} data-testid="account-new">
        New account
      </Button>
    </div>
  );
}

export interface AccountDialogsProps {
  open: AccountDialog | null;
  onClose: () => void;
  account: PaperAccountView;
  accountCount: number;
  /** Prefilled in the deposit form (10000 for an empty account, nothing otherwise). */
  suggestedDeposit: string;
  onCreated: (account: PaperAccountView) => void;
}

export function AccountDialogs({
  open,
  onClose,
  account,
  accountCount,
  suggestedDeposit,
  onCreated,
}: AccountDialogsProps) {
  return (
    <>
      <Dialog
        open={open === 'create'}
        onClose={onClose}
        title="New paper account"
        description="Keep strategies apart: each account has its own balances, orders and risk limits."
      >
        <CreateAccountForm
          suggestedName={`Account ${accountCount + 1}`}
          onCreated={(created) => {
            onClose();
            onCreated(created);
          }}
        />
      </Dialog>
      <Dialog
        open={open === 'deposit'}
        onClose={onClose}
        title={`Deposit to ${account.name}`}
        description="Paper money: booked through the ledger like a real deposit, without leaving your bank."
      >
        <DepositForm account={account} suggestedAmount={suggestedDeposit} onDone={onClose} />
      </Dialog>
    </>
  );
}

/** A tenant with no paper account yet: one step makes one, funded with the starting balance. */
export function FirstAccount({ onCreated }: { onCreated: (account: PaperAccountView) => void }) {
  return (
    <section
      data-testid="trade-onboarding"
      className="mx-auto mt-10 max-w-md rounded-xl border border-zinc-800 bg-zinc-900/60 p-6"
    >
      <h2 className="text-base font-semibold text-zinc-50">Create your first paper account</h2>
      <p className="mt-1 mb-5 text-sm leading-relaxed text-zinc-400">
        Paper accounts trade the market with simulated money. Create one with a starting balance and place
        your first order right away.
      </p>
      <CreateAccountForm suggestedName="Main" onCreated={onCreated} />
    </section>
  );
}
