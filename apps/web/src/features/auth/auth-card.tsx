import type { ReactNode } from 'react';

export function AuthCard({
  title,
  subtitle,
  children,
  footer,
}: {
  title: string;
  subtitle: string;
  children: ReactNode;
  footer: ReactNode;
}) {
  return (
    <div className="rounded-xl border border-zinc-800 bg-zinc-900/80 p-6 shadow-xl shadow-black/40 backdrop-blur">
      <h1 className="text-xl font-semibold text-zinc-50">{title}</h1>
      <p className="mt-1 text-sm text-zinc-400">{subtitle}</p>
      <div className="mt-6">{children}</div>
      <p className="mt-6 border-t border-zinc-800 pt-4 text-center text-sm text-zinc-400">{footer}</p>
    </div>
  );
}
