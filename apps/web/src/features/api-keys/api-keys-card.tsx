'use client';

import { Card } from '@/components/ui/card';
import { useMe } from '@/features/accounts/use-me';
import { ApiKeyTable } from './api-key-table';
import { CreateApiKeyForm } from './create-api-key-form';

export function ApiKeysCard() {
  const me = useMe();
  const canManage = me.data?.scopes.includes('manage');
  return (
    <Card
      title="API keys"
      description="Keys let your scripts call the same API as this dashboard. A key can do at most what its creator's role allows."
    >
      {me.isPending && <p className="text-sm text-zinc-500">Loading…</p>}
      {me.data && !canManage && (
        <p className="text-sm text-zinc-400">
          Only workspace owners and admins can create and revoke API keys.
        </p>
      )}
      {canManage && (
        <div className="space-y-6">
          <CreateApiKeyForm />
          <div>
            <h3 className="mb-2 text-xs font-semibold tracking-wide text-zinc-400 uppercase">
              Your workspace's keys
            </h3>
            <ApiKeyTable />
          </div>
        </div>
      )}
    </Card>
  );
}
