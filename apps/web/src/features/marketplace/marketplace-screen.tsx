'use client';

import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { type FormEvent, useState } from 'react';
import { Button } from '@/components/ui/button';
import { Select } from '@/components/ui/select';
import { TextField } from '@/components/ui/text-field';
import { useTRPC, useTRPCClient } from '@/engine/react';
import { describeBillingProblem } from '../billing/billing-errors';
import { retryMarketCall } from '../markets/market-errors';
import { MarketState } from '../markets/market-state';
import { StrategyProblemBox } from '../strategies/strategy-problem-box';
import { ListingCard } from './listing-card';
import {
  emptyFilters,
  type FilterResult,
  filtersToInput,
  type ListingFilterForm,
  type ListingSort,
  sortLabels,
} from './listing-filters';

const initial = filtersToInput(emptyFilters) as Extract<FilterResult, { ok: true }>;

/**
 * The marketplace: search and filters over published listings, newest numbers first by default. Filters
 * apply on submit (one query per search, not per keystroke); more results load by the server's cursor.
 */
export function MarketplaceScreen() {
  const trpc = useTRPC();
  const [form, setForm] = useState<ListingFilterForm>(emptyFilters);
  const [errors, setErrors] = useState<Extract<FilterResult, { ok: false }>['errors']>({});
  const [input, setInput] = useState(initial.input);
  const instruments = useQuery(
    trpc.market.instruments.queryOptions({}, { staleTime: 5 * 60_000, retry: retryMarketCall }),
  );
  const client = useTRPCClient();
  // Pages by the server's cursor. Not tRPC's infiniteQueryOptions: it adds a `direction` key that the
  // strict search input refuses, so the cursor is passed by hand.
  const results = useInfiniteQuery({
    queryKey: [...trpc.marketplace.search.queryKey(input), 'pages'],
    queryFn: ({ pageParam, signal }) =>
      client.marketplace.search.query(pageParam ? { ...input, cursor: pageParam } : input, { signal }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next ?? undefined,
    staleTime: 30_000,
  });

  function apply(next: ListingFilterForm) {
    setForm(next);
    const r = filtersToInput(next);
    if (!r.ok) {
      setErrors(r.errors);
      return;
    }
    setErrors({});
    setInput(r.input);
  }
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    apply(form);
  }
  const set = <K extends keyof ListingFilterForm>(key: K, value: ListingFilterForm[K]) =>
    setForm((f) => ({ ...f, [key]: value }));

  // A failed "load more" keeps the pages already shown; the error shows under them.
  const moreError = results.isFetchNextPageError ? results.error : null;
  const items = results.data?.pages.flatMap((p) => p.items) ?? [];
  const markets = [...new Set((instruments.data ?? []).map((i) => `${i.venue}:${i.symbol}`))].sort();

  return (
    <div className="flex flex-col gap-5" data-testid="marketplace-screen">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <p className="max-w-2xl text-sm text-zinc-400">
          Sealed strategies: the module runs only in our sandbox and its numbers are computed by the platform,
          pinned to the module's SHA-256.
        </p>
        <Link
          href="/marketplace/sell"
          data-testid="marketplace-sell-link"
          className="text-sm font-medium text-emerald-400 hover:text-emerald-300"
        >
          Sell a strategy →
        </Link>
      </div>
      <search aria-label="Search the marketplace">
        <form
          onSubmit={submit}
          aria-label="Search the marketplace"
          className="space-y-3 rounded-xl border border-zinc-800 bg-zinc-900/60 p-4"
          noValidate
        >
          <div className="flex flex-col gap-2 sm:flex-row sm:items-end">
            <TextField
              label="Search"
              className="flex-1"
              type="search"
              placeholder="momentum, mean reversion, BTC…"
              data-testid="marketplace-q"
              value={form.q}
              error={errors.q}
              onChange={(e) => set('q', e.target.value)}
            />
            <Button type="submit" data-testid="marketplace-search">
              Search
            </Button>
          </div>
          <div className="grid grid-cols-2 gap-2 sm:grid-cols-4 lg:grid-cols-8">
            <Select
              label="Market"
              className="col-span-2"
              data-testid="filter-market"
              value={form.market}
              onChange={(e) => set('market', e.target.value)}
            >
              <option value="">Any market</option>
              {markets.map((m) => (
                <option key={m} value={m}>
                  {m}
                </option>
              ))}
            </Select>
            <SmallField
              label="Tag"
              testId="filter-tag"
              value={form.tag}
              onChange={(v) => set('tag', v)}
              error={errors.tag}
            />
            <SmallField
              label="Min return %"
              testId="filter-min-return"
              value={form.minReturnPct}
              onChange={(v) => set('minReturnPct', v)}
              error={errors.minReturnPct}
              inputMode="decimal"
            />
            <SmallField
              label="Max DD %"
              testId="filter-max-drawdown"
              value={form.maxDrawdownPct}
              onChange={(v) => set('maxDrawdownPct', v)}
              error={errors.maxDrawdownPct}
              inputMode="decimal"
            />
            <SmallField
              label="Min Sharpe"
              testId="filter-min-sharpe"
              value={form.minSharpe}
              onChange={(v) => set('minSharpe', v)}
              error={errors.minSharpe}
              inputMode="decimal"
            />
            <SmallField
              label="Max $ / month"
              testId="filter-max-price"
              value={form.freeOnly ? '0' : form.maxPrice}
              disabled={form.freeOnly}
              onChange={(v) => set('maxPrice', v)}
              error={errors.maxPrice}
              inputMode="decimal"
            />
            <Select
              label="Sort"
              data-testid="filter-sort"
              value={form.sort}
              onChange={(e) => apply({ ...form, sort: e.target.value as ListingSort })}
            >
              {(Object.keys(sortLabels) as ListingSort[]).map((s) => (
                <option key={s} value={s}>
                  {sortLabels[s]}
                </option>
              ))}
            </Select>
          </div>
          <div className="flex flex-wrap items-center gap-4">
            <label className="flex items-center gap-2 text-sm text-zinc-300">
              <input
                type="checkbox"
                data-testid="filter-free"
                className="size-4 accent-emerald-500"
                checked={form.freeOnly}
                onChange={(e) => apply({ ...form, freeOnly: e.target.checked })}
              />
              Free only
            </label>
            <button
              type="button"
              className="text-xs text-zinc-400 underline-offset-2 hover:text-zinc-200 hover:underline"
              onClick={() => apply(emptyFilters)}
            >
              Clear filters
            </button>
          </div>
        </form>
      </search>

      {results.isPending ? (
        <MarketState title="Searching…" />
      ) : results.isError ? (
        <StrategyProblemBox problem={describeBillingProblem(results.error)} testId="marketplace-problem" />
      ) : items.length === 0 ? (
        <div className="py-10" data-testid="marketplace-empty">
          <MarketState title="No listings match">
            Loosen a filter, or clear them all. Sellers' new listings appear once their backtest is verified.
          </MarketState>
        </div>
      ) : (
        <>
          <ul
            className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3"
            aria-label="Listings"
            data-testid="listing-grid"
          >
            {items.map((l) => (
              <ListingCard key={l.id} listing={l} />
            ))}
          </ul>
          {results.hasNextPage && (
            <div className="flex justify-center">
              <Button
                variant="secondary"
                data-testid="marketplace-more"
                disabled={results.isFetchingNextPage}
                onClick={() => void results.fetchNextPage()}
              >
                {results.isFetchingNextPage ? 'Loading…' : 'Load more'}
              </Button>
            </div>
          )}
          {moreError && (
            <StrategyProblemBox
              problem={describeBillingProblem(moreError)}
              testId="marketplace-more-problem"
            />
          )}
        </>
      )}
    </div>
  );
}

function SmallField({
  label,
  testId,
  value,
  onChange,
  error,
  disabled,
  inputMode,
}: {
  label: string;
  testId: string;
  value: string;
  onChange: (v: string) => void;
  error?: string | undefined;
  disabled?: boolean;
  inputMode?: 'decimal';
}) {
  return (
    <div>
      <label className="mb-1 block text-[10px] font-semibold tracking-wider text-zinc-500 uppercase">
        {label}
        <input
          data-testid={testId}
          value={value}
          disabled={disabled}
          inputMode={inputMode}
          aria-invalid={error ? true : undefined}
          onChange={(e) => onChange(e.target.value)}
          className="mt-1 block h-8 w-full rounded-md border border-zinc-700 bg-zinc-950 px-2 text-sm font-normal tracking-normal text-zinc-100 normal-case focus:border-emerald-500 focus:ring-1 focus:ring-emerald-500 focus:outline-none disabled:opacity-60 aria-invalid:border-rose-500"
        />
      </label>
      {error && (
        <p role="alert" className="mt-1 text-[11px] text-rose-300">
          {error}
        </p>
      )}
    </div>
  );
}
