import { describeEngineError } from '@/engine/engine-error';

export interface TradeProblem {
  /** The engine's stable code (RISK_PRICE_BAND, ORDER_INVALID_TICK, ...), or a transport failure's null. */
  code: string | null;
  title: string;
  message: string;
}

const fieldLabels = { quantity: 'Quantity', price: 'Price', stopPrice: 'Stop price', amount: 'Amount' };

/** A headline per family of codes; the engine's message (written for people) says the rest. */
function titleOf(code: string | null): string {
  if (!code) return 'The order could not be sent';
  if (code === 'RISK_KILL_SWITCH') return 'Trading is halted';
  if (code === 'RISK_REDUCE_ONLY') return 'The account is reduce-only';
  if (code.startsWith('RISK_')) return 'Blocked by a risk limit';
  if (code === 'LEDGER_INSUFFICIENT_FUNDS') return 'Not enough funds';
  if (code.startsWith('ORDER_')) return 'The order was refused';
  if (code === 'NOT_FOUND') return 'Not found';
  if (code === 'VALIDATION_FAILED') return 'Check the order';
  return 'The order was refused';
}

/** What the ticket (or a dialog) shows for a failed trading call. */
export function describeTradeProblem(err: unknown): TradeProblem {
  const problem = describeEngineError(err, fieldLabels);
  return { code: problem.code, title: titleOf(problem.code), message: problem.message };
}

/** An order the engine took but rejected or expired at once (post-only that would take, FOK not fillable). */
export function describeOrderOutcome(status: string, reason: string | null): TradeProblem | null {
  if (status !== 'rejected' && status !== 'expired') return null;
  const code = reason ?? (status === 'expired' ? 'ORDER_EXPIRED' : 'ORDER_REJECTED');
  return {
    code,
    title: status === 'expired' ? 'The order expired unfilled' : titleOf(code),
    message:
      status === 'expired'
        ? 'It could not fill as its time in force required, so nothing was traded.'
        : `The engine rejected it (${code}); nothing was traded.`,
  };
}
