import type { BacktestResultView } from '@qt/shared';
import { formatCandleTime } from '../markets/chart-theme';
import { cell, DataTable, EmptyRows, firstCell } from '../trade/trade-panel';
import { atStep, type Precision } from './backtest-report';

/** Rows shown; a long run's earlier orders are summarised by the count above the table. */
const SHOWN = 200;

/**
 * The run's orders, newest first, with the risk or matcher code of each rejection: the first place to
 * look when a strategy traded less than expected.
 */
export function BacktestOrders({
  orders,
  precision,
}: {
  orders: BacktestResultView['orders'];
  /** Tick and lot per instrument (from the report); without it the engine's strings are shown as they are. */
  precision?: Precision;
}) {
  if (orders.length === 0) return <EmptyRows>The strategy placed no orders in this range.</EmptyRows>;
  const shown = orders.slice(-SHOWN).reverse();
  return (
    <div className="max-h-72 overflow-auto" data-testid="backtest-orders" data-orders={orders.length}>
      {orders.length > SHOWN && (
        <p className="px-3 py-1 text-[11px] text-zinc-500">
          Newest {SHOWN} of {orders.length} orders.
        </p>
      )}
      <DataTable head={['Time', 'Symbol', 'Side', 'Type', 'Quantity', 'Price', 'Status']}>
        {shown.map((o, i) => {
          const p = precision?.(o.venue, o.symbol);
          return (
            <tr
              // Orders carry no id in the result; time + position is stable for this immutable list.
              // biome-ignore lint/suspicious/noArrayIndexKey: see above.
              key={`${o.time}-${i}`}
              data-testid="backtest-order-row"
              data-status={o.status}
              className="hover:bg-zinc-800/40"
            >
              <td className={`${firstCell} text-zinc-500`}>{formatCandleTime(o.time, '1s', true)}</td>
              <td className={cell}>{o.symbol}</td>
              <td className={`${cell} ${o.side === 'buy' ? 'text-emerald-400' : 'text-rose-400'}`}>
                {o.side}
              </td>
              <td className={`${cell} text-zinc-400`}>{o.type}</td>
              <td className={cell}>{p?.lot ? atStep(o.quantity, p.lot) : o.quantity}</td>
              <td className={cell}>
                {o.price === null ? 'market' : p?.tick ? atStep(o.price, p.tick) : o.price}
              </td>
              <td
                className={`${cell} ${o.reason ? 'text-rose-300' : 'text-zinc-300'}`}
                title={o.reason ?? undefined}
              >
                {o.status}
                {o.reason && <span className="ml-1 text-[10px]">{o.reason}</span>}
              </td>
            </tr>
          );
        })}
      </DataTable>
    </div>
  );
}
