// The worker's entry, in plain JavaScript because Node 20 cannot load TypeScript by itself, and does
// not apply `--import tsx` from a worker's execArgv. Registering tsx's loader from inside the worker
// works the same under `tsx` (the engine, benches) and under vitest (tests).
import { register } from 'tsx/esm/api';

register();
await import('./sandbox-worker.ts');
