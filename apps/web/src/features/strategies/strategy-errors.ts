import { describeEngineError } from '@/engine/engine-error';

export interface StrategyProblem {
  code: string | null;
  title: string;
  message: string;
  fieldErrors: Record<string, string>;
}

const fieldLabels: Record<string, string> = {
  name: 'Name',
  wasmBase64: 'Module',
  accountId: 'Paper account',
  instruments: 'Instruments',
  interval: 'Interval',
  params: 'Parameters',
  from: 'From',
  to: 'To',
};

function titleOf(code: string | null): string {
  if (!code) return 'The engine could not be reached';
  if (code === 'STRATEGY_INVALID_MODULE') return 'The module was refused';
  if (code === 'VALIDATION_FAILED') return 'Check the form';
  if (code === 'NOT_FOUND') return 'Not found';
  if (code === 'SERVICE_UNAVAILABLE') return 'Strategies are not running';
  if (code.startsWith('AUTH_')) return 'Not allowed';
  return 'The request was refused';
}

/**
 * What a strategies or backtests form shows for a failed call. The engine's message is shown as it is
 * written: for a refused module it says exactly which import, export or limit was the problem.
 */
export function describeStrategyProblem(err: unknown): StrategyProblem {
  const problem = describeEngineError(err, fieldLabels);
  return { ...problem, title: titleOf(problem.code) };
}
