import type { Metadata } from 'next';
import { requireSession } from '@/auth/session';
import { PageHeader } from '@/components/page-header';
import { serverEnv } from '@/env';
import { ApiSnippetCard } from '@/features/overview/api-snippet-card';
import { EngineHealthCard } from '@/features/overview/engine-health-card';
import { WelcomeCard } from '@/features/overview/welcome-card';

export const metadata: Metadata = { title: 'Overview' };

export default async function OverviewPage() {
  const session = await requireSession();
  return (
    <>
      <PageHeader title="Overview" description="Your workspace and the engine behind it." />
      <div className="grid grid-cols-1 gap-6 lg:grid-cols-2">
        <WelcomeCard
          displayName={session.user.name ?? session.user.email}
          sessionTenantName={session.tenant.name}
          sessionRole={session.role}
        />
        <EngineHealthCard />
        <div className="lg:col-span-2">
          <ApiSnippetCard engineUrl={serverEnv().engine.publicUrl} />
        </div>
      </div>
    </>
  );
}
