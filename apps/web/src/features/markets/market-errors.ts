import { describeEngineError, engineErrorCode, isEngineError } from '@/engine/engine-error';

/**
 * Market calls the engine refused on purpose (data switched off, instrument not served) will say the
 * same on retry; other failures (a network blip, a restart) get the usual two retries.
 */
export function retryMarketCall(failures: number, err: unknown): boolean {
  if (engineErrorCode(err)?.startsWith('MARKET_')) return false;
  const status = isEngineError(err) ? err.data?.httpStatus : undefined;
  return failures < 2 && !(status && status >= 400 && status < 500);
}

export interface MarketProblem {
  code: string | null;
  title: string;
  message: string;
}

/** What the Markets screen says about a failed market call: a headline per known code, then the engine's text. */
export function describeMarketProblem(err: unknown, symbol: string, venue: string): MarketProblem {
  const problem = describeEngineError(err);
  switch (problem.code) {
    case 'MARKET_DATA_DISABLED':
      return {
        code: problem.code,
        title: 'Market data is switched off',
        message: `${problem.message} Charts, trades and feeds appear once the engine runs with a market source.`,
      };
    case 'MARKET_UNKNOWN_INSTRUMENT':
    case 'MARKET_UNKNOWN_VENUE':
      return {
        code: problem.code,
        title: `${symbol} is not available on ${venue}`,
        message: `${problem.message} Pick another venue or symbol.`,
      };
    default:
      return { code: problem.code, title: 'Market data could not be loaded', message: problem.message };
  }
}
