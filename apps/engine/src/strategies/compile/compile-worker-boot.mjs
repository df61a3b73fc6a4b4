// The strategy compiler worker's fallback entry, used when it cannot be bundled (workerEntry of
// @qt/strategy-runtime, with the compiler packages kept out of the bundle). Plain JavaScript: Node 20
// cannot load TypeScript by itself and does not apply `--import tsx` from a worker's execArgv, so tsx's
// loader is registered from inside. Slow: the compiler's ~20 MB of JavaScript then goes through tsx.
import { register } from 'tsx/esm/api';

register();
await import('./compile-worker.ts');
