import type { Metadata } from 'next';
import { PageHeader } from '@/components/page-header';
import { UsageScreen } from '@/features/usage/usage-screen';

export const metadata: Metadata = { title: 'Usage' };

export default function UsagePage() {
  return (
    <>
      <PageHeader
        title="Usage"
        description="What your workspace used today and in the last 30 days, against your plan."
      />
      <UsageScreen />
    </>
  );
}
