// The worker's fallback entry, used when its bundle cannot be built (worker-bundle.ts) or when asked for
// (`boot: 'tsx'`). Plain JavaScript because Node 20 cannot load TypeScript by itself, and does not apply
// `--import tsx` from a worker's execArgv. Registering tsx's loader from inside the worker works the same
// under `tsx` (the engine, benches) and under vitest (tests), but costs ~0.7 s of boot and tens of ms
// of terminate() per worker: Node 20 runs loader hooks on an extra thread.
import { register } from 'tsx/esm/api';

register();
await import('./sandbox-worker.ts');
