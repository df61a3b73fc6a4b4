import type { Metadata } from 'next';
import Link from 'next/link';
import { AuthCard } from '@/features/auth/auth-card';
import { safeCallbackUrl } from '@/features/auth/safe-callback-url';
import { SignInForm } from '@/features/auth/sign-in-form';

export const metadata: Metadata = { title: 'Sign in' };

export default async function SignInPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const params = await searchParams;
  // next-auth sends its own failures here as ?error=<code>; its codes are not for people, so say it plainly.
  const initialError = params.error ? 'Sign-in failed. Try again.' : null;
  return (
    <AuthCard
      title="Sign in"
      subtitle="Welcome back. Your workspace is waiting."
      footer={
        <>
          New to Quant-Trader?{' '}
          <Link href="/signup" className="font-medium text-emerald-400 hover:text-emerald-300">
            Create an account
          </Link>
        </>
      }
    >
      <SignInForm callbackUrl={safeCallbackUrl(params.callbackUrl)} initialError={initialError} />
    </AuthCard>
  );
}
