import type { ReactNode } from 'react';
import { Brand } from '@/components/brand';

/** The frame of the 404 and error pages: the brand, a code, what happened and where to go from here. */
export function StatusPage({
  code,
  title,
  children,
  actions,
  testId,
}: {
  code: string;
  title: string;
  children: ReactNode;
  actions: ReactNode;
  testId: string;
}) {
  return (
    <main
      data-testid={testId}
      className="relative flex min-h-dvh flex-col items-center justify-center px-4 py-12 text-center"
    >
      <div
        aria-hidden="true"
        className="pointer-events-none absolute inset-0 bg-[radial-gradient(ellipse_at_top,rgba(16,185,129,0.10),transparent_60%)]"
      />
      <div className="relative w-full max-w-md">
        <div className="mb-8 flex justify-center">
          <Brand className="text-lg" />
        </div>
        <p className="font-mono text-sm font-semibold tracking-widest text-emerald-400">{code}</p>
        <h1 className="mt-2 text-2xl font-semibold tracking-tight text-zinc-50">{title}</h1>
        <div className="mt-3 text-sm leading-relaxed text-zinc-400">{children}</div>
        <div className="mt-8 flex flex-wrap items-center justify-center gap-3">{actions}</div>
      </div>
    </main>
  );
}

/** A link styled as a button (the Button component is a <button>). */
export function LinkButtonClass(variant: 'primary' | 'secondary'): string {
  const base =
    'inline-flex h-10 items-center justify-center rounded-md px-4 text-sm font-medium transition-colors focus-visible:outline-2 focus-visible:outline-offset-2';
  return variant === 'primary'
    ? `${base} bg-emerald-500 text-zinc-950 hover:bg-emerald-400 focus-visible:outline-emerald-300`
    : `${base} border border-zinc-700 bg-zinc-900 text-zinc-100 hover:border-zinc-600 hover:bg-zinc-800 focus-visible:outline-zinc-400`;
}
