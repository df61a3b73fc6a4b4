'use client';

import type { InstrumentRef, ListingSummaryView, StrategyInterval, StrategyView } from '@qt/shared';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { Button } from '@/components/ui/button';
import { Select } from '@/components/ui/select';
import { TextField } from '@/components/ui/text-field';
import { useTRPC } from '@/engine/react';
import { describeBillingProblem } from '../billing/billing-errors';
import { InstrumentPicker } from '../strategies/instrument-picker';
import { strategyIntervals } from '../strategies/strategy-intervals';
import { StrategyProblemBox } from '../strategies/strategy-problem-box';
import {
  type FixedRow,
  type PriceKind,
  type PublishForm as PublishFormState,
  rowKey,
  type TunableRow,
  toPublishInput,
} from './publish-form-model';

const MAX_ROWS = 32;

function startingForm(strategy: StrategyView | undefined): PublishFormState {
  return {
    strategyId: strategy?.id ?? '',
    version: 0,
    title: strategy?.name ?? '',
    summary: '',
    description: strategy?.description ?? '',
    tags: '',
    instruments: [{ venue: 'binance', symbol: 'BTC-USDT' }],
    intervals: ['1m'],
    tunable: [],
    // The strategy's own defaults start as fixed values; move any the buyer may change to the tunable rows.
    fixed: Object.entries(strategy?.defaultParams ?? {}).map(([name, value]) => ({
      key: rowKey(),
      name,
      value: String(value),
    })),
    priceKind: 'free',
    amount: '',
    trialDays: '0',
  };
}

/**
 * Publish a version of one of the tenant's strategies. Price, parameters and tags are checked here
 * against the contract, then again by the engine; the listing starts as `verifying` while the platform
 * runs its own backtest.
 */
export function PublishForm({
  strategies,
  sellerReady,
  onPublished,
}: {
  strategies: readonly StrategyView[];
  /** Payouts set up (charges enabled): paid listings need it. */
  sellerReady: boolean;
  onPublished: (listing: ListingSummaryView) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const descriptionId = useId();
  const [form, setForm] = useState(() => startingForm(strategies[0]));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const publish = useMutation(
    trpc.marketplace.publish.mutationOptions({
      onSuccess: (listing) => {
        void queryClient.invalidateQueries({ queryKey: trpc.marketplace.myListings.queryKey() });
        setForm(startingForm(strategies[0]));
        onPublished(listing);
      },
    }),
  );
  const set = <K extends keyof PublishFormState>(key: K, value: PublishFormState[K]) =>
    setForm((f) => ({ ...f, [key]: value }));
  const strategy = strategies.find((s) => s.id === form.strategyId);

  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    publish.reset();
    const r = toPublishInput(form);
    if (!r.ok) {
      setErrors(r.errors);
      return;
    }
    setErrors({});
    publish.mutate(r.input);
  }

  const server = publish.isError ? describeBillingProblem(publish.error) : null;
  const err = (k: string) => errors[k] ?? server?.fieldErrors[k];

  return (
    <form
      onSubmit={submit}
      className="space-y-5"
      aria-label="Publish a listing"
      noValidate
      data-testid="publish-form"
    >
      <div className="flex flex-wrap items-end gap-2">
        <Select
          label="Strategy"
          className="w-56 max-w-full"
          data-testid="publish-strategy"
          value={form.strategyId}
          onChange={(e) => setForm(startingForm(strategies.find((s) => s.id === e.target.value)))}
        >
          {strategies.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name}
            </option>
          ))}
        </Select>
        <Select
          label="Version"
          className="w-28"
          data-testid="publish-version"
          value={form.version}
          onChange={(e) => set('version', Number(e.target.value))}
        >
          <option value={0}>Latest</option>
          {(strategy?.versions ?? []).map((v) => (
            <option key={v.version} value={v.version}>
              v{v.version} · {v.sha256.slice(0, 8)}
            </option>
          ))}
        </Select>
      </div>
      {err('strategyId') && <p className="text-xs text-rose-300">{err('strategyId')}</p>}
      <div className="grid gap-3 sm:grid-cols-2">
        <TextField
          label="Title"
          data-testid="publish-title"
          maxLength={80}
          value={form.title}
          error={err('title')}
          onChange={(e) => set('title', e.target.value)}
        />
        <TextField
          label="Summary"
          hint="One line for the search results (200 characters)."
          data-testid="publish-summary"
          maxLength={200}
          value={form.summary}
          error={err('summary')}
          onChange={(e) => set('summary', e.target.value)}
        />
      </div>
      <div>
        <label htmlFor={descriptionId} className="mb-1.5 block text-sm font-medium text-zinc-200">
          Description <span className="text-xs font-normal text-zinc-500">(Markdown)</span>
        </label>
        <textarea
          id={descriptionId}
          data-testid="publish-description"
          rows={6}
          maxLength={20_000}
          value={form.description}
          onChange={(e) => set('description', e.target.value)}
          aria-describedby={`${descriptionId}-note`}
          className="block w-full rounded-md border border-zinc-700 bg-zinc-950 px-3 py-2 font-mono text-sm text-zinc-100 focus:border-emerald-500 focus:ring-1 focus:ring-emerald-500 focus:outline-none"
        />
        <p id={`${descriptionId}-note`} className="mt-1 text-xs text-zinc-500">
          Rendered on the listing page after publishing, which is where to preview it. Raw HTML is not
          rendered; links must be http(s) or mailto.
        </p>
        {err('description') && <p className="mt-1 text-xs text-rose-300">{err('description')}</p>}
      </div>
      <TextField
        label="Tags"
        hint="Up to 8, separated by commas: lowercase letters, digits and dashes."
        data-testid="publish-tags"
        value={form.tags}
        error={err('tags')}
        onChange={(e) => set('tags', e.target.value)}
      />
      <div>
        <p className="mb-1.5 text-sm font-medium text-zinc-200">Instruments buyers may run it on</p>
        <InstrumentPicker
          value={form.instruments}
          onChange={(next: InstrumentRef[]) => set('instruments', next)}
          max={10}
          testId="publish"
          error={err('instruments')}
        />
        <p className="mt-1 text-xs text-zinc-500">
          The first one, at the first interval, is used for the verified backtest.
        </p>
      </div>
      <fieldset>
        <legend className="mb-1.5 text-sm font-medium text-zinc-200">Intervals</legend>
        <div className="flex flex-wrap gap-3">
          {strategyIntervals.map((i) => (
            <label key={i} className="flex items-center gap-1.5 font-mono text-xs text-zinc-300">
              <input
                type="checkbox"
                className="size-4 accent-emerald-500"
                data-testid={`publish-interval-${i}`}
                checked={form.intervals.includes(i)}
                onChange={(e) =>
                  set(
                    'intervals',
                    e.target.checked
                      ? strategyIntervals.filter((x) => x === i || form.intervals.includes(x))
                      : form.intervals.filter((x: StrategyInterval) => x !== i),
                  )
                }
              />
              {i}
            </label>
          ))}
        </div>
        {err('intervals') && <p className="mt-1 text-xs text-rose-300">{err('intervals')}</p>}
      </fieldset>
      <TunableRows rows={form.tunable} onChange={(rows) => set('tunable', rows)} errors={errors} />
      <FixedRows rows={form.fixed} onChange={(rows) => set('fixed', rows)} errors={errors} />
      <PriceFields form={form} set={set} errors={errors} sellerReady={sellerReady} />
      {server && <StrategyProblemBox problem={server} testId="publish-error" />}
      <div className="flex justify-end">
        <Button
          type="submit"
          data-testid="publish-submit"
          disabled={publish.isPending || strategies.length === 0}
        >
          {publish.isPending ? 'Publishing…' : 'Publish listing'}
        </Button>
      </div>
    </form>
  );
}

const cellInput =
  'block h-8 w-full rounded-md border border-zinc-700 bg-zinc-950 px-2 text-sm text-zinc-100 focus:border-emerald-500 focus:ring-1 focus:ring-emerald-500 focus:outline-none';

function TunableRows({
  rows,
  onChange,
  errors,
}: {
  rows: TunableRow[];
  onChange: (rows: TunableRow[]) => void;
  errors: Record<string, string>;
}) {
  const edit = (key: string, field: keyof Omit<TunableRow, 'key'>, value: string) =>
    onChange(rows.map((r) => (r.key === key ? { ...r, [field]: value } : r)));
  return (
    <fieldset data-testid="publish-tunable">
      <legend className="mb-1 text-sm font-medium text-zinc-200">Parameters buyers may tune</legend>
      <p className="mb-2 text-xs text-zinc-500">
        A buyer can set each within [min, max]; the default is used otherwise.
      </p>
      <ul className="space-y-2">
        {rows.map((r, n) => (
          <li key={r.key} data-testid="tunable-row" data-name={r.name}>
            <div className="grid grid-cols-[1fr_repeat(3,5rem)_auto] items-center gap-2">
              {(['name', 'min', 'max', 'default'] as const).map((f) => (
                <input
                  key={f}
                  aria-label={`Tunable parameter ${n + 1} ${f}`}
                  placeholder={f}
                  inputMode={f === 'name' ? undefined : 'decimal'}
                  data-testid={`tunable-${f}`}
                  value={r[f]}
                  onChange={(e) => edit(r.key, f, e.target.value)}
                  className={`${cellInput} ${f === 'name' ? 'font-mono' : ''}`}
                />
              ))}
              <Button
                variant="ghost"
                size="sm"
                aria-label={`Remove tunable parameter ${r.name || n + 1}`}
                onClick={() => onChange(rows.filter((x) => x.key !== r.key))}
              >
                ×
              </Button>
            </div>
            {errors[`tunable.${r.key}`] && (
              <p role="alert" className="mt-1 text-xs text-rose-300">
                {errors[`tunable.${r.key}`]}
              </p>
            )}
          </li>
        ))}
      </ul>
      <Button
        variant="ghost"
        size="sm"
        className="mt-1"
        data-testid="tunable-add"
        disabled={rows.length >= MAX_ROWS}
        onClick={() => onChange([...rows, { key: rowKey(), name: '', min: '', max: '', default: '' }])}
      >
        + Tunable parameter
      </Button>
    </fieldset>
  );
}

function FixedRows({
  rows,
  onChange,
  errors,
}: {
  rows: FixedRow[];
  onChange: (rows: FixedRow[]) => void;
  errors: Record<string, string>;
}) {
  const edit = (key: string, field: 'name' | 'value', value: string) =>
    onChange(rows.map((r) => (r.key === key ? { ...r, [field]: value } : r)));
  return (
    <fieldset data-testid="publish-fixed">
      <legend className="mb-1 text-sm font-medium text-zinc-200">Fixed parameters</legend>
      <p className="mb-2 text-xs text-zinc-500">
        Your values for everything else; buyers cannot change them.
      </p>
      <ul className="space-y-2">
        {rows.map((r, n) => (
          <li key={r.key} data-testid="fixed-row" data-name={r.name}>
            <div className="grid grid-cols-[1fr_7rem_auto] items-center gap-2">
              <input
                aria-label={`Fixed parameter ${n + 1} name`}
                placeholder="name"
                data-testid="fixed-name"
                value={r.name}
                onChange={(e) => edit(r.key, 'name', e.target.value)}
                className={`${cellInput} font-mono`}
              />
              <input
                aria-label={`Fixed parameter ${n + 1} value`}
                placeholder="value"
                inputMode="decimal"
                data-testid="fixed-value"
                value={r.value}
                onChange={(e) => edit(r.key, 'value', e.target.value)}
                className={cellInput}
              />
              <Button
                variant="ghost"
                size="sm"
                aria-label={`Remove fixed parameter ${r.name || n + 1}`}
                onClick={() => onChange(rows.filter((x) => x.key !== r.key))}
              >
                ×
              </Button>
            </div>
            {errors[`fixed.${r.key}`] && (
              <p role="alert" className="mt-1 text-xs text-rose-300">
                {errors[`fixed.${r.key}`]}
              </p>
            )}
          </li>
        ))}
      </ul>
      <Button
        variant="ghost"
        size="sm"
        className="mt-1"
        data-testid="fixed-add"
        disabled={rows.length >= MAX_ROWS}
        onClick={() => onChange([...rows, { key: rowKey(), name: '', value: '' }])}
      >
        + Fixed parameter
      </Button>
    </fieldset>
  );
}

function PriceFields({
  form,
  set,
  errors,
  sellerReady,
}: {
  form: PublishFormState;
  set: <K extends keyof PublishFormState>(key: K, value: PublishFormState[K]) => void;
  errors: Record<string, string>;
  sellerReady: boolean;
}) {
  const kinds: [PriceKind, string][] = [
    ['free', 'Free'],
    ['month', 'Monthly'],
    ['year', 'Yearly'],
  ];
  return (
    <fieldset>
      <legend className="mb-1.5 text-sm font-medium text-zinc-200">Price</legend>
      <div className="flex flex-wrap gap-4">
        {kinds.map(([k, label]) => (
          <label key={k} className="flex items-center gap-1.5 text-sm text-zinc-300">
            <input
              type="radio"
              name="price-kind"
              className="size-4 accent-emerald-500"
              data-testid={`publish-price-${k}`}
              checked={form.priceKind === k}
              onChange={() => set('priceKind', k)}
            />
            {label}
          </label>
        ))}
      </div>
      {form.priceKind !== 'free' && (
        <div className="mt-3 grid max-w-md grid-cols-2 gap-3">
          <TextField
            label={`Price, USD per ${form.priceKind}`}
            inputMode="decimal"
            placeholder="19.99"
            data-testid="publish-amount"
            value={form.amount}
            error={errors.amount}
            onChange={(e) => set('amount', e.target.value)}
          />
          <TextField
            label="Trial days"
            inputMode="numeric"
            data-testid="publish-trial"
            value={form.trialDays}
            error={errors.trialDays}
            onChange={(e) => set('trialDays', e.target.value)}
          />
        </div>
      )}
      {form.priceKind !== 'free' && !sellerReady && (
        <p className="mt-2 text-xs text-amber-300" data-testid="publish-needs-payouts">
          Paid listings need payouts set up first (above).
        </p>
      )}
    </fieldset>
  );
}
