import type { Metadata } from 'next';
import { PageHeader } from '@/components/page-header';
import { TenantSettingsCard } from '@/features/accounts/tenant-settings-card';
import { ApiKeysCard } from '@/features/api-keys/api-keys-card';

export const metadata: Metadata = { title: 'Settings' };

export default function SettingsPage() {
  return (
    <>
      <PageHeader title="Settings" description="Your workspace and the API keys your scripts use." />
      <div className="space-y-6">
        <TenantSettingsCard />
        <ApiKeysCard />
      </div>
    </>
  );
}
