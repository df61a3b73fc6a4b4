import type { ReactNode } from 'react';

export interface CardProps {
  title?: ReactNode;
  description?: ReactNode;
  /** Right-aligned in the header: a badge, a button. */
  aside?: ReactNode;
  className?: string;
  children: ReactNode;
}

export function Card({ title, description, aside, className = '', children }: CardProps) {
  return (
    <section className={`rounded-xl border border-zinc-800 bg-zinc-900/60 shadow-sm ${className}`}>
      {(title || aside) && (
        <header className="flex items-start justify-between gap-4 border-b border-zinc-800 px-5 py-4">
          <div>
            {title && <h2 className="text-sm font-semibold text-zinc-100">{title}</h2>}
            {description && <p className="mt-1 text-sm text-zinc-400">{description}</p>}
          </div>
          {aside}
        </header>
      )}
      <div className="px-5 py-4">{children}</div>
    </section>
  );
}
