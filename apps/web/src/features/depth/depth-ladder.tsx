'use client';

import type { Depth } from '@qt/shared';
import { useMemo } from 'react';
import { formatDecimal } from '../markets/decimal-text';
import { buildLadder, type LadderRow } from './depth-ladder-model';

export interface DepthLadderProps {
  depth: Depth;
  /** Rows per side. */
  rows: number;
  priceDecimals: number;
  /** Sizes padded to the lot size; null (lot unknown yet) prints them as the venue sent them. */
  sizeDecimals: number | null;
  /** A click on a row's price: "use this price" (the order ticket listens on the Trade screen). */
  onPick?: (price: string) => void;
}

const columns = 'grid grid-cols-[minmax(0,1fr)_minmax(0,1fr)_minmax(0,1fr)] gap-2';

/**
 * The ladder: asks above (best ask at the bottom of them), the spread and mid in the middle, bids below
 * (best bid on top). Each row has a bar for the cumulative size from the best price to it. Prices and
 * sizes are the engine's exact decimal strings, padded to the instrument's tick and lot.
 */
export function DepthLadder({ depth, rows, priceDecimals, sizeDecimals, onPick }: DepthLadderProps) {
  const ladder = useMemo(() => buildLadder(depth.bids, depth.asks, rows), [depth, rows]);
  const size = (v: string) => (sizeDecimals === null ? v : formatDecimal(v, sizeDecimals));
  const row = (r: LadderRow, side: 'bid' | 'ask') => (
    <li
      key={`${side}:${r.price}`}
      className="relative"
      data-testid="depth-row"
      data-side={side}
      data-price={r.price}
    >
      <span
        aria-hidden="true"
        className={`absolute inset-y-0 right-0 ${side === 'bid' ? 'bg-emerald-500/15' : 'bg-rose-500/15'}`}
        style={{ width: `${(r.ratio * 100).toFixed(2)}%` }}
      />
      <button
        type="button"
        disabled={!onPick}
        onClick={() => onPick?.(r.price)}
        title={onPick ? 'Use this price' : undefined}
        className={`relative ${columns} w-full px-3 py-[2px] text-left hover:bg-zinc-800/60 disabled:cursor-default disabled:hover:bg-transparent`}
      >
        <span className={side === 'bid' ? 'text-emerald-400' : 'text-rose-400'}>
          {formatDecimal(r.price, priceDecimals)}
        </span>
        <span className="truncate text-right text-zinc-300">{size(r.quantity)}</span>
        <span className="truncate text-right text-zinc-500">{size(r.cumulative)}</span>
      </button>
    </li>
  );
  return (
    <div
      className="font-mono text-xs tabular-nums"
      data-testid="depth-ladder"
      data-best-bid={ladder.bids[0]?.price ?? ''}
      data-best-ask={ladder.asks[0]?.price ?? ''}
      data-signature={signature(ladder.bids, ladder.asks)}
    >
      <div
        className={`${columns} px-3 pt-1.5 pb-1 font-sans text-[10px] font-semibold tracking-wider text-zinc-500 uppercase`}
      >
        <span>Price</span>
        <span className="text-right">Size</span>
        <span className="text-right">Total</span>
      </div>
      <ol aria-label="Asks">{[...ladder.asks].reverse().map((r) => row(r, 'ask'))}</ol>
      <div
        className="flex flex-wrap items-baseline justify-between gap-x-3 border-y border-zinc-800 bg-zinc-950/60 px-3 py-1 text-[11px]"
        data-testid="depth-spread"
        data-spread={ladder.spread ?? ''}
        data-mid={ladder.mid ?? ''}
      >
        <span>
          <span className="font-sans text-zinc-500">Spread </span>
          <span className="text-zinc-200">
            {ladder.spread === null ? '—' : formatDecimal(ladder.spread, priceDecimals)}
          </span>
          {ladder.spreadBps !== null && <span className="text-zinc-500"> ({ladder.spreadBps} bps)</span>}
        </span>
        <span>
          <span className="font-sans text-zinc-500">Mid </span>
          <span className="text-zinc-100">
            {ladder.mid === null ? '—' : formatDecimal(ladder.mid, priceDecimals)}
          </span>
        </span>
      </div>
      <ol aria-label="Bids">{ladder.bids.map((r) => row(r, 'bid'))}</ol>
    </div>
  );
}

/** A short fingerprint of the shown levels: the browser test checks that it changes as the book moves. */
function signature(bids: readonly LadderRow[], asks: readonly LadderRow[]): string {
  const top = (rows: readonly LadderRow[]) =>
    rows
      .slice(0, 5)
      .map((r) => `${r.price}x${r.quantity}`)
      .join(',');
  return `${top(bids)}|${top(asks)}`;
}
