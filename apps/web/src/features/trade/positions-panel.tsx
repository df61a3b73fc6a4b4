'use client';

import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/engine/react';
import { compareDecimal, formatDecimal } from '../markets/decimal-text';
import { roundDecimal } from './order-ticket-rules';
import { cell, DataTable, EmptyRows, firstCell, TradePanel } from './trade-panel';
import { markedQuery } from './use-account-feed';
import { usePrecision } from './use-precision';

const pnlTone = (v: string | null) =>
  v === null
    ? 'text-zinc-500'
    : compareDecimal(v, '0') > 0
      ? 'text-emerald-400'
      : compareDecimal(v, '0') < 0
        ? 'text-rose-400'
        : '';

const pnlText = (v: string | null) => (v === null ? '—' : formatDecimal(roundDecimal(v, 2), 2));

/** Positions per instrument, marked to the last trade price (refreshed every few seconds and after each fill). */
export function PositionsPanel({ accountId }: { accountId: string }) {
  const trpc = useTRPC();
  const precision = usePrecision();
  const positions = useQuery(trpc.paperAccounts.positions.queryOptions({ accountId }, markedQuery));
  const rows = (positions.data ?? []).filter(
    (p) => compareDecimal(p.quantity, '0') !== 0 || compareDecimal(p.realizedPnl, '0') !== 0,
  );
  return (
    <TradePanel title="Positions" testId="positions">
      {positions.isPending ? (
        <EmptyRows>Loading positions…</EmptyRows>
      ) : rows.length === 0 ? (
        <EmptyRows>No positions yet. A filled buy opens one.</EmptyRows>
      ) : (
        <DataTable head={['Symbol', 'Quantity', 'Avg entry', 'Mark', 'Unrealized', 'Realized']}>
          {rows.map((p) => {
            const d = precision(p.venue, p.symbol);
            return (
              <tr
                key={`${p.venue}|${p.symbol}`}
                data-testid={`position-row-${p.symbol}`}
                data-quantity={p.quantity}
                className="hover:bg-zinc-800/40"
              >
                <td className={firstCell}>
                  {p.symbol} <span className="font-sans text-[10px] text-zinc-500">{p.venue}</span>
                </td>
                <td className={cell}>{formatDecimal(p.quantity, d.size)}</td>
                <td className={cell}>
                  {p.averageEntryPrice === null
                    ? '—'
                    : formatDecimal(roundDecimal(p.averageEntryPrice, d.price), d.price)}
                </td>
                <td className={cell} title="Last trade price">
                  {p.markPrice === null ? '—' : formatDecimal(p.markPrice, d.price)}
                </td>
                <td className={`${cell} ${pnlTone(p.unrealizedPnl)}`}>{pnlText(p.unrealizedPnl)}</td>
                <td className={`${cell} ${pnlTone(p.realizedPnl)}`}>{pnlText(p.realizedPnl)}</td>
              </tr>
            );
          })}
        </DataTable>
      )}
    </TradePanel>
  );
}
