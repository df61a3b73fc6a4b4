import type { ReactNode } from 'react';

export function PageHeader({ title, description }: { title: string; description?: ReactNode }) {
  return (
    <div className="mb-6">
      <h1 className="text-2xl font-semibold tracking-tight text-zinc-50">{title}</h1>
      {description && <p className="mt-1 text-sm text-zinc-400">{description}</p>}
    </div>
  );
}
