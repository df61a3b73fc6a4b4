'use client';

import { knownVenues } from '@qt/shared';
import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { useTRPC } from '@/engine/react';
import { retryMarketCall } from './market-errors';
import type { MarketSelection } from './market-selection';

/**
 * The venues and symbols the engine serves. With none listed (market data off, or not loaded yet) the
 * pickers still offer the known venues and the chosen symbol, so the screen can say why nothing shows.
 */
export function useInstruments(sel: MarketSelection) {
  const trpc = useTRPC();
  const query = useQuery(
    trpc.market.instruments.queryOptions({}, { staleTime: 5 * 60_000, retry: retryMarketCall }),
  );
  return useMemo(() => {
    const list = query.data ?? [];
    const venues = unique([...list.map((i) => i.venue), ...(list.length ? [] : knownVenues)]);
    const onVenue = list.filter((i) => i.venue === sel.venue);
    const symbols = unique(onVenue.map((i) => i.symbol).sort());
    return {
      venues: venues.includes(sel.venue) ? venues : [...venues, sel.venue],
      symbols: symbols.includes(sel.symbol) ? symbols : [sel.symbol, ...symbols],
      instrument: onVenue.find((i) => i.symbol === sel.symbol),
      /** A symbol `venue` lists: the same one if it can, else its first. */
      symbolOn(venue: string, preferred: string): string {
        const there = list.filter((i) => i.venue === venue).map((i) => i.symbol);
        return there.length === 0 || there.includes(preferred) ? preferred : (there.sort()[0] ?? preferred);
      },
    };
  }, [query.data, sel.venue, sel.symbol]);
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}
