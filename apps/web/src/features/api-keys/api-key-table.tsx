'use client';

import type { ApiKeyView } from '@qt/shared';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Badge, type BadgeTone } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { FormError } from '@/components/ui/form-error';
import { describeEngineError } from '@/engine/engine-error';
import { useTRPC } from '@/engine/react';
import { type ApiKeyStatus, apiKeyStatus } from './api-key-status';

const statusTones: Record<ApiKeyStatus, BadgeTone> = { active: 'green', revoked: 'red', expired: 'amber' };
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

function formatDate(iso: string | null, empty: string): string {
  return iso ? dateFormat.format(new Date(iso)) : empty;
}

export function ApiKeyTable() {
  const trpc = useTRPC();
  const keys = useQuery(trpc.apiKeys.list.queryOptions());

  if (keys.isPending) return <p className="text-sm text-zinc-500">Loading keys…</p>;
  if (keys.isError) return <FormError message={describeEngineError(keys.error).message} />;
  if (keys.data.length === 0) {
    return (
      <p className="rounded-lg border border-dashed border-zinc-800 px-4 py-6 text-center text-sm text-zinc-500">
        No API keys yet. Create one above to call the API from a script.
      </p>
    );
  }

  const now = Date.now();
  return (
    <div className="overflow-x-auto rounded-lg border border-zinc-800">
      <table className="w-full min-w-[760px] text-left text-sm">
        <thead className="bg-zinc-900 text-xs text-zinc-400 uppercase">
          <tr>
            <th scope="col" className="px-3 py-2 font-medium">
              Name
            </th>
            <th scope="col" className="px-3 py-2 font-medium">
              Prefix
            </th>
            <th scope="col" className="px-3 py-2 font-medium">
              Scopes
            </th>
            <th scope="col" className="px-3 py-2 font-medium">
              Created
            </th>
            <th scope="col" className="px-3 py-2 font-medium">
              Last used
            </th>
            <th scope="col" className="px-3 py-2 font-medium">
              Expires
            </th>
            <th scope="col" className="px-3 py-2 font-medium">
              Status
            </th>
            <th scope="col" className="px-3 py-2 font-medium">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-zinc-800">
          {keys.data.map((key) => (
            <ApiKeyRow key={key.id} apiKey={key} status={apiKeyStatus(key, now)} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ApiKeyRow({ apiKey, status }: { apiKey: ApiKeyView; status: ApiKeyStatus }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const revoke = useMutation(
    trpc.apiKeys.revoke.mutationOptions({
      onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.apiKeys.list.queryKey() }),
    }),
  );
  const muted = status === 'active' ? '' : 'text-zinc-500';

  return (
    <tr data-testid={`apikey-row-${apiKey.prefix}`} className="align-middle hover:bg-zinc-900/60">
      <td className={`px-3 py-2.5 font-medium whitespace-nowrap ${muted || 'text-zinc-100'}`}>
        {apiKey.name}
      </td>
      <td className="px-3 py-2.5 font-mono text-xs text-zinc-300">{apiKey.prefix}</td>
      <td className="px-3 py-2.5">
        <span className="flex flex-wrap gap-1">
          {apiKey.scopes.map((scope) => (
            <Badge key={scope} caps={false}>
              {scope}
            </Badge>
          ))}
        </span>
      </td>
      <td className="px-3 py-2.5 whitespace-nowrap text-zinc-400">{formatDate(apiKey.createdAt, '')}</td>
      <td className="px-3 py-2.5 whitespace-nowrap text-zinc-400">
        {formatDate(apiKey.lastUsedAt, 'Never')}
      </td>
      <td className="px-3 py-2.5 whitespace-nowrap text-zinc-400">{formatDate(apiKey.expiresAt, 'Never')}</td>
      <td className="px-3 py-2.5">
        <Badge tone={statusTones[status]} caps={false} data-testid="apikey-status">
          {status}
        </Badge>
      </td>
      <td className="px-3 py-2.5 text-right whitespace-nowrap">
        {status !== 'revoked' && !confirming && (
          <Button variant="danger" size="sm" onClick={() => setConfirming(true)} data-testid="apikey-revoke">
            Revoke
          </Button>
        )}
        {status !== 'revoked' && confirming && (
          <span className="inline-flex items-center gap-1.5">
            <Button
              variant="danger"
              size="sm"
              disabled={revoke.isPending}
              onClick={() => revoke.mutate({ id: apiKey.id })}
              title="Scripts using this key are refused at once."
              data-testid="apikey-revoke-confirm"
            >
              {revoke.isPending ? 'Revoking…' : 'Revoke now'}
            </Button>
            <Button
              variant="ghost"
              size="sm"
              onClick={() => setConfirming(false)}
              data-testid="apikey-revoke-cancel"
            >
              Cancel
            </Button>
          </span>
        )}
        {revoke.isError && <FormError message={describeEngineError(revoke.error).message} />}
      </td>
    </tr>
  );
}
