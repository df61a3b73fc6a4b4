'use client';

import Link from 'next/link';
import { useState } from 'react';
import { Button } from '@/components/ui/button';
import { FormError } from '@/components/ui/form-error';
import { verifyEmailAction } from './account-email-actions';

/**
 * Confirms on a click, not on page load: mail scanners open links to check them, and a link spent by a
 * scanner would leave the person with "this link was used already".
 */
export function VerifyEmailForm({ token }: { token: string }) {
  const [state, setState] = useState<'idle' | 'pending' | 'done'>('idle');
  const [error, setError] = useState<string | null>(null);

  async function confirm() {
    setState('pending');
    setError(null);
    const result = await verifyEmailAction(token).catch(() => null);
    if (result?.ok) {
      setState('done');
      return;
    }
    setState('idle');
    setError(
      result ? result.message : 'The server could not be reached. Check your connection and try again.',
    );
  }

  if (state === 'done') {
    return (
      <div className="space-y-4" data-testid="verify-email-done">
        <p className="text-sm text-emerald-200">Your email address is confirmed.</p>
        <Link
          href="/signin"
          data-testid="verify-email-signin"
          className="inline-flex h-10 w-full items-center justify-center rounded-md bg-emerald-500 px-4 text-sm font-medium text-zinc-950 hover:bg-emerald-400"
        >
          Sign in
        </Link>
      </div>
    );
  }
  return (
    <div className="space-y-4">
      <FormError message={error} />
      {error && (
        <p className="text-sm text-zinc-400">
          Sign in to get a new link, or{' '}
          <Link href="/signup" className="text-emerald-400 hover:text-emerald-300">
            sign up again
          </Link>
          .
        </p>
      )}
      <Button
        className="w-full"
        disabled={state === 'pending' || !token}
        onClick={confirm}
        data-testid="verify-email-confirm"
      >
        {state === 'pending' ? 'Confirming…' : 'Confirm my email'}
      </Button>
    </div>
  );
}
