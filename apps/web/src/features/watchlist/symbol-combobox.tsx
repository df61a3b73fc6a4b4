'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type KeyboardEvent, useId, useMemo, useState } from 'react';
import { describeEngineError } from '@/engine/engine-error';
import { useTRPC } from '@/engine/react';
import { moveHighlight, symbolOptions } from './symbol-options';
import { changeTone, formatChange } from './ticker-text';
import { useTickers } from './use-tickers';

export interface SymbolComboboxProps {
  venue: string;
  value: string;
  /** What the venue lists on this engine (followable); followed markets come from the tickers. */
  listed: readonly string[];
  onChange: (symbol: string) => void;
}

const toneClass = { up: 'text-emerald-400', down: 'text-rose-400', flat: 'text-zinc-400' } as const;

/**
 * Type to filter the venue's symbols; arrows, Home/End and Enter pick, Escape gives up. Followed markets
 * come first with their 24h change; the others are marked "follow": picking one asks the engine to follow
 * it (`market.follow`, within the plan's limit; a refusal is shown under the field) and then selects it.
 */
export function SymbolCombobox({ venue, value, listed, onChange }: SymbolComboboxProps) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { tickers } = useTickers();
  const [query, setQuery] = useState<string | null>(null);
  const [highlight, setHighlight] = useState(-1);
  const open = query !== null;
  const options = useMemo(
    () => symbolOptions(venue, listed, tickers, query ?? ''),
    [venue, listed, tickers, query],
  );
  const follow = useMutation(
    trpc.market.follow.mutationOptions({
      onSuccess: async (r) => {
        await queryClient.invalidateQueries({ queryKey: trpc.market.tickers.queryKey() });
        onChange(r.symbol);
      },
    }),
  );
  const id = useId();
  const listId = `${id}-list`;
  const optionId = (i: number) => `${id}-opt-${i}`;

  function close() {
    setQuery(null);
    setHighlight(-1);
  }
  function pick(i: number) {
    const o = options[i];
    if (!o) return;
    close();
    if (o.followed) {
      follow.reset();
      onChange(o.symbol);
    } else follow.mutate({ venue, symbol: o.symbol });
  }
  function onKeyDown(e: KeyboardEvent<HTMLInputElement>) {
    switch (e.key) {
      case 'ArrowDown':
      case 'ArrowUp':
      case 'Home':
      case 'End':
        if (!open && (e.key === 'Home' || e.key === 'End')) return;
        e.preventDefault();
        if (!open) setQuery('');
        setHighlight((h) => moveHighlight(h, e.key as 'ArrowDown', options.length));
        return;
      case 'Enter':
        if (!open) return;
        e.preventDefault();
        pick(Math.max(highlight, 0));
        return;
      case 'Escape':
        if (open) e.preventDefault();
        close();
        return;
    }
  }

  const problem = follow.isError ? describeEngineError(follow.error).message : null;
  return (
    <div className="relative w-44">
      <label
        htmlFor={id}
        className="mb-1 block text-[10px] font-semibold tracking-wider text-zinc-500 uppercase"
      >
        Symbol
      </label>
      <input
        id={id}
        data-testid="markets-symbol-search"
        role="combobox"
        aria-expanded={open}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={open && highlight >= 0 ? optionId(highlight) : undefined}
        autoComplete="off"
        spellCheck={false}
        className="block h-8 w-full rounded-md border border-zinc-700 bg-zinc-950 px-2 text-sm font-medium text-zinc-100 placeholder:text-zinc-500 focus:border-emerald-500 focus:ring-1 focus:ring-emerald-500 focus:outline-none"
        value={open ? query : follow.isPending ? `Following ${follow.variables?.symbol ?? ''}…` : value}
        placeholder="Search symbols"
        onFocus={(e) => {
          setQuery('');
          e.currentTarget.select();
        }}
        onBlur={close}
        onChange={(e) => {
          setQuery(e.target.value);
          setHighlight(e.target.value === '' ? -1 : 0);
        }}
        onKeyDown={onKeyDown}
      />
      {/* On phones the list spans the screen (fixed, inset 1rem; top left unset, so it stays right under the
          field): the field may sit anywhere in the wrapped toolbar. */}
      {open && (
        <div
          id={listId}
          role="listbox"
          aria-label={`Symbols on ${venue}`}
          data-testid="markets-symbol-options"
          className="absolute z-30 mt-1 max-h-72 w-64 overflow-auto max-sm:fixed max-sm:right-4 max-sm:left-4 max-sm:w-auto rounded-md border border-zinc-700 bg-zinc-950 py-1 shadow-lg"
        >
          {options.length === 0 && <div className="px-3 py-2 text-sm text-zinc-500">No symbol matches.</div>}
          {options.map((o, i) => (
            // Focus stays on the input (aria-activedescendant, the ARIA combobox pattern): keys are handled there.
            // biome-ignore lint/a11y/useKeyWithClickEvents: the input's onKeyDown is this list's keyboard.
            <div
              key={o.symbol}
              id={optionId(i)}
              role="option"
              tabIndex={-1}
              aria-selected={i === highlight}
              data-testid={`symbol-option-${o.symbol}`}
              data-followed={o.followed}
              // Before the input's blur: a click picks instead of closing the list first.
              onMouseDown={(e) => e.preventDefault()}
              onClick={() => pick(i)}
              onMouseEnter={() => setHighlight(i)}
              className={`flex cursor-pointer items-center justify-between gap-3 px-3 py-2 text-sm sm:py-1.5 ${
                i === highlight ? 'bg-zinc-800 text-zinc-50' : 'text-zinc-200'
              } ${o.symbol === value ? 'font-semibold' : ''}`}
            >
              <span className="font-mono">{o.symbol}</span>
              {o.followed ? (
                <span className={`font-mono text-xs tabular-nums ${toneClass[changeTone(o.changePercent)]}`}>
                  {formatChange(o.changePercent)}
                </span>
              ) : (
                <span className="rounded border border-zinc-700 px-1.5 text-[10px] tracking-wide text-zinc-400 uppercase">
                  follow
                </span>
              )}
            </div>
          ))}
        </div>
      )}
      {problem && (
        <p
          role="alert"
          data-testid="markets-follow-error"
          className="absolute mt-1 w-64 text-xs text-rose-300 max-sm:fixed max-sm:right-4 max-sm:left-4 max-sm:w-auto"
        >
          {problem}
        </p>
      )}
    </div>
  );
}
