// The backtest worker's fallback entry, used when it cannot be bundled (workerEntry of
// @qt/strategy-runtime). Plain JavaScript: Node 20 cannot load TypeScript by itself and does not apply
// `--import tsx` from a worker's execArgv, so tsx's loader is registered from inside (the same way as
// the strategy runtime's sandbox worker).
import { register } from 'tsx/esm/api';

register();
await import('./backtest-worker.ts');
