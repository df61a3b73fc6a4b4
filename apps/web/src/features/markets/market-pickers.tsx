'use client';

import { Select } from '@/components/ui/select';
import { SymbolCombobox } from '../watchlist/symbol-combobox';
import { IntervalPicker } from './interval-picker';
import type { MarketSelection } from './market-selection';

export interface MarketPickersProps {
  selection: MarketSelection;
  venues: readonly string[];
  /** The symbols the venue lists on this engine (followed or followable). */
  symbols: readonly string[];
  onChange: (next: Partial<MarketSelection>) => void;
}

/**
 * Venue, symbol and interval. The symbol is a searchable picker (type to filter, keyboard navigation, 24h
 * change, followed vs followable); the venue is a plain select, the interval a favourites bar and a menu.
 */
export function MarketPickers({ selection, venues, symbols, onChange }: MarketPickersProps) {
  return (
    <div className="flex flex-wrap items-end gap-2">
      <Select
        label="Venue"
        className="w-28"
        data-testid="markets-venue"
        value={selection.venue}
        onChange={(e) => onChange({ venue: e.target.value })}
      >
        {venues.map((v) => (
          <option key={v} value={v}>
            {v}
          </option>
        ))}
      </Select>
      <SymbolCombobox
        venue={selection.venue}
        value={selection.symbol}
        listed={symbols}
        onChange={(symbol) => onChange({ symbol })}
      />
      {/*
        The plain list of the venue's symbols, kept out of sight and out of the tab order: scripted flows
        (browser tests, automation) pick a symbol with a native select; people use the picker above.
      */}
      <select
        aria-hidden="true"
        tabIndex={-1}
        data-testid="markets-symbol"
        className="sr-only"
        value={selection.symbol}
        onChange={(e) => onChange({ symbol: e.target.value })}
      >
        {symbols.map((s) => (
          <option key={s} value={s}>
            {s}
          </option>
        ))}
      </select>
      <IntervalPicker value={selection.interval} onChange={(interval) => onChange({ interval })} />
    </div>
  );
}
