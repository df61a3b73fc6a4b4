import { redirect } from 'next/navigation';
import type { ReactNode } from 'react';
import { getSession } from '@/auth/session';
import { Brand } from '@/components/brand';

export default async function AuthLayout({ children }: { children: ReactNode }) {
  if (await getSession()) redirect('/');
  return (
    <div className="relative flex min-h-dvh flex-col items-center justify-center px-4 py-12">
      <div
        aria-hidden="true"
        className="pointer-events-none absolute inset-0 bg-[radial-gradient(ellipse_at_top,rgba(16,185,129,0.12),transparent_60%)]"
      />
      <div className="relative w-full max-w-sm">
        <div className="mb-8 flex justify-center">
          <Brand className="text-lg" />
        </div>
        {children}
      </div>
    </div>
  );
}
