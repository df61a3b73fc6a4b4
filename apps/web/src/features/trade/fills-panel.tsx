'use client';

import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/engine/react';
import { formatDecimal } from '../markets/decimal-text';
import { RECENT_LIMIT } from './account-cache';
import { cell, DataTable, EmptyRows, firstCell, TradePanel } from './trade-panel';
import { liveQuery } from './use-account-feed';
import { usePrecision } from './use-precision';

const pad = (n: number) => String(n).padStart(2, '0');
export function clockTime(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** The account's latest fills, newest first; `fills.onFill` adds to the top as they happen. */
export function FillsPanel({ accountId }: { accountId: string }) {
  const trpc = useTRPC();
  const precision = usePrecision();
  const fills = useQuery(trpc.fills.list.queryOptions({ accountId, limit: RECENT_LIMIT }, liveQuery));
  const items = fills.data?.items ?? [];
  return (
    <TradePanel title="Fills" testId="fills">
      {fills.isPending ? (
        <EmptyRows>Loading fills…</EmptyRows>
      ) : items.length === 0 ? (
        <EmptyRows>No fills yet.</EmptyRows>
      ) : (
        <DataTable head={['Time', 'Symbol', 'Side', 'Price', 'Quantity', 'Fee']}>
          {items.map((f) => {
            const d = precision(f.venue, f.symbol);
            return (
              <tr
                key={f.id}
                data-testid="fill-row"
                data-fill-id={f.id}
                data-order-id={f.orderId}
                className="hover:bg-zinc-800/40"
              >
                <td className={`${firstCell} text-zinc-500`}>{clockTime(f.time)}</td>
                <td className={cell}>{f.symbol}</td>
                <td className={`${cell} ${f.side === 'buy' ? 'text-emerald-400' : 'text-rose-400'}`}>
                  {f.side}
                  <span
                    className="ml-1 text-[10px] text-zinc-500"
                    title={f.liquidity === 'maker' ? 'Maker' : 'Taker'}
                  >
                    {f.liquidity === 'maker' ? 'M' : 'T'}
                  </span>
                </td>
                <td className={cell}>{formatDecimal(f.price, d.price)}</td>
                <td className={cell}>{formatDecimal(f.quantity, d.size)}</td>
                <td className={`${cell} text-zinc-400`}>
                  {f.fee} <span className="font-sans text-[10px] text-zinc-500">{f.feeAsset}</span>
                </td>
              </tr>
            );
          })}
        </DataTable>
      )}
    </TradePanel>
  );
}
