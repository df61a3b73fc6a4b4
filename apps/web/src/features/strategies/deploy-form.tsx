'use client';

import {
  type DeploymentView,
  deployInput,
  type InstrumentRef,
  type PaperAccountView,
  type StrategyExampleView,
  type StrategyInterval,
  type StrategyView,
} from '@qt/shared';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { type FormEvent, useState } from 'react';
import { Button } from '@/components/ui/button';
import { Select } from '@/components/ui/select';
import { useTRPC } from '@/engine/react';
import { upsertDeployment } from './deployment-state';
import { InstrumentPicker } from './instrument-picker';
import { ParamFields } from './param-fields';
import { describeStrategyProblem } from './strategy-errors';
import { isStrategyInterval, strategyIntervals } from './strategy-intervals';
import { initialParamRows, parseParams } from './strategy-params';
import { StrategyProblemBox } from './strategy-problem-box';

export interface DeployFormProps {
  strategy: StrategyView;
  example: StrategyExampleView | null;
  accounts: readonly PaperAccountView[];
  onDeployed: (deployment: DeploymentView) => void;
}

/** Runs a version of the strategy on a paper account: live candles in, orders through risk to the matcher. */
export function DeployForm({ strategy, example, accounts, onDeployed }: DeployFormProps) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const latest = strategy.versions.at(-1)?.version ?? 1;
  const [accountId, setAccountId] = useState(accounts[0]?.id ?? '');
  const [version, setVersion] = useState(latest);
  const [instruments, setInstruments] = useState<InstrumentRef[]>([{ venue: 'binance', symbol: 'BTC-USDT' }]);
  const [interval, setChosenInterval] = useState<StrategyInterval>('1m');
  const [rows, setRows] = useState(() => initialParamRows(example?.params ?? [], strategy.defaultParams));
  const [errors, setErrors] = useState<{ params: Record<string, string>; form: string | null }>({
    params: {},
    form: null,
  });
  const deploy = useMutation(
    trpc.strategies.deploy.mutationOptions({
      onSuccess: (deployment) => {
        queryClient.setQueryData(trpc.strategies.deployments.queryKey({}), (list) =>
          upsertDeployment(list ?? [], deployment),
        );
        onDeployed(deployment);
      },
    }),
  );
  const account = accounts.find((a) => a.id === accountId) ?? accounts[0];

  if (!account)
    return (
      <div data-testid="deploy-no-account" className="text-sm text-zinc-400">
        Deploying needs a paper account to trade in.{' '}
        <Link href="/trade" className="font-medium text-emerald-400 hover:text-emerald-300">
          Create and fund one on the Trade screen
        </Link>
        , then come back.
      </div>
    );

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    deploy.reset();
    const parsed = parseParams(rows);
    if (!parsed.ok) {
      setErrors({ params: parsed.errors, form: parsed.message });
      return;
    }
    const checked = deployInput.safeParse({
      strategyId: strategy.id,
      version,
      accountId: account?.id,
      instruments,
      interval,
      params: parsed.params,
    });
    if (!checked.success) {
      setErrors({ params: {}, form: checked.error.issues[0]?.message ?? 'Check the form.' });
      return;
    }
    setErrors({ params: {}, form: null });
    deploy.mutate(checked.data);
  }

  return (
    <form onSubmit={submit} className="space-y-4" aria-label={`Deploy ${strategy.name}`} noValidate>
      <div className="flex flex-wrap items-end gap-2">
        <Select
          label="Paper account"
          className="w-44"
          data-testid="deploy-account"
          value={account.id}
          onChange={(e) => setAccountId(e.target.value)}
        >
          {accounts.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name}
            </option>
          ))}
        </Select>
        <Select
          label="Version"
          className="w-20"
          data-testid="deploy-version"
          value={version}
          onChange={(e) => setVersion(Number(e.target.value))}
        >
          {strategy.versions.map((v) => (
            <option key={v.version} value={v.version}>
              v{v.version}
            </option>
          ))}
        </Select>
        <Select
          label="Interval"
          className="w-20"
          data-testid="deploy-interval"
          value={interval}
          onChange={(e) => isStrategyInterval(e.target.value) && setChosenInterval(e.target.value)}
        >
          {strategyIntervals.map((i) => (
            <option key={i} value={i}>
              {i}
            </option>
          ))}
        </Select>
      </div>
      <InstrumentPicker value={instruments} onChange={setInstruments} max={10} testId="deploy" />
      <div className="max-w-xl">
        <ParamFields rows={rows} onChange={setRows} errors={errors.params} />
      </div>
      {errors.form && !Object.keys(errors.params).length && (
        <p role="alert" className="text-xs text-rose-300" data-testid="deploy-invalid">
          {errors.form}
        </p>
      )}
      {deploy.isError && (
        <StrategyProblemBox problem={describeStrategyProblem(deploy.error)} testId="deploy-error" />
      )}
      <div className="flex items-center justify-end gap-3">
        <span className="text-xs text-zinc-500">Orders go through the account's risk limits.</span>
        <Button type="submit" size="sm" disabled={deploy.isPending} data-testid="deploy-submit">
          {deploy.isPending ? 'Deploying…' : 'Deploy to paper'}
        </Button>
      </div>
    </form>
  );
}
