import type { ReactNode } from 'react';

/** The Markets screen's card look, with a small-caps title and room for actions on the right. */
export function TradePanel({
  title,
  aside,
  children,
  className = '',
  testId,
}: {
  title: ReactNode;
  aside?: ReactNode;
  children: ReactNode;
  className?: string;
  testId?: string;
}) {
  return (
    <section
      data-testid={testId}
      className={`flex h-full min-h-0 flex-col rounded-xl border border-zinc-800 bg-zinc-900/60 ${className}`}
    >
      <header className="flex min-h-9 items-center justify-between gap-3 border-b border-zinc-800 px-3 py-1.5">
        <h2 className="text-xs font-semibold tracking-wider text-zinc-400 uppercase">{title}</h2>
        {aside}
      </header>
      <div className="min-h-0 flex-1 overflow-auto">{children}</div>
    </section>
  );
}

/** A dense numeric table: small caps header, mono cells, numbers right-aligned by the caller. */
export function DataTable({ head, children }: { head: readonly string[]; children: ReactNode }) {
  return (
    <table className="w-full border-collapse text-xs">
      <thead className="sticky top-0 bg-zinc-900">
        <tr className="text-[10px] font-semibold tracking-wider text-zinc-500 uppercase">
          {head.map((h) => (
            <th
              key={h}
              className="px-2.5 py-1.5 text-left font-semibold whitespace-nowrap not-first:text-right"
            >
              {h}
            </th>
          ))}
        </tr>
      </thead>
      <tbody className="font-mono tabular-nums">{children}</tbody>
    </table>
  );
}

/** The middle of an empty table: a line of what will appear and, when useful, what to do. */
export function EmptyRows({ children }: { children: ReactNode }) {
  return <p className="px-3 py-6 text-center text-xs text-zinc-500">{children}</p>;
}

export const cell = 'px-2.5 py-1 whitespace-nowrap text-right text-zinc-200';
export const firstCell = 'px-2.5 py-1 whitespace-nowrap text-left text-zinc-100';
