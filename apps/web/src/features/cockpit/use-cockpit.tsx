'use client';

import type { Instrument, OrderView } from '@qt/shared';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useMemo, useRef, useState } from 'react';
import { Button } from '@/components/ui/button';
import { useTRPC } from '@/engine/react';
import { decimalsOf } from '../markets/decimal-text';
import { RECENT_LIMIT, upsertOpenOrder } from '../trade/account-cache';
import { newClientOrderId } from '../trade/client-order-id';
import { describeTradeProblem } from '../trade/trade-errors';
import { liveQuery, markedQuery } from '../trade/use-account-feed';
import { type CockpitLayer, moveQuestion, type OrderLine, orderLinesOf } from './order-lines';

interface PendingMove {
  line: OrderLine;
  price: string;
  /** Kept across a retry of the same move, so the engine answers the same replacement. */
  clientOrderId: string;
}

/**
 * The Trade chart's account layer: open orders, the entry line and fills of the market shown, from the
 * queries the panels already keep live (no extra requests), and the confirmation a dragged limit line
 * opens before `orders.amend` is sent.
 */
export function useCockpit(
  accountId: string,
  market: { venue: string; symbol: string },
  instrument: Instrument | undefined,
): { layer: CockpitLayer | undefined; confirm: ReactNode } {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const orders = useQuery(trpc.orders.list.queryOptions({ accountId, status: 'open' }, liveQuery));
  const positions = useQuery(trpc.paperAccounts.positions.queryOptions({ accountId }, markedQuery));
  const fills = useQuery(trpc.fills.list.queryOptions({ accountId, limit: RECENT_LIMIT }, liveQuery));
  const [move, setMove] = useState<PendingMove | null>(null);
  const { venue, symbol } = market;
  const quote = symbol.split('-')[1] ?? '';
  const precision = useMemo(
    () =>
      instrument
        ? { price: decimalsOf(instrument.tickSize), size: decimalsOf(instrument.lotSize) }
        : { price: 2, size: 0 },
    [instrument],
  );

  const amend = useMutation(
    trpc.orders.amend.mutationOptions({
      onSuccess: (next, input) => {
        queryClient.setQueryData(trpc.orders.list.queryKey({ accountId, status: 'open' }), (page) =>
          page
            ? {
                ...page,
                orders: upsertOpenOrder(
                  page.orders.filter((o) => o.id !== input.orderId),
                  next,
                ),
              }
            : page,
        );
        void queryClient.invalidateQueries(trpc.orders.list.queryFilter({ accountId, status: 'closed' }));
        setMove(null);
      },
    }),
  );
  const amendRef = useRef(amend);
  amendRef.current = amend;

  const layer = useMemo<CockpitLayer | undefined>(() => {
    if (!instrument) return undefined;
    const position = positions.data?.find((p) => p.venue === venue && p.symbol === symbol);
    return {
      lines: orderLinesOf({
        orders: orders.data?.orders ?? noOrders,
        position,
        venue,
        symbol,
        quote,
        precision,
      }),
      fills: (fills.data?.items ?? []).filter((f) => f.venue === venue && f.symbol === symbol),
      tickSize: instrument.tickSize,
      onOrderMove: (line, price) => {
        amendRef.current.reset();
        setMove({ line, price, clientOrderId: newClientOrderId() });
      },
    };
  }, [instrument, orders.data, positions.data, fills.data, venue, symbol, quote, precision]);

  const problem = amend.error ? describeTradeProblem(amend.error) : null;
  const confirm = move ? (
    <div
      role="dialog"
      aria-label="Move order"
      data-testid="order-move-confirm"
      className="absolute top-8 left-1/2 z-20 w-[min(22rem,calc(100%-1rem))] -translate-x-1/2 rounded-lg border border-zinc-700 bg-zinc-900/95 p-3 text-xs shadow-xl"
    >
      <p className="font-medium text-zinc-100" data-testid="order-move-question">
        {moveQuestion(move.line, move.price, precision)}
      </p>
      <p className="mt-1 text-[11px] text-zinc-500">
        The order is canceled and placed again at the new price (remaining quantity); it loses its place in
        the queue.
      </p>
      {problem && (
        <p
          role="alert"
          data-testid="order-move-error"
          data-code={problem.code ?? ''}
          className="mt-2 text-rose-300"
        >
          {problem.message}
          {problem.code && (
            <span className="ml-1 font-mono text-[10px] text-rose-300/70">{problem.code}</span>
          )}
        </p>
      )}
      <div className="mt-2.5 flex justify-end gap-2">
        <Button
          variant="ghost"
          size="sm"
          className="h-7"
          onClick={() => setMove(null)}
          data-testid="order-move-cancel"
        >
          {problem ? 'Close' : 'Keep it'}
        </Button>
        <Button
          size="sm"
          className="h-7"
          disabled={amend.isPending || !move.line.orderId}
          data-testid="order-move-ok"
          onClick={() =>
            move.line.orderId &&
            amend.mutate({
              accountId,
              orderId: move.line.orderId,
              price: move.price,
              clientOrderId: move.clientOrderId,
            })
          }
        >
          {amend.isPending ? 'Moving…' : 'Move order'}
        </Button>
      </div>
    </div>
  ) : null;

  return { layer, confirm };
}

const noOrders: readonly OrderView[] = [];
