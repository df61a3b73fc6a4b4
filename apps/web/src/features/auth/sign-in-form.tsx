'use client';

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { signIn } from 'next-auth/react';
import { type FormEvent, useState } from 'react';
import { Button } from '@/components/ui/button';
import { FormError } from '@/components/ui/form-error';
import { TextField } from '@/components/ui/text-field';
import { resendVerificationAction } from './account-email-actions';
import { EmailField } from './auth-fields';
import { CheckEmail } from './check-email';
import { EMAIL_NOT_VERIFIED_ERROR, EMAIL_NOT_VERIFIED_MESSAGE } from './sign-in-errors';

export function SignInForm({
  callbackUrl,
  initialError,
}: {
  callbackUrl: string;
  initialError: string | null;
}) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(initialError);
  const [pending, setPending] = useState(false);
  // The address whose sign-in was refused as unverified: the form then offers to resend the link.
  const [unverified, setUnverified] = useState<string | null>(null);
  const [resentTo, setResentTo] = useState<string | null>(null);

  async function resend() {
    if (!unverified) return;
    setPending(true);
    const result = await resendVerificationAction(unverified).catch(() => null);
    setPending(false);
    if (!result) setError('The server could not be reached. Check your connection and try again.');
    else if (!result.ok) setError(result.message);
    else {
      setError(null);
      setResentTo(unverified);
    }
  }

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setPending(true);
    setError(null);
    setUnverified(null);
    setResentTo(null);
    // The engine checks the password (via next-auth's authorize); its message comes back as `error`.
    const result = await signIn('credentials', {
      email: String(form.get('email') ?? ''),
      password: String(form.get('password') ?? ''),
      redirect: false,
    });
    if (!result?.ok || result.error) {
      if (result?.error === EMAIL_NOT_VERIFIED_ERROR) {
        setUnverified(String(form.get('email') ?? ''));
        setError(EMAIL_NOT_VERIFIED_MESSAGE);
      } else setError(result?.error ?? 'Sign-in failed. Try again.');
      setPending(false);
      return;
    }
    router.replace(callbackUrl);
    router.refresh();
  }

  return (
    <form onSubmit={onSubmit} className="space-y-4" noValidate>
      <EmailField testId="signin-email" />
      <TextField
        label="Password"
        name="password"
        type="password"
        autoComplete="current-password"
        required
        data-testid="signin-password"
      />
      <div className="-mt-2 text-right text-xs">
        <Link
          href="/reset-password"
          className="text-emerald-400 hover:text-emerald-300"
          data-testid="forgot-password"
        >
          Forgot password?
        </Link>
      </div>
      <FormError message={error} />
      {unverified && !resentTo && (
        <Button
          variant="secondary"
          className="w-full"
          disabled={pending}
          onClick={resend}
          data-testid="signin-resend-verification"
        >
          Send me a new link
        </Button>
      )}
      {resentTo && <CheckEmail email={resentTo} />}
      <Button type="submit" className="w-full" disabled={pending} data-testid="signin-submit">
        {pending ? 'Signing in…' : 'Sign in'}
      </Button>
    </form>
  );
}
