'use client';

import { type InstrumentRef, knownVenues } from '@qt/shared';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Button } from '@/components/ui/button';
import { Select } from '@/components/ui/select';
import { useTRPC } from '@/engine/react';
import { retryMarketCall } from '../markets/market-errors';
import { addInstrument } from './deployment-state';

export interface InstrumentPickerProps {
  value: readonly InstrumentRef[];
  onChange: (next: InstrumentRef[]) => void;
  max: number;
  /** Prefix of the pickers' test ids (`deploy` → `deploy-venue`, `deploy-symbol`, `deploy-add`). */
  testId: string;
  error?: string | undefined;
}

/**
 * Venue and symbol pickers as on the Markets screen, plus the list of instruments chosen so far. The
 * first instrument is chosen from the start (a strategy needs at least one); more are added with "Add".
 */
export function InstrumentPicker({ value, onChange, max, testId, error }: InstrumentPickerProps) {
  const trpc = useTRPC();
  const listed = useQuery(
    trpc.market.instruments.queryOptions({}, { staleTime: 5 * 60_000, retry: retryMarketCall }),
  );
  const all = listed.data ?? [];
  const venues = [...new Set(all.length ? all.map((i) => i.venue) : knownVenues)];
  const [venue, setVenue] = useState(value[0]?.venue ?? venues[0] ?? 'binance');
  const symbols = [...new Set(all.filter((i) => i.venue === venue).map((i) => i.symbol))].sort();
  const [symbol, setSymbol] = useState(value[0]?.symbol ?? 'BTC-USDT');
  const chosenSymbol = symbols.length === 0 || symbols.includes(symbol) ? symbol : (symbols[0] ?? symbol);

  function pickVenue(next: string) {
    setVenue(next);
    // With one instrument (the usual case) the pickers edit it in place; with several they stage the next.
    if (value.length === 1) onChange([{ venue: next, symbol: symbolOn(next, chosenSymbol) }]);
  }
  function pickSymbol(next: string) {
    setSymbol(next);
    if (value.length === 1) onChange([{ venue, symbol: next }]);
  }
  function symbolOn(v: string, preferred: string): string {
    const there = all.filter((i) => i.venue === v).map((i) => i.symbol);
    return there.length === 0 || there.includes(preferred) ? preferred : (there.sort()[0] ?? preferred);
  }

  return (
    <div className="space-y-2">
      <div className="flex flex-wrap items-end gap-2">
        <Select
          label="Venue"
          className="w-28"
          data-testid={`${testId}-venue`}
          value={venue}
          onChange={(e) => pickVenue(e.target.value)}
        >
          {venues.map((v) => (
            <option key={v} value={v}>
              {v}
            </option>
          ))}
        </Select>
        <Select
          label="Symbol"
          className="w-32"
          data-testid={`${testId}-symbol`}
          value={chosenSymbol}
          onChange={(e) => pickSymbol(e.target.value)}
        >
          {(symbols.includes(chosenSymbol) ? symbols : [chosenSymbol, ...symbols]).map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </Select>
        <Button
          variant="ghost"
          size="sm"
          data-testid={`${testId}-add`}
          disabled={value.length >= max}
          title={value.length >= max ? `At most ${max} instruments` : 'Add this instrument'}
          onClick={() => onChange(addInstrument(value, { venue, symbol: chosenSymbol }))}
        >
          + Add
        </Button>
      </div>
      <ul className="flex flex-wrap gap-1.5" aria-label="Chosen instruments">
        {value.map((i) => (
          <li
            key={`${i.venue}:${i.symbol}`}
            data-testid={`${testId}-instrument`}
            className="inline-flex items-center gap-1 rounded border border-zinc-700 bg-zinc-800/70 px-1.5 py-0.5 font-mono text-[11px] text-zinc-200"
          >
            <span className="text-zinc-500">{i.venue}</span>
            {i.symbol}
            {value.length > 1 && (
              <button
                type="button"
                aria-label={`Remove ${i.venue} ${i.symbol}`}
                className="ml-0.5 text-zinc-500 hover:text-zinc-200"
                onClick={() => onChange(value.filter((x) => x !== i))}
              >
                ×
              </button>
            )}
          </li>
        ))}
      </ul>
      {error && <p className="text-xs text-rose-300">{error}</p>}
    </div>
  );
}
