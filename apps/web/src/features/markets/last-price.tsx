'use client';

import { useState } from 'react';
import { compareDecimal, formatDecimal } from './decimal-text';

type Direction = 'up' | 'down' | 'flat';

const colors: Record<Direction, string> = {
  up: 'text-emerald-400',
  down: 'text-rose-400',
  flat: 'text-zinc-100',
};

/** The last traded price, green after an uptick and red after a downtick (it keeps the colour on a repeat). */
export function LastPrice({ value, decimals }: { value: string | null; decimals: number }) {
  const [seen, setSeen] = useState<{ value: string | null; direction: Direction }>({
    value,
    direction: 'flat',
  });
  if (value !== seen.value) {
    const c = value && seen.value ? compareDecimal(value, seen.value) : 0;
    setSeen({ value, direction: c > 0 ? 'up' : c < 0 ? 'down' : seen.direction });
  }
  const { direction } = seen;
  return (
    <span
      data-testid="markets-last-price"
      data-direction={direction}
      aria-live="off"
      className={`font-mono text-xl font-semibold tabular-nums ${colors[direction]}`}
    >
      {value ? formatDecimal(value, decimals) : '—'}
      <span aria-hidden="true" className="ml-1 inline-block w-3 text-sm">
        {direction === 'up' ? '▲' : direction === 'down' ? '▼' : ''}
      </span>
    </span>
  );
}
