'use client';

import Link from 'next/link';
import { useEffect } from 'react';
import { Button } from '@/components/ui/button';
import { LinkButtonClass, StatusPage } from '@/features/shell/status-page';

/**
 * Any page that throws while rendering lands here instead of a blank screen. The message is not shown (it
 * may be internal); the digest is what the server logged, so a report can be matched to it.
 */
export default function ErrorPage({
  error,
  reset,
}: {
  error: Error & { digest?: string };
  reset: () => void;
}) {
  useEffect(() => {
    console.error(error);
  }, [error]);
  return (
    <StatusPage
      code="Error"
      title="Something went wrong on this page"
      testId="error-page"
      actions={
        <>
          <Button onClick={reset} data-testid="error-retry">
            Try again
          </Button>
          <Link href="/" className={LinkButtonClass('secondary')}>
            Go to the overview
          </Link>
        </>
      }
    >
      <p>
        Your data is safe: orders and strategies run in the engine, not in this page. Try again, or reload.
      </p>
      {error.digest && (
        <p className="mt-2 font-mono text-xs text-zinc-500">
          Reference: <span data-testid="error-digest">{error.digest}</span>
        </p>
      )}
    </StatusPage>
  );
}
