'use client';

import { type FormEvent, useState } from 'react';
import { TextField } from '@/components/ui/text-field';
import { AuthSubmit, EmailField, NewPasswordField } from './auth-fields';
import { CheckEmail } from './check-email';
import { signUpAction } from './sign-up-action';

export function SignUpForm() {
  // Set once the engine took the sign-up: the account is confirmed by the emailed link, not here.
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [pending, setPending] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const fields = {
      email: String(form.get('email') ?? ''),
      password: String(form.get('password') ?? ''),
      name: String(form.get('name') ?? ''),
      tenantName: String(form.get('tenantName') ?? ''),
    };
    setPending(true);
    setError(null);
    setFieldErrors({});
    try {
      const created = await signUpAction(fields);
      if (!created.ok) {
        setError(created.message);
        setFieldErrors(created.fieldErrors);
        return;
      }
      setSentTo(fields.email.trim());
    } catch {
      setError('The server could not be reached. Check your connection and try again.');
    } finally {
      setPending(false);
    }
  }

  if (sentTo) {
    return (
      <CheckEmail email={sentTo}>
        <p>The link confirms your address; then sign in with the password you chose.</p>
      </CheckEmail>
    );
  }

  return (
    <form onSubmit={onSubmit} className="space-y-4" noValidate>
      <EmailField error={fieldErrors.email} testId="signup-email" />
      <NewPasswordField label="Password" error={fieldErrors.password} testId="signup-password" />
      <TextField
        label="Your name (optional)"
        name="name"
        autoComplete="name"
        maxLength={100}
        error={fieldErrors.name}
        data-testid="signup-name"
      />
      <TextField
        label="Workspace name (optional)"
        name="tenantName"
        autoComplete="organization"
        maxLength={100}
        hint="Your team's space for keys, strategies and orders. You can rename it later."
        error={fieldErrors.tenantName}
        data-testid="signup-workspace"
      />
      <AuthSubmit
        error={error}
        pending={pending}
        busy="Creating account…"
        label="Create account"
        testId="signup-submit"
      />
    </form>
  );
}
