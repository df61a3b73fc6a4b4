import { parentPort } from 'node:worker_threads';
import { compileStrategy, StrategyCompileError } from '@qt/strategy-sdk';
import type { CompileReply, CompileRequest } from './compile-protocol.ts';

/**
 * The AssemblyScript compiler off the engine's event loop: a compile is seconds of synchronous CPU work
 * (parse, type-check, Binaryen -O3) that would otherwise stall every feed, order and push. One request at
 * a time (the pool sends the next after the reply).
 */
const port = parentPort;
if (!port) throw new Error('compile-worker.ts runs as a worker thread');

// Loaded (the compiler's modules are imported above, which is most of a cold start): the pool starts a
// compile's time limit from here, so a slow boot on a busy machine is not charged to the first compile.
port.postMessage({ ready: true });

port.on('message', (req: CompileRequest) => {
  void compile(req).then((reply) => {
    if (reply.ok) port.postMessage(reply, [reply.wasm.buffer as ArrayBuffer]);
    else port.postMessage(reply);
  });
});

async function compile(req: CompileRequest): Promise<CompileReply> {
  // The compile alone (not the queue or the worker's boot): what the editor shows as "compiled in".
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  try {
    const wasm = await compileStrategy(req.source, { maximumMemoryPages: req.maximumMemoryPages });
    // A view on a buffer of its own, so the transfer moves exactly the module.
    return { id: req.id, ok: true, wasm: wasm.slice(), compileMs: ms() };
  } catch (err) {
    if (err instanceof StrategyCompileError)
      return {
        id: req.id,
        ok: false,
        kind: 'diagnostics',
        message: err.message,
        diagnostics: [...err.diagnostics],
        compileMs: ms(),
      };
    return {
      id: req.id,
      ok: false,
      kind: 'internal',
      message: err instanceof Error ? err.message : String(err),
    };
  }
}
