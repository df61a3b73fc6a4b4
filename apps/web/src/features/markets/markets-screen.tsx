'use client';

import { useState } from 'react';
import { DepthPanel } from '../depth/depth-panel';
import { HistoryPanel } from '../history/history-panel';
import { WatchlistPanel } from '../watchlist/watchlist-panel';
import { CandlePanel } from './candle-panel';
import { decimalsOf } from './decimal-text';
import { FeedBadges, FeedProblemBanner } from './feed-badges';
import { MarketPickers } from './market-pickers';
import { type MarketSelection, selectionKey, selectionQuery } from './market-selection';
import { TradesPanel } from './trades-panel';
import { useInstruments } from './use-instruments';

/** Shown until the instrument list says otherwise: enough for most quote currencies. */
const FALLBACK_PRICE_DECIMALS = 2;

/**
 * The Markets screen: pickers and feed health on top, the chart and the trade tape below. The selection
 * lives in the URL query (replaced, not pushed: switching symbols should not fill the back button).
 */
export function MarketsScreen({ initial }: { initial: MarketSelection }) {
  const [selection, setSelection] = useState(initial);
  const instruments = useInstruments(selection);

  function change(next: Partial<MarketSelection>) {
    const merged = { ...selection, ...next };
    if (next.venue && !next.symbol) merged.symbol = instruments.symbolOn(next.venue, selection.symbol);
    setSelection(merged);
    window.history.replaceState(null, '', `?${selectionQuery(merged)}`);
  }

  const { instrument } = instruments;
  const priceDecimals = instrument ? decimalsOf(instrument.tickSize) : FALLBACK_PRICE_DECIMALS;
  const sizeDecimals = instrument ? decimalsOf(instrument.lotSize) : null;
  const key = selectionKey(selection);

  return (
    <div data-wide-page className="flex flex-col gap-3">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div className="flex flex-wrap items-end gap-4">
          <h1 className="pb-1 text-lg font-semibold tracking-tight text-zinc-50">Markets</h1>
          <MarketPickers
            selection={selection}
            venues={instruments.venues}
            symbols={instruments.symbols}
            onChange={change}
          />
        </div>
        <FeedBadges />
      </div>
      <FeedProblemBanner />
      <div className="grid grid-cols-1 gap-3 lg:h-[calc(100dvh-10.5rem)] lg:min-h-[520px] lg:grid-cols-[minmax(0,1fr)_19rem]">
        <CandlePanel key={key} selection={selection} priceDecimals={priceDecimals} />
        <TradesPanel
          key={`${selection.venue}|${selection.symbol}`}
          venue={selection.venue}
          symbol={selection.symbol}
          priceDecimals={priceDecimals}
          sizeDecimals={sizeDecimals}
        />
      </div>
      <div className="grid grid-cols-1 gap-3 2xl:grid-cols-2">
        <DepthPanel
          key={`depth|${selection.venue}|${selection.symbol}`}
          venue={selection.venue}
          symbol={selection.symbol}
          priceDecimals={priceDecimals}
          sizeDecimals={sizeDecimals}
        />
        <HistoryPanel
          key={`history|${selection.venue}|${selection.symbol}`}
          venue={selection.venue}
          symbol={selection.symbol}
        />
      </div>
      <WatchlistPanel current={selection} onPick={change} />
    </div>
  );
}
