import type { Metadata } from 'next';
import Link from 'next/link';
import { AuthCard } from '@/features/auth/auth-card';
import { RequestResetForm, SetPasswordForm } from '@/features/auth/reset-password-forms';

export const metadata: Metadata = { title: 'Reset your password' };

/** Without a token: ask for a link. With one (from the email): choose the new password. */
export default async function ResetPasswordPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const params = await searchParams;
  const token = Array.isArray(params.token) ? params.token[0] : params.token;
  return (
    <AuthCard
      title={token ? 'Choose a new password' : 'Reset your password'}
      subtitle={token ? 'The link works once, for an hour.' : 'We will email you a link to choose a new one.'}
      footer={
        <Link href="/signin" className="font-medium text-emerald-400 hover:text-emerald-300">
          Back to sign in
        </Link>
      }
    >
      {token ? <SetPasswordForm token={token} /> : <RequestResetForm />}
    </AuthCard>
  );
}
