'use client';

import type { PaperAccountView } from '@qt/shared';
import { useQuery } from '@tanstack/react-query';
import { Button } from '@/components/ui/button';
import { useTRPC } from '@/engine/react';
import { compareDecimal, formatDecimal } from '../markets/decimal-text';
import { roundDecimal } from './order-ticket-rules';
import { cell, DataTable, EmptyRows, firstCell, TradePanel } from './trade-panel';
import { liveQuery, markedQuery } from './use-account-feed';
import { formatAmountDown, useAssetDecimals } from './use-precision';

/** Quote amounts (equity, PnL) are shown to the cent; balances at their asset's precision, rounded down (exact in the row title). */
const MONEY_DECIMALS = 2;

/** Equity and PnL in the account's quote currency, then every asset's free and locked amounts. */
export function BalancesPanel({ account, onDeposit }: { account: PaperAccountView; onDeposit: () => void }) {
  const trpc = useTRPC();
  const input = { accountId: account.id };
  const balances = useQuery(trpc.paperAccounts.balances.queryOptions(input, liveQuery));
  const decimalsOf = useAssetDecimals();
  const rows = (balances.data ?? []).filter(
    (b) => compareDecimal(b.total, '0') !== 0 || b.asset === account.quoteCurrency,
  );

  return (
    <TradePanel title="Balances" testId="balances">
      <EquitySummary account={account} />
      {balances.isPending ? (
        <EmptyRows>Loading balances…</EmptyRows>
      ) : balances.isError ? (
        <EmptyRows>Balances could not be loaded. They refresh when you come back to this tab.</EmptyRows>
      ) : rows.length === 0 ? (
        <div className="px-3 py-5 text-center" data-testid="balances-empty">
          <p className="text-sm text-zinc-300">This account is empty.</p>
          <p className="mt-1 mb-3 text-xs text-zinc-500">
            Deposit paper {account.quoteCurrency} (e.g. 10,000) to place your first order.
          </p>
          <Button size="sm" onClick={onDeposit}>
            Deposit {account.quoteCurrency}
          </Button>
        </div>
      ) : (
        <DataTable head={['Asset', 'Free', 'Locked']}>
          {rows.map((b) => (
            <tr
              key={b.asset}
              data-testid={`balance-row-${b.asset}`}
              data-free={b.free}
              data-locked={b.locked}
              className="hover:bg-zinc-800/40"
              title={`Total ${b.total} ${b.asset}`}
            >
              <td className={`${firstCell} font-sans font-medium`}>{b.asset}</td>
              <td className={cell}>{formatAmountDown(b.free, decimalsOf(b.asset))}</td>
              <td
                className={`${cell} ${compareDecimal(b.locked, '0') > 0 ? 'text-amber-300' : 'text-zinc-500'}`}
              >
                {formatAmountDown(b.locked, decimalsOf(b.asset))}
              </td>
            </tr>
          ))}
        </DataTable>
      )}
    </TradePanel>
  );
}

function signedTone(value: string | null): string {
  if (value === null) return 'text-zinc-500';
  const c = compareDecimal(value, '0');
  return c > 0 ? 'text-emerald-400' : c < 0 ? 'text-rose-400' : 'text-zinc-300';
}

function money(value: string | null): string {
  return value === null ? '—' : formatDecimal(roundDecimal(value, MONEY_DECIMALS), MONEY_DECIMALS);
}

function EquitySummary({ account }: { account: PaperAccountView }) {
  const trpc = useTRPC();
  const pnl = useQuery(trpc.paperAccounts.pnl.queryOptions({ accountId: account.id }, markedQuery));
  const p = pnl.data;
  const unpriced = p?.unpriced ?? [];
  return (
    <dl className="grid grid-cols-3 gap-2 border-b border-zinc-800 px-3 py-2.5">
      <div className="col-span-3">
        <dt className="text-[10px] font-semibold tracking-wider text-zinc-500 uppercase">
          Equity ({p?.quoteCurrency ?? account.quoteCurrency})
        </dt>
        <dd
          data-testid="equity"
          data-equity={p?.equity ?? ''}
          className="font-mono text-lg font-semibold text-zinc-50 tabular-nums"
          title={
            unpriced.length
              ? `Not counted, no price yet: ${unpriced.join(', ')}`
              : 'Every balance marked to the last trade price'
          }
        >
          {pnl.isPending ? '…' : money(p?.equity ?? null)}
          {unpriced.length > 0 && <span className="ml-1 text-xs text-amber-300">*</span>}
        </dd>
      </div>
      <div>
        <dt className="text-[10px] text-zinc-500 uppercase">Realized</dt>
        <dd data-testid="realized-pnl" className={`font-mono text-xs ${signedTone(p?.realizedPnl ?? null)}`}>
          {money(p?.realizedPnl ?? null)}
        </dd>
      </div>
      <div>
        <dt className="text-[10px] text-zinc-500 uppercase">Unrealized</dt>
        <dd
          data-testid="unrealized-pnl"
          className={`font-mono text-xs ${signedTone(p?.unrealizedPnl ?? null)}`}
        >
          {money(p?.unrealizedPnl ?? null)}
        </dd>
      </div>
    </dl>
  );
}
