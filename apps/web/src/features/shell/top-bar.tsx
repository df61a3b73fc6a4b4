'use client';

import { Brand } from '@/components/brand';
import { TierBadge } from '@/components/tier-badge';
import { useMe } from '@/features/accounts/use-me';
import { NotificationCentre } from '@/features/alerts/notification-centre';
import { SignOutButton } from './sign-out-button';

/** The session's tenant name shows at once; the engine's (current, with the tier) replaces it when loaded. */
export function TopBar({ email, sessionTenantName }: { email: string; sessionTenantName: string }) {
  const me = useMe();
  const tenant = me.data?.tenant;
  return (
    <header className="sticky top-0 z-20 flex h-14 items-center gap-4 border-b border-zinc-800 bg-zinc-950/90 px-4 backdrop-blur sm:px-6">
      <Brand compact />
      <span aria-hidden="true" className="h-5 w-px bg-zinc-800" />
      <div className="flex min-w-0 items-center gap-2">
        <span className="sr-only">Workspace:</span>
        <span data-testid="tenant-name" className="truncate text-sm font-medium text-zinc-200">
          {tenant?.name ?? sessionTenantName}
        </span>
        {tenant && <TierBadge tier={tenant.tier} data-testid="tenant-tier" />}
      </div>
      <div className="ml-auto flex items-center gap-3">
        <NotificationCentre />
        <span className="hidden truncate text-sm text-zinc-400 sm:inline" data-testid="user-email">
          {email}
        </span>
        <SignOutButton />
      </div>
    </header>
  );
}
