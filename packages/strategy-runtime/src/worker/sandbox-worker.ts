import { parentPort } from 'node:worker_threads';
import { createCallWatch } from '../call-watch.ts';
import type { CallOutcome, StrategyHostView } from '../driver.ts';
import type { FromWorker, HostSnapshot, SandboxCall, ToWorker } from '../sandbox/protocol.ts';
import { WasmStrategy } from '../wasm-strategy.ts';

/**
 * One strategy's thread. It holds nothing but the module, the snapshot sent with each event, and the
 * shared watch slots; its process.env is empty (the Worker's `env: {}`). The module itself reaches only
 * its imports (abi.ts): WebAssembly has no ambient access to anything.
 */
const port = parentPort;
if (port === null) throw new Error('sandbox-worker.ts runs only as a worker thread');

let snapshot: HostSnapshot = { now: 0, positions: [], free: [] };
const view: StrategyHostView = {
  now: () => snapshot.now,
  position: (i) => snapshot.positions[i] ?? Number.NaN,
  freeBalance: (i, which) => snapshot.free[i * 2 + which] ?? Number.NaN,
};
let strategy: WasmStrategy | undefined;

port.on('message', (msg: ToWorker) => {
  snapshot = msg.snapshot;
  const t0 = performance.now();
  let outcome: CallOutcome;
  if (msg.t === 'start') {
    strategy = new WasmStrategy(msg.validated, { view, watch: createCallWatch(msg.watch) });
    outcome = strategy.init(msg.params, msg.instruments);
  } else if (strategy === undefined) {
    outcome = {
      ok: false,
      trap: { code: 'INIT_REFUSED', message: 'The sandbox was not started.' },
      logs: [],
    };
  } else {
    outcome = run(strategy, msg.call);
  }
  const reply: FromWorker = { outcome, ms: performance.now() - t0 };
  port.postMessage(reply);
});

function run(s: WasmStrategy, c: SandboxCall): CallOutcome {
  switch (c.kind) {
    case 'candle':
      return s.onCandle(c.instrument, c.event);
    case 'trade':
      return s.onTrade(c.instrument, c.event);
    case 'fill':
      return s.onFill(c.event);
    case 'order':
      return s.onOrder(c.event);
    case 'timer':
      return s.onTimer(c.timerId, c.time);
  }
}
