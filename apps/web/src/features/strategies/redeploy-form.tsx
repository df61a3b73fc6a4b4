'use client';

import { type DeploymentView, redeployInput, type StrategyExampleView, type StrategyView } from '@qt/shared';
import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Button } from '@/components/ui/button';
import { Select } from '@/components/ui/select';
import { useTRPC } from '@/engine/react';
import { ParamFields } from './param-fields';
import { describeStrategyProblem } from './strategy-errors';
import { initialParamRows, parseParams } from './strategy-params';
import { StrategyProblemBox } from './strategy-problem-box';

/** A new version or new parameters for a deployment, keeping its account, instruments and interval. */
export function RedeployForm({
  deployment,
  strategy,
  example,
  onDone,
}: {
  deployment: DeploymentView;
  strategy: StrategyView;
  example: StrategyExampleView | null;
  onDone: (deployment: DeploymentView) => void;
}) {
  const trpc = useTRPC();
  const latest = strategy.versions.at(-1)?.version ?? deployment.version;
  const [version, setVersion] = useState(latest);
  const [rows, setRows] = useState(() => initialParamRows(example?.params ?? [], deployment.params));
  const [paramErrors, setParamErrors] = useState<Record<string, string>>({});
  const redeploy = useMutation(trpc.strategies.redeploy.mutationOptions({ onSuccess: onDone }));

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const parsed = parseParams(rows);
    setParamErrors(parsed.ok ? {} : parsed.errors);
    if (!parsed.ok) return;
    const checked = redeployInput.safeParse({ deploymentId: deployment.id, version, params: parsed.params });
    if (checked.success) redeploy.mutate(checked.data);
  }

  return (
    <form onSubmit={submit} className="space-y-3" aria-label="Redeploy" noValidate>
      <Select
        label="Version"
        className="w-28"
        data-testid="redeploy-version"
        value={version}
        onChange={(e) => setVersion(Number(e.target.value))}
      >
        {strategy.versions.map((v) => (
          <option key={v.version} value={v.version}>
            v{v.version}
            {v.version === deployment.version ? ' (running)' : ''}
          </option>
        ))}
      </Select>
      <ParamFields rows={rows} onChange={setRows} errors={paramErrors} />
      {redeploy.isError && (
        <StrategyProblemBox problem={describeStrategyProblem(redeploy.error)} testId="redeploy-error" />
      )}
      <div className="flex justify-end">
        <Button type="submit" size="sm" disabled={redeploy.isPending} data-testid="redeploy-submit">
          {redeploy.isPending ? 'Redeploying…' : 'Redeploy'}
        </Button>
      </div>
    </form>
  );
}
