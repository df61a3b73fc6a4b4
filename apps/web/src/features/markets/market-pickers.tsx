'use client';

import { Select } from '@/components/ui/select';
import { type ChartInterval, chartIntervals, type MarketSelection } from './market-selection';

export interface MarketPickersProps {
  selection: MarketSelection;
  venues: readonly string[];
  symbols: readonly string[];
  onChange: (next: Partial<MarketSelection>) => void;
}

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
      <Select
        label="Symbol"
        className="w-32"
        data-testid="markets-symbol"
        value={selection.symbol}
        onChange={(e) => onChange({ symbol: e.target.value })}
      >
        {symbols.map((s) => (
          <option key={s} value={s}>
            {s}
          </option>
        ))}
      </Select>
      <Select
        label="Interval"
        className="w-20"
        data-testid="markets-interval"
        value={selection.interval}
        onChange={(e) => onChange({ interval: e.target.value as ChartInterval })}
      >
        {chartIntervals.map((i) => (
          <option key={i} value={i}>
            {i}
          </option>
        ))}
      </Select>
    </div>
  );
}
