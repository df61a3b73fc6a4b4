import type { StrategyProblem } from './strategy-errors';

/** A refusal with its headline and the engine's own words (kept verbatim: they name the exact problem). */
export function StrategyProblemBox({ problem, testId }: { problem: StrategyProblem; testId: string }) {
  return (
    <div
      role="alert"
      data-testid={testId}
      data-code={problem.code ?? undefined}
      className="rounded-md border border-rose-500/30 bg-rose-500/10 px-3 py-2 text-sm"
    >
      <p className="font-medium text-rose-200">{problem.title}</p>
      <p
        data-testid={`${testId}-message`}
        className="mt-0.5 text-xs leading-relaxed break-words text-rose-200/80"
      >
        {problem.message}
      </p>
    </div>
  );
}
