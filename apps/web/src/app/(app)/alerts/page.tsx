import type { Metadata } from 'next';
import { PageHeader } from '@/components/page-header';
import { AlertsScreen } from '@/features/alerts/alerts-screen';

export const metadata: Metadata = { title: 'Alerts' };

export default function AlertsPage() {
  return (
    <>
      <PageHeader
        title="Alerts"
        description="Price, indicator, volume and data-quality rules, evaluated by the engine on every trade and bar, delivered in the app, by email and by webhook."
      />
      <AlertsScreen />
    </>
  );
}
