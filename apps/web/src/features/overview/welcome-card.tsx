'use client';

import type { Role } from '@qt/shared';
import { RoleBadge, TierBadge } from '@/components/tier-badge';
import { Card } from '@/components/ui/card';
import { useMe } from '@/features/accounts/use-me';

export interface WelcomeCardProps {
  displayName: string;
  sessionTenantName: string;
  sessionRole: Role;
}

export function WelcomeCard({ displayName, sessionTenantName, sessionRole }: WelcomeCardProps) {
  const me = useMe();
  const tenant = me.data?.tenant;
  const role = me.data?.role ?? sessionRole;
  return (
    <Card title={`Welcome, ${displayName}`} description="Your workspace at a glance.">
      <dl className="grid grid-cols-[auto_1fr] items-center gap-x-6 gap-y-3 text-sm">
        <dt className="text-zinc-400">Workspace</dt>
        <dd className="flex items-center gap-2 font-medium text-zinc-100">
          {tenant?.name ?? sessionTenantName}
          {tenant && <TierBadge tier={tenant.tier} />}
        </dd>
        <dt className="text-zinc-400">Your role</dt>
        <dd>
          <RoleBadge role={role} data-testid="overview-role" />
        </dd>
        <dt className="text-zinc-400">You can</dt>
        <dd className="text-zinc-300">{me.data ? describeScopes(me.data.scopes) : '…'}</dd>
      </dl>
      <p className="mt-5 border-t border-zinc-800 pt-4 text-sm text-zinc-400">
        Live charts and trades are under Markets; paper trading and strategies arrive in the next releases.
        Meanwhile, create an API key in Settings and call the engine from your own scripts.
      </p>
    </Card>
  );
}

function describeScopes(scopes: readonly string[]): string {
  const can = [
    scopes.includes('read') && 'read data',
    scopes.includes('trade') && 'trade',
    scopes.includes('manage') && 'manage the workspace and API keys',
  ].filter(Boolean);
  return can.length > 0 ? `${can.join(', ')}.` : 'nothing yet.';
}
