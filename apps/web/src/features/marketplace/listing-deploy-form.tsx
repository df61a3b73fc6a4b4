'use client';

import type { DeploymentView, InstrumentRef, ListingDetailView, StrategyInterval } from '@qt/shared';
import { useMutation, useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { type FormEvent, useState } from 'react';
import { Button } from '@/components/ui/button';
import { Select } from '@/components/ui/select';
import { TextField } from '@/components/ui/text-field';
import { useTRPC } from '@/engine/react';
import { describeBillingProblem } from '../billing/billing-errors';
import { StrategyProblemBox } from '../strategies/strategy-problem-box';
import { liveQuery } from '../trade/use-account-feed';
import { parseTunables } from './listing-deploy-model';

const key = (i: InstrumentRef) => `${i.venue}:${i.symbol}`;

/**
 * Runs a subscribed listing on one of the tenant's paper accounts: instruments and interval among the
 * listing's, and only its tunable parameters (empty = the seller's default). The module is the pinned
 * version; the buyer never sees its bytes or the seller's other versions.
 */
export function ListingDeployForm({ detail }: { detail: ListingDetailView }) {
  const trpc = useTRPC();
  const { listing, tunableParams } = detail;
  const accounts = useQuery(trpc.paperAccounts.list.queryOptions(undefined, liveQuery));
  const [accountId, setAccountId] = useState('');
  const [chosen, setChosen] = useState<Set<string>>(() => new Set(listing.instruments.slice(0, 1).map(key)));
  const [interval, setChosenInterval] = useState<StrategyInterval>(listing.intervals[0] ?? '1m');
  const [values, setValues] = useState<Record<string, string>>({});
  const [errors, setErrors] = useState<{ params: Record<string, string>; form: string | null }>({
    params: {},
    form: null,
  });
  const [deployed, setDeployed] = useState<DeploymentView | null>(null);
  const deploy = useMutation(trpc.marketplace.deploy.mutationOptions({ onSuccess: setDeployed }));

  if (accounts.isPending) return <p className="text-sm text-zinc-400">Loading paper accounts…</p>;
  if (accounts.isError)
    return (
      <StrategyProblemBox
        problem={describeBillingProblem(accounts.error)}
        testId="listing-deploy-accounts-error"
      />
    );
  const list = accounts.data;
  const account = list.find((a) => a.id === accountId) ?? list[0];
  if (!account)
    return (
      <p className="text-sm text-zinc-400" data-testid="listing-deploy-no-account">
        Deploying needs a paper account.{' '}
        <Link href="/trade" className="font-medium text-emerald-400 hover:text-emerald-300">
          Create and fund one on the Trade screen
        </Link>
        , then come back.
      </p>
    );

  const target = account;
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    deploy.reset();
    const instruments = listing.instruments.filter((i) => chosen.has(key(i)));
    if (instruments.length === 0) {
      setErrors({ params: {}, form: 'Pick at least one instrument.' });
      return;
    }
    const parsed = parseTunables(values, tunableParams);
    if (!parsed.ok) {
      setErrors({ params: parsed.errors, form: null });
      return;
    }
    setErrors({ params: {}, form: null });
    deploy.mutate({
      listingId: listing.id,
      accountId: target.id,
      instruments,
      interval,
      params: parsed.params,
    });
  }

  if (deployed)
    return (
      <div
        role="status"
        data-testid="listing-deployed"
        data-deployment-id={deployed.id}
        className="rounded-md border border-emerald-500/30 bg-emerald-500/10 px-3 py-2 text-sm text-emerald-200"
      >
        Deployed to {account.name}.{' '}
        <Link
          href="/strategies"
          data-testid="listing-deployed-link"
          className="font-medium text-emerald-300 underline underline-offset-2"
        >
          See its orders, logs and PnL under Strategies
        </Link>
        .{' '}
        <button
          type="button"
          className="text-xs text-emerald-300/80 underline"
          onClick={() => setDeployed(null)}
        >
          Deploy again
        </button>
      </div>
    );

  return (
    <form onSubmit={submit} className="space-y-4" aria-label={`Deploy ${listing.title}`} noValidate>
      <div className="flex flex-wrap items-end gap-2">
        <Select
          label="Paper account"
          className="w-44"
          data-testid="listing-deploy-account"
          value={account.id}
          onChange={(e) => setAccountId(e.target.value)}
        >
          {list.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name}
            </option>
          ))}
        </Select>
        <Select
          label="Interval"
          className="w-24"
          data-testid="listing-deploy-interval"
          value={interval}
          onChange={(e) => {
            const next = listing.intervals.find((i) => i === e.target.value);
            if (next) setChosenInterval(next);
          }}
        >
          {listing.intervals.map((i) => (
            <option key={i} value={i}>
              {i}
            </option>
          ))}
        </Select>
      </div>
      <fieldset>
        <legend className="mb-1 text-[10px] font-semibold tracking-wider text-zinc-500 uppercase">
          Instruments
        </legend>
        <div className="flex flex-wrap gap-3">
          {listing.instruments.map((i) => (
            <label key={key(i)} className="flex items-center gap-1.5 font-mono text-xs text-zinc-200">
              <input
                type="checkbox"
                className="size-4 accent-emerald-500"
                data-testid="listing-deploy-instrument"
                checked={chosen.has(key(i))}
                onChange={(e) =>
                  setChosen((prev) => {
                    const next = new Set(prev);
                    if (e.target.checked) next.add(key(i));
                    else next.delete(key(i));
                    return next;
                  })
                }
              />
              {key(i)}
            </label>
          ))}
        </div>
      </fieldset>
      {tunableParams.length > 0 && (
        <div className="grid max-w-xl gap-3 sm:grid-cols-2">
          {tunableParams.map((t) => (
            <TextField
              key={t.name}
              label={t.name}
              inputMode="decimal"
              placeholder={String(t.default)}
              hint={`${t.min} to ${t.max}; default ${t.default}`}
              data-testid={`listing-param-${t.name}`}
              value={values[t.name] ?? ''}
              error={errors.params[t.name]}
              onChange={(e) => setValues((v) => ({ ...v, [t.name]: e.target.value }))}
            />
          ))}
        </div>
      )}
      {errors.form && (
        <p role="alert" className="text-xs text-rose-300">
          {errors.form}
        </p>
      )}
      {deploy.isError && (
        <StrategyProblemBox problem={describeBillingProblem(deploy.error)} testId="listing-deploy-error" />
      )}
      <div className="flex justify-end">
        <Button type="submit" size="sm" disabled={deploy.isPending} data-testid="listing-deploy-submit">
          {deploy.isPending ? 'Deploying…' : 'Deploy to paper'}
        </Button>
      </div>
    </form>
  );
}
