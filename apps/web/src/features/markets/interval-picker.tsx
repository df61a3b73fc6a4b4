'use client';

import { useEffect, useId, useState } from 'react';
import { type ChartInterval, defaultFavouriteIntervals, isChartInterval, isFolded } from './chart-intervals';
import { intervalGroups, parseFavourites, toggleFavourite } from './interval-favourites';

const FAVOURITES_KEY = 'qt.chart.favouriteIntervals';
const groups = intervalGroups();

export interface IntervalPickerProps {
  value: ChartInterval;
  onChange: (interval: ChartInterval) => void;
}

/**
 * The chart's interval: the favourites as one-tap buttons, every interval in a menu (a native select:
 * on a phone it opens the system picker), and a star that adds the current interval to the favourites
 * or takes it off. Favourites are kept in this browser, like the chart's other settings.
 */
export function IntervalPicker({ value, onChange }: IntervalPickerProps) {
  const id = useId();
  // The defaults on the server and the first render; the stored list once mounted (no hydration mismatch).
  const [favourites, setFavourites] = useState<readonly ChartInterval[]>(defaultFavouriteIntervals);
  useEffect(() => setFavourites(readFavourites()), []);
  const starred = favourites.includes(value);

  function toggleStar() {
    const next = toggleFavourite(favourites, value);
    setFavourites(next);
    writeFavourites(next);
  }

  const chip =
    'h-8 min-w-8 px-1.5 font-mono text-xs font-medium transition-colors focus:outline-none focus-visible:ring-1 focus-visible:ring-emerald-500';
  return (
    <div>
      <label
        htmlFor={id}
        className="mb-1 block text-[10px] font-semibold tracking-wider text-zinc-500 uppercase"
      >
        Interval
      </label>
      <div className="flex items-center gap-1">
        {favourites.length > 0 && (
          <fieldset
            className="m-0 flex min-w-0 overflow-hidden rounded-md border border-zinc-700 bg-zinc-950 p-0"
            aria-label="Favourite intervals"
          >
            {favourites.map((i) => (
              <button
                key={i}
                type="button"
                aria-pressed={i === value}
                data-testid={`markets-interval-fav-${i}`}
                className={`${chip} ${i === value ? 'bg-zinc-700 text-zinc-50' : 'text-zinc-400 hover:bg-zinc-800 hover:text-zinc-100'}`}
                onClick={() => onChange(i)}
              >
                {i}
              </button>
            ))}
          </fieldset>
        )}
        <select
          id={id}
          data-testid="markets-interval"
          title="Every interval (those marked * are built from finer candles in the browser)"
          className="h-8 w-[4.5rem] rounded-md border border-zinc-700 bg-zinc-950 px-1.5 font-mono text-sm font-medium text-zinc-100 focus:border-emerald-500 focus:ring-1 focus:ring-emerald-500 focus:outline-none"
          value={value}
          onChange={(e) => {
            if (isChartInterval(e.target.value)) onChange(e.target.value);
          }}
        >
          {groups.map((g) => (
            <optgroup key={g.label} label={g.label}>
              {g.intervals.map((i) => (
                <option key={i} value={i}>
                  {i}
                  {isFolded(i) ? ' *' : ''}
                </option>
              ))}
            </optgroup>
          ))}
        </select>
        <button
          type="button"
          aria-pressed={starred}
          aria-label={starred ? `Remove ${value} from the favourites` : `Add ${value} to the favourites`}
          title={
            starred
              ? `Remove ${value} from the favourite intervals`
              : `Add ${value} to the favourite intervals`
          }
          data-testid="markets-interval-star"
          className={`${chip} rounded-md border border-zinc-700 bg-zinc-950 ${starred ? 'text-amber-300' : 'text-zinc-500 hover:text-zinc-200'}`}
          onClick={toggleStar}
        >
          {starred ? '★' : '☆'}
        </button>
      </div>
    </div>
  );
}

function readFavourites(): ChartInterval[] {
  try {
    return parseFavourites(window.localStorage.getItem(FAVOURITES_KEY));
  } catch {
    return [...defaultFavouriteIntervals];
  }
}

function writeFavourites(list: readonly ChartInterval[]): void {
  try {
    window.localStorage.setItem(FAVOURITES_KEY, JSON.stringify(list));
  } catch {
    // Private mode or storage full: the change holds for this page.
  }
}
