'use client';

import Link from 'next/link';
import { type FormEvent, useState } from 'react';
import { requestPasswordResetAction, resetPasswordAction } from './account-email-actions';
import { AuthSubmit, EmailField, NewPasswordField } from './auth-fields';
import { CheckEmail } from './check-email';

const UNREACHABLE = 'The server could not be reached. Check your connection and try again.';

/** Step one: the address. The answer is the same whether or not it has an account. */
export function RequestResetForm() {
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [pending, setPending] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const email = String(new FormData(event.currentTarget).get('email') ?? '');
    setPending(true);
    setError(null);
    setFieldErrors({});
    const result = await requestPasswordResetAction(email).catch(() => null);
    setPending(false);
    if (!result) setError(UNREACHABLE);
    else if (!result.ok) {
      setError(result.message);
      setFieldErrors(result.fieldErrors);
    } else setSentTo(email.trim());
  }

  if (sentTo) return <CheckEmail email={sentTo} />;
  return (
    <form onSubmit={onSubmit} className="space-y-4" noValidate>
      <EmailField error={fieldErrors.email} testId="reset-email" />
      <AuthSubmit
        error={error}
        pending={pending}
        busy="Sending…"
        label="Email me a reset link"
        testId="reset-request-submit"
      />
    </form>
  );
}

/** Step two, from the emailed link: the new password. */
export function SetPasswordForm({ token }: { token: string }) {
  const [done, setDone] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [pending, setPending] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const password = String(new FormData(event.currentTarget).get('password') ?? '');
    setPending(true);
    setError(null);
    setFieldErrors({});
    const result = await resetPasswordAction(token, password).catch(() => null);
    setPending(false);
    if (!result) setError(UNREACHABLE);
    else if (!result.ok) {
      setError(result.message);
      setFieldErrors(result.fieldErrors);
    } else setDone(true);
  }

  if (done) {
    return (
      <div className="space-y-4" data-testid="reset-done">
        <p className="text-sm text-emerald-200">Your password is changed.</p>
        <Link
          href="/signin"
          className="inline-flex h-10 w-full items-center justify-center rounded-md bg-emerald-500 px-4 text-sm font-medium text-zinc-950 hover:bg-emerald-400"
        >
          Sign in
        </Link>
      </div>
    );
  }
  return (
    <form onSubmit={onSubmit} className="space-y-4" noValidate>
      <NewPasswordField label="New password" autoFocus error={fieldErrors.password} testId="reset-password" />
      <AuthSubmit
        error={error}
        pending={pending}
        busy="Saving…"
        label="Set new password"
        testId="reset-submit"
      />
    </form>
  );
}
