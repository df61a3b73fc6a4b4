'use client';

import type { Ticker, WatchlistEntry } from '@qt/shared';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { describeEngineError } from '@/engine/engine-error';
import { tickerKey } from './symbol-options';
import { changeTone, formatChange, shortDecimal } from './ticker-text';
import { useTickers } from './use-tickers';
import { useWatchlist } from './use-watchlist';

interface Market {
  venue: string;
  symbol: string;
}

export interface WatchlistPanelProps {
  /** The market on screen (what "Watch" adds). */
  current: Market;
  /** A row was chosen: show that market. */
  onPick: (m: Market) => void;
}

const toneClass = { up: 'text-emerald-400', down: 'text-rose-400', flat: 'text-zinc-300' } as const;

/**
 * The person's watchlist with each market's 24h figures, live (`market.onTickers`, at most once a
 * second). A row picks its market; arrows reorder, the cross removes. A market the engine does not follow
 * shows no figures, and says so.
 */
export function WatchlistPanel({ current, onPick }: WatchlistPanelProps) {
  const list = useWatchlist();
  const { tickers } = useTickers();
  const watching = list.has(current);
  const problem = list.error ? describeEngineError(list.error).message : null;
  return (
    <Card
      title="Watchlist"
      aside={
        <Button
          size="sm"
          variant="secondary"
          data-testid="watchlist-add"
          disabled={watching || list.busy}
          onClick={() => list.add(current)}
        >
          {watching ? `Watching ${current.symbol}` : `Watch ${current.symbol}`}
        </Button>
      }
    >
      {problem && (
        <p role="alert" className="mb-2 text-sm text-rose-300">
          {problem}
        </p>
      )}
      {list.entries.length === 0 ? (
        <p className="text-sm text-zinc-400" data-testid="watchlist-empty">
          {list.isLoading ? 'Loading…' : 'Nothing watched yet. Pick a market and press Watch.'}
        </p>
      ) : (
        <ul data-testid="watchlist" className="-mx-2 flex flex-col">
          <li
            aria-hidden="true"
            className="hidden grid-cols-[minmax(7rem,1.2fr)_repeat(5,minmax(0,1fr))_5.5rem] gap-2 px-2 pb-1 text-[10px] font-semibold tracking-wider text-zinc-500 uppercase md:grid"
          >
            <span>Market</span>
            <span className="text-right">Last</span>
            <span className="text-right">24h</span>
            <span className="text-right">High</span>
            <span className="text-right">Low</span>
            <span className="text-right">Volume</span>
            <span />
          </li>
          {list.entries.map((e, i) => (
            <WatchRow
              key={`${e.venue}:${e.symbol}`}
              entry={e}
              ticker={tickers.get(tickerKey(e.venue, e.symbol))}
              selected={e.venue === current.venue && e.symbol === current.symbol}
              first={i === 0}
              last={i === list.entries.length - 1}
              busy={list.busy}
              onPick={() => onPick({ venue: e.venue, symbol: e.symbol })}
              onMove={(by) => list.move(i, by)}
              onRemove={() => list.remove({ venue: e.venue, symbol: e.symbol })}
            />
          ))}
        </ul>
      )}
    </Card>
  );
}

function WatchRow(props: {
  entry: WatchlistEntry;
  ticker: Ticker | undefined;
  selected: boolean;
  first: boolean;
  last: boolean;
  busy: boolean;
  onPick: () => void;
  onMove: (by: -1 | 1) => void;
  onRemove: () => void;
}) {
  const { entry: e, ticker: t } = props;
  const name = `${e.symbol} on ${e.venue}`;
  const tone = toneClass[changeTone(t?.changePercent ?? null)];
  return (
    <li
      data-testid={`watch-${e.venue}-${e.symbol}`}
      className={`grid grid-cols-[1fr_auto] items-center gap-x-2 gap-y-0.5 rounded-md px-2 py-2 md:grid-cols-[minmax(7rem,1.2fr)_repeat(5,minmax(0,1fr))_5.5rem] md:py-1.5 ${
        props.selected ? 'bg-zinc-800/70' : 'hover:bg-zinc-800/40'
      }`}
    >
      <button
        type="button"
        onClick={props.onPick}
        className="min-w-0 truncate text-left text-sm font-medium text-zinc-100 focus-visible:outline-2 focus-visible:outline-emerald-400"
        aria-label={`Show ${name}`}
      >
        {e.symbol} <span className="text-xs text-zinc-500">{e.venue}</span>
      </button>
      {t ? (
        <>
          <span
            className="text-right font-mono text-sm tabular-nums text-zinc-100"
            data-testid="watch-last"
            title={t.last ?? ''}
          >
            {shortDecimal(t.last, 18)}
          </span>
          <span
            className={`col-start-2 text-right font-mono text-xs tabular-nums md:col-start-auto md:text-sm ${tone}`}
            data-testid="watch-change"
          >
            {formatChange(t.changePercent)}
          </span>
          <span
            className="hidden text-right font-mono text-sm tabular-nums text-zinc-300 md:block"
            title={t.high ?? ''}
          >
            {shortDecimal(t.high, 18)}
          </span>
          <span
            className="hidden text-right font-mono text-sm tabular-nums text-zinc-300 md:block"
            title={t.low ?? ''}
          >
            {shortDecimal(t.low, 18)}
          </span>
          <span
            className="col-start-1 row-start-2 font-mono text-xs tabular-nums text-zinc-400 md:col-start-auto md:row-start-auto md:text-right md:text-sm"
            data-testid="watch-volume"
            title={`${t.baseVolume} base, ${t.quoteVolume} quote over 24h`}
          >
            <span className="md:hidden">Vol </span>
            {shortDecimal(t.quoteVolume, 0)}
          </span>
        </>
      ) : (
        <span className="text-right text-xs text-zinc-500 md:col-span-5">not followed</span>
      )}
      <span className="col-span-2 flex justify-end gap-1 md:col-span-1">
        <IconButton
          label={`Move ${name} up`}
          disabled={props.first || props.busy}
          onClick={() => props.onMove(-1)}
        >
          ↑
        </IconButton>
        <IconButton
          label={`Move ${name} down`}
          disabled={props.last || props.busy}
          onClick={() => props.onMove(1)}
        >
          ↓
        </IconButton>
        <IconButton label={`Remove ${name}`} disabled={props.busy} onClick={props.onRemove}>
          ✕
        </IconButton>
      </span>
    </li>
  );
}

function IconButton(props: { label: string; disabled: boolean; onClick: () => void; children: string }) {
  return (
    <button
      type="button"
      aria-label={props.label}
      title={props.label}
      disabled={props.disabled}
      onClick={props.onClick}
      className="inline-flex h-8 w-8 items-center justify-center rounded text-sm text-zinc-400 hover:bg-zinc-800 hover:text-zinc-100 focus-visible:outline-2 focus-visible:outline-emerald-400 disabled:opacity-30 md:h-7 md:w-7"
    >
      {props.children}
    </button>
  );
}
