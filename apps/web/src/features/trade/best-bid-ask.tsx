import type { Quote } from '@qt/shared';
import { formatDecimal } from '../markets/decimal-text';

/** "50000.1000" -> "50000.1": the ticket's price field takes the plain digits (checked against the tick). */
function plain(value: string): string {
  return value.includes('.') ? value.replace(/\.?0+$/, '') : value;
}

/**
 * The venue's best bid and ask beside the ticket, live. Clicking a side puts its price in the limit price
 * field (a buy at the ask takes liquidity; at the bid it joins the queue).
 */
export function BestBidAsk({
  quote,
  priceDecimals,
  onPick,
}: {
  quote: Quote | null;
  priceDecimals: number;
  onPick: (price: string) => void;
}) {
  const side = (label: string, price: string | undefined, size: string | undefined, tone: string) => (
    <button
      type="button"
      disabled={!price}
      onClick={() => price && onPick(plain(price))}
      title={price ? `Use the best ${label.toLowerCase()} as the limit price` : 'No quote yet'}
      data-testid={`best-${label.toLowerCase()}`}
      data-price={price ?? ''}
      className="flex flex-1 flex-col items-start rounded-md border border-zinc-800 bg-zinc-950 px-2 py-1 text-left hover:border-zinc-600 disabled:cursor-default disabled:hover:border-zinc-800"
    >
      <span className="text-[10px] font-semibold tracking-wider text-zinc-500 uppercase">{label}</span>
      <span className={`font-mono text-sm tabular-nums ${tone}`}>
        {price ? formatDecimal(price, priceDecimals) : '—'}
      </span>
      <span className="font-mono text-[10px] text-zinc-500 tabular-nums">{size ?? ''}</span>
    </button>
  );
  return (
    <div className="flex gap-2" data-testid="best-bid-ask">
      {side('Bid', quote?.bidPrice, quote?.bidSize, 'text-emerald-300')}
      {side('Ask', quote?.askPrice, quote?.askSize, 'text-rose-300')}
    </div>
  );
}
