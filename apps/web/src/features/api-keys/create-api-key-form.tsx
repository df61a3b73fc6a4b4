'use client';

import type { ApiKeyScope } from '@qt/shared';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Button } from '@/components/ui/button';
import { FormError } from '@/components/ui/form-error';
import { TextField } from '@/components/ui/text-field';
import { describeEngineError } from '@/engine/engine-error';
import { useTRPC } from '@/engine/react';
import { NewSecretBox } from './new-secret-box';

const scopeOptions: readonly { scope: ApiKeyScope; label: string; hint: string }[] = [
  { scope: 'read', label: 'Read', hint: 'Market data, balances, orders, every query and stream.' },
  { scope: 'trade', label: 'Trade', hint: 'Place and cancel orders, run strategies.' },
  { scope: 'manage', label: 'Manage', hint: 'Workspace settings and API keys.' },
];

const labels = { name: 'Name', scopes: 'Scopes', expiresInDays: 'Expires after' };

export function CreateApiKeyForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [formKey, setFormKey] = useState(0);
  const create = useMutation(
    trpc.apiKeys.create.mutationOptions({
      onSuccess: async () => {
        setFormKey((k) => k + 1);
        await queryClient.invalidateQueries({ queryKey: trpc.apiKeys.list.queryKey() });
      },
    }),
  );
  const problem = create.isError ? describeEngineError(create.error, labels) : null;
  // The list shares its cache with the table: once the new key is revoked, its secret is of no use to show.
  const keys = useQuery(trpc.apiKeys.list.queryOptions());
  const created = create.data;
  const createdRevoked = !!created && !!keys.data?.find((k) => k.id === created.apiKey.id)?.revokedAt;

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const days = String(form.get('expiresInDays') ?? '').trim();
    create.mutate({
      name: String(form.get('name') ?? ''),
      scopes: form.getAll('scopes').map(String) as ApiKeyScope[],
      expiresInDays: days ? Number(days) : undefined,
    });
  }

  return (
    <div className="space-y-4">
      {created && !createdRevoked && (
        <NewSecretBox name={created.apiKey.name} secret={created.secret} onDone={() => create.reset()} />
      )}
      <form key={formKey} onSubmit={onSubmit} className="space-y-4" aria-label="Create an API key" noValidate>
        <div className="grid gap-4 sm:grid-cols-[1fr_12rem]">
          <TextField
            label="Key name"
            name="name"
            placeholder="e.g. backtest runner"
            required
            maxLength={100}
            error={problem?.fieldErrors.name}
            data-testid="apikey-name"
          />
          <TextField
            label="Expires after (days)"
            name="expiresInDays"
            type="number"
            inputMode="numeric"
            min={1}
            max={3650}
            placeholder="Never"
            error={problem?.fieldErrors.expiresInDays}
            data-testid="apikey-expiry"
          />
        </div>
        <fieldset>
          <legend className="mb-1.5 text-sm font-medium text-zinc-200">Scopes</legend>
          <div className="grid gap-2 sm:grid-cols-3">
            {scopeOptions.map(({ scope, label, hint }) => (
              <label
                key={scope}
                className="flex cursor-pointer gap-3 rounded-md border border-zinc-800 bg-zinc-950 p-3 hover:border-zinc-700 has-[:checked]:border-emerald-500/60 has-[:checked]:bg-emerald-500/5"
              >
                <input
                  type="checkbox"
                  name="scopes"
                  value={scope}
                  defaultChecked={scope === 'read'}
                  className="mt-0.5 size-4 accent-emerald-500"
                  data-testid={`apikey-scope-${scope}`}
                />
                <span>
                  <span className="block text-sm font-medium text-zinc-100">{label}</span>
                  <span className="block text-xs text-zinc-500">{hint}</span>
                </span>
              </label>
            ))}
          </div>
        </fieldset>
        {problem && <FormError message={problem.message} />}
        <div className="flex justify-end">
          <Button type="submit" disabled={create.isPending} data-testid="apikey-create">
            {create.isPending ? 'Creating…' : 'Create key'}
          </Button>
        </div>
      </form>
    </div>
  );
}
