import type { Metadata } from 'next';
import Link from 'next/link';
import { AuthCard } from '@/features/auth/auth-card';
import { VerifyEmailForm } from '@/features/auth/verify-email-form';

export const metadata: Metadata = { title: 'Confirm your email' };

export default async function VerifyEmailPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { token } = await searchParams;
  return (
    <AuthCard
      title="Confirm your email"
      subtitle="One click and your account is ready."
      footer={
        <Link href="/signin" className="font-medium text-emerald-400 hover:text-emerald-300">
          Back to sign in
        </Link>
      }
    >
      <VerifyEmailForm token={(Array.isArray(token) ? token[0] : token) ?? ''} />
    </AuthCard>
  );
}
