'use client';

import type { OrderView } from '@qt/shared';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Button } from '@/components/ui/button';
import { useTRPC } from '@/engine/react';
import { ConfirmDialog } from '../cockpit/confirm-dialog';
import { formatDecimal } from '../markets/decimal-text';
import { RECENT_LIMIT, upsertOpenOrder } from './account-cache';
import { clockTime } from './fills-panel';
import { statusText } from './order-status';
import { roundDecimal } from './order-ticket-rules';
import { describeTradeProblem } from './trade-errors';
import { cell, DataTable, EmptyRows, firstCell, TradePanel } from './trade-panel';
import { liveQuery } from './use-account-feed';
import { usePrecision } from './use-precision';

const typeLabels: Record<OrderView['type'], string> = {
  market: 'Market',
  limit: 'Limit',
  stop_market: 'Stop',
  stop_limit: 'Stop limit',
};

const statusTones: Record<OrderView['status'], string> = {
  new: 'text-sky-300',
  partially_filled: 'text-amber-300',
  filled: 'text-emerald-400',
  canceled: 'text-zinc-500',
  rejected: 'text-rose-400',
  expired: 'text-zinc-500',
};

type Tab = 'open' | 'closed';

/** Open orders (live through `orders.onUpdate`) with cancel and cancel-all, and the latest closed ones. */
export function OrdersPanel({ accountId }: { accountId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const precision = usePrecision();
  const [tab, setTab] = useState<Tab>('open');
  const [canceling, setCanceling] = useState<ReadonlySet<string>>(new Set());
  const [confirmCancelAll, setConfirmCancelAll] = useState(false);
  const open = useQuery(trpc.orders.list.queryOptions({ accountId, status: 'open' }, liveQuery));
  const closed = useQuery(
    trpc.orders.list.queryOptions(
      { accountId, status: 'closed', limit: RECENT_LIMIT },
      {
        ...liveQuery,
        enabled: tab === 'closed',
      },
    ),
  );
  const afterCancel = () =>
    queryClient.invalidateQueries(trpc.orders.list.queryFilter({ accountId, status: 'closed' }));

  const cancel = useMutation(
    trpc.orders.cancel.mutationOptions({
      onMutate: ({ orderId }) => setCanceling((s) => new Set(s).add(orderId)),
      onSettled: (_d, _e, { orderId }) =>
        setCanceling((s) => {
          const next = new Set(s);
          next.delete(orderId);
          return next;
        }),
      onSuccess: (order) => {
        queryClient.setQueryData(trpc.orders.list.queryKey({ accountId, status: 'open' }), (page) =>
          page ? { ...page, orders: upsertOpenOrder(page.orders, order) } : page,
        );
        void afterCancel();
      },
    }),
  );
  const cancelAll = useMutation(
    trpc.orders.cancelAll.mutationOptions({
      onSettled: () => setConfirmCancelAll(false),
      onSuccess: () =>
        Promise.all([
          queryClient.invalidateQueries(trpc.orders.list.queryFilter({ accountId })),
          queryClient.invalidateQueries(trpc.paperAccounts.balances.queryFilter({ accountId })),
        ]),
    }),
  );
  const failure = cancel.error ?? cancelAll.error;
  const problem = failure ? describeTradeProblem(failure) : null;

  const openOrders = open.data?.orders ?? [];
  const shown = tab === 'open' ? open : closed;
  const orders = shown.data?.orders ?? [];

  const tabButton = (t: Tab, label: string) => (
    <button
      type="button"
      role="tab"
      aria-selected={tab === t}
      data-testid={`orders-tab-${t}`}
      onClick={() => setTab(t)}
      className={`rounded px-2 py-0.5 text-xs font-semibold tracking-wider uppercase ${
        tab === t ? 'bg-zinc-800 text-zinc-100' : 'text-zinc-500 hover:text-zinc-300'
      }`}
    >
      {label}
    </button>
  );

  return (
    <TradePanel
      testId="orders"
      title={
        <span role="tablist" aria-label="Orders" className="-ml-2 flex gap-1">
          {tabButton('open', `Open orders (${openOrders.length})`)}
          {tabButton('closed', 'History')}
        </span>
      }
      aside={
        tab === 'open' && openOrders.length > 0 ? (
          <Button
            variant="danger"
            size="sm"
            className="h-6 px-2"
            disabled={cancelAll.isPending}
            onClick={() => setConfirmCancelAll(true)}
            data-testid="open-orders-cancel-all"
          >
            {cancelAll.isPending ? 'Canceling…' : 'Cancel all'}
          </Button>
        ) : null
      }
    >
      <ConfirmDialog
        open={confirmCancelAll}
        title={`Cancel all ${openOrders.length} open orders?`}
        description="Every open order of this account, on every market, is canceled and its funds are released. This cannot be undone."
        confirmLabel="Cancel all orders"
        pending={cancelAll.isPending}
        onConfirm={() => cancelAll.mutate({ accountId })}
        onClose={() => setConfirmCancelAll(false)}
        testId="cancel-all-confirm"
      />
      {problem && (
        <p
          role="alert"
          data-testid="orders-error"
          data-code={problem.code ?? ''}
          className="border-b border-rose-500/30 bg-rose-500/10 px-3 py-1.5 text-xs text-rose-200"
        >
          {problem.message}
        </p>
      )}
      {shown.isPending ? (
        <EmptyRows>Loading orders…</EmptyRows>
      ) : orders.length === 0 ? (
        <EmptyRows>{tab === 'open' ? 'No open orders.' : 'No closed orders yet.'}</EmptyRows>
      ) : (
        <DataTable
          head={[
            'Time',
            'Symbol',
            'Side',
            'Type',
            'Price',
            'Quantity',
            'Filled',
            'Status',
            tab === 'open' ? 'Cancel' : 'Avg price',
          ]}
        >
          {orders.map((o) => {
            const d = precision(o.venue, o.symbol);
            const price = o.price ?? o.stopPrice;
            return (
              <tr
                key={o.id}
                data-testid={tab === 'open' ? 'open-order-row' : 'order-history-row'}
                data-order-id={o.id}
                data-status={o.status}
                data-quantity={o.quantity}
                data-filled={o.filledQuantity}
                data-price={o.price ?? ''}
                className="hover:bg-zinc-800/40"
              >
                <td className={`${firstCell} text-zinc-500`}>{clockTime(o.createdAt)}</td>
                <td className={cell}>{o.symbol}</td>
                <td className={`${cell} ${o.side === 'buy' ? 'text-emerald-400' : 'text-rose-400'}`}>
                  {o.side}
                </td>
                <td className={`${cell} font-sans text-zinc-400`}>
                  {typeLabels[o.type]}
                  {o.postOnly ? ' · PO' : ''}{' '}
                  <span className="text-[10px] text-zinc-500">{o.timeInForce}</span>
                </td>
                <td className={cell}>
                  {price === null ? 'Market' : formatDecimal(price, d.price)}
                  {o.type === 'stop_limit' && o.stopPrice && (
                    <span className="block text-[10px] text-zinc-500">
                      stop {formatDecimal(o.stopPrice, d.price)}
                    </span>
                  )}
                </td>
                <td className={cell}>{formatDecimal(o.quantity, d.size)}</td>
                <td className={cell}>{formatDecimal(o.filledQuantity, d.size)}</td>
                <td className={`${cell} font-sans ${statusTones[o.status]}`} title={o.reason ?? undefined}>
                  {statusText(o)}
                </td>
                <td className={cell}>
                  {tab === 'open' ? (
                    <Button
                      variant="ghost"
                      size="sm"
                      className="h-6 px-2 text-rose-300"
                      disabled={canceling.has(o.id)}
                      onClick={() => cancel.mutate({ accountId, orderId: o.id })}
                      data-testid="open-order-cancel"
                      aria-label={`Cancel ${o.side} ${o.quantity} ${o.symbol}`}
                    >
                      {canceling.has(o.id) ? '…' : 'Cancel'}
                    </Button>
                  ) : o.averagePrice === null ? (
                    '—'
                  ) : (
                    formatDecimal(roundDecimal(o.averagePrice, d.price + 2, d.price), d.price)
                  )}
                </td>
              </tr>
            );
          })}
        </DataTable>
      )}
    </TradePanel>
  );
}
