'use client';

import { formatDecimal } from './decimal-text';
import { describeMarketProblem } from './market-errors';
import { MarketProblemState, MarketState } from './market-state';
import { useLiveTrades } from './use-live-trades';

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

function tradeTime(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export interface TradesPanelProps {
  venue: string;
  symbol: string;
  priceDecimals: number;
  /** Sizes padded to the lot size, so the column lines up whatever each venue printed. */
  sizeDecimals: number | null;
}

/** The tape: the latest trades, newest on top, price coloured by the taker's side. */
export function TradesPanel({ venue, symbol, priceDecimals, sizeDecimals }: TradesPanelProps) {
  const { tape, loading, error } = useLiveTrades(venue, symbol);
  return (
    <section className="flex min-h-0 flex-col rounded-xl border border-zinc-800 bg-zinc-900/60">
      <header className="flex items-center justify-between border-b border-zinc-800 px-3 py-2">
        <h2 className="text-xs font-semibold tracking-wider text-zinc-400 uppercase">Trades</h2>
        <span className="font-mono text-[11px] text-zinc-500">{symbol}</span>
      </header>
      <div className="grid grid-cols-[1fr_1fr_auto] gap-2 px-3 pt-1.5 pb-1 text-[10px] font-semibold tracking-wider text-zinc-500 uppercase">
        <span>Price</span>
        <span className="text-right">Size</span>
        <span className="w-20 text-right">Time</span>
      </div>
      <div className="min-h-0 flex-1 overflow-y-auto">
        {error ? (
          <MarketProblemState problem={describeMarketProblem(error, symbol, venue)} brief />
        ) : tape.length === 0 ? (
          <MarketState title={loading ? 'Loading trades…' : 'No trades yet'}>
            {loading ? null : 'Trades appear here as they happen.'}
          </MarketState>
        ) : (
          <ol className="font-mono text-xs" aria-label="Recent trades">
            {tape.map((t) => (
              <li
                key={t.tradeId}
                data-testid="trades-row"
                data-side={t.takerSide}
                className="grid grid-cols-[1fr_1fr_auto] gap-2 px-3 py-[3px] hover:bg-zinc-800/50"
              >
                <span className={t.takerSide === 'buy' ? 'text-emerald-400' : 'text-rose-400'}>
                  {formatDecimal(t.price, priceDecimals)}
                </span>
                <span className="text-right text-zinc-300">
                  {sizeDecimals === null ? t.quantity : formatDecimal(t.quantity, sizeDecimals)}
                </span>
                <span className="w-20 text-right text-zinc-500">{tradeTime(t.exchangeTime)}</span>
              </li>
            ))}
          </ol>
        )}
      </div>
    </section>
  );
}
