'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { TierBadge } from '@/components/tier-badge';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { FormError } from '@/components/ui/form-error';
import { TextField } from '@/components/ui/text-field';
import { describeEngineError } from '@/engine/engine-error';
import { useTRPC } from '@/engine/react';
import { useMe } from './use-me';

export function TenantSettingsCard() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const me = useMe();
  const [saved, setSaved] = useState(false);
  const rename = useMutation(
    trpc.accounts.updateTenant.mutationOptions({
      onSuccess: async () => {
        setSaved(true);
        await queryClient.invalidateQueries({ queryKey: trpc.accounts.pathKey() });
      },
    }),
  );

  if (me.isPending) return <Card title="Workspace">Loading…</Card>;
  if (me.isError) {
    return (
      <Card title="Workspace">
        <FormError message={describeEngineError(me.error).message} />
      </Card>
    );
  }

  const { tenant, scopes } = me.data;
  const canManage = scopes.includes('manage');

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setSaved(false);
    const name = String(new FormData(event.currentTarget).get('name') ?? '');
    rename.mutate({ name });
  }

  return (
    <Card
      title="Workspace"
      description="Everything in Quant-Trader belongs to a workspace: keys, strategies, orders."
      aside={
        <span className="flex items-center gap-2 text-xs text-zinc-400">
          Plan <TierBadge tier={tenant.tier} data-testid="settings-tier" />
        </span>
      }
    >
      <form onSubmit={onSubmit} className="flex flex-col gap-3 sm:flex-row sm:items-end">
        <TextField
          key={tenant.name}
          label="Workspace name"
          name="name"
          defaultValue={tenant.name}
          required
          maxLength={100}
          disabled={!canManage}
          hint={canManage ? undefined : 'Only owners and admins can rename the workspace.'}
          onChange={() => setSaved(false)}
          className="flex-1"
          data-testid="tenant-name-input"
        />
        {canManage && (
          <Button
            type="submit"
            disabled={rename.isPending}
            data-testid="tenant-name-save"
            className="sm:mb-0"
          >
            {rename.isPending ? 'Saving…' : 'Save'}
          </Button>
        )}
      </form>
      <div className="mt-3 space-y-2">
        {rename.isError && (
          <FormError message={describeEngineError(rename.error, { name: 'Workspace name' }).message} />
        )}
        {saved && (
          <p role="status" className="text-sm text-emerald-300">
            Saved.
          </p>
        )}
      </div>
    </Card>
  );
}
