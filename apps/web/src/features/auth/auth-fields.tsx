import { Button } from '@/components/ui/button';
import { FormError } from '@/components/ui/form-error';
import { TextField } from '@/components/ui/text-field';

/** The account's email address, focused first. */
export function EmailField({ error, testId }: { error?: string | undefined; testId: string }) {
  return (
    <TextField
      label="Email"
      name="email"
      type="email"
      autoComplete="email"
      required
      autoFocus
      error={error}
      data-testid={testId}
    />
  );
}

/** A password being chosen (sign-up, reset): at least 8 characters. */
export function NewPasswordField({
  label,
  autoFocus,
  error,
  testId,
}: {
  label: string;
  autoFocus?: boolean;
  error: string | undefined;
  testId: string;
}) {
  return (
    <TextField
      label={label}
      name="password"
      type="password"
      autoComplete="new-password"
      required
      minLength={8}
      autoFocus={autoFocus}
      hint="At least 8 characters. A long passphrase is best."
      error={error}
      data-testid={testId}
    />
  );
}

/** The form's error, then its full-width submit button, which says `busy` while `pending`. */
export function AuthSubmit({
  error,
  pending,
  busy,
  label,
  testId,
}: {
  error: string | null;
  pending: boolean;
  busy: string;
  label: string;
  testId: string;
}) {
  return (
    <>
      <FormError message={error} />
      <Button type="submit" className="w-full" disabled={pending} data-testid={testId}>
        {pending ? busy : label}
      </Button>
    </>
  );
}
