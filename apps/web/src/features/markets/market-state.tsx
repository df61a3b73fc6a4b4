import type { ReactNode } from 'react';
import type { MarketProblem } from './market-errors';

/** The middle of an empty or failed panel: a headline and one line of what to do. */
export function MarketState({
  title,
  children,
  tone = 'muted',
  testId,
  code,
}: {
  title: string;
  children?: ReactNode;
  tone?: 'muted' | 'error';
  testId?: string;
  code?: string | null;
}) {
  return (
    <div
      role={tone === 'error' ? 'alert' : 'status'}
      data-testid={testId}
      data-code={code ?? undefined}
      className="flex h-full flex-col items-center justify-center gap-1.5 px-6 text-center"
    >
      {tone === 'error' && (
        <svg
          viewBox="0 0 24 24"
          className="mb-1 size-6 text-rose-400/80"
          fill="none"
          stroke="currentColor"
          strokeWidth="1.75"
          strokeLinecap="round"
          aria-hidden="true"
        >
          <circle cx="12" cy="12" r="9" />
          <path d="M12 7.5v5M12 16h.01" />
        </svg>
      )}
      <p className={`text-sm font-medium ${tone === 'error' ? 'text-rose-200' : 'text-zinc-300'}`}>{title}</p>
      {children && <p className="max-w-md text-xs leading-relaxed text-zinc-500">{children}</p>}
    </div>
  );
}

/** `brief` leaves out the explanation: for a side panel when the chart beside it already gives it. */
export function MarketProblemState({ problem, brief = false }: { problem: MarketProblem; brief?: boolean }) {
  return (
    <MarketState title={problem.title} tone="error" testId="markets-problem" code={problem.code}>
      {brief ? null : problem.message}
    </MarketState>
  );
}
