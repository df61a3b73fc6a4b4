import type { Metadata } from 'next';
import Link from 'next/link';
import { LinkButtonClass, StatusPage } from '@/features/shell/status-page';

export const metadata: Metadata = { title: 'Page not found' };

export default function NotFound() {
  return (
    <StatusPage
      code="404"
      title="This page does not exist"
      testId="not-found"
      actions={
        <>
          <Link href="/" className={LinkButtonClass('primary')}>
            Go to the overview
          </Link>
          <Link href="/markets" className={LinkButtonClass('secondary')}>
            Markets
          </Link>
        </>
      }
    >
      The address may be mistyped, or the page has moved. Everything the dashboard offers is in the navigation
      on the overview.
    </StatusPage>
  );
}
