import { parentPort, workerData } from 'node:worker_threads';
import { isBacktestError, runBacktest } from '@qt/backtest';
import { createPgPool, MarketDataQueries } from '@qt/db';
import { createCallWatch, TIER_LIMITS, validateStrategyModule, WasmStrategy } from '@qt/strategy-runtime';
import type { BacktestWorkerInput, FromBacktestWorker, ToBacktestWorker } from './backtest-protocol.ts';
import { mergedCandles, mergedTrades } from './candle-source.ts';

/**
 * One backtest, in its own worker thread: reads the stored candles page by page, replays them through
 * the backtester with the strategy instantiated in this thread (the hot loop calls WebAssembly directly,
 * no messages per candle), and posts progress and the result. The module has no I/O: it sees only the
 * ABI's imports; this worker's database access is the host's, for the candles.
 */
const input = workerData as BacktestWorkerInput;
const port = parentPort;
if (!port) throw new Error('backtest-worker.ts runs as a worker thread');
const post = (m: FromBacktestWorker) => port.postMessage(m);
const abort = new AbortController();
port.on('message', (m: ToBacktestWorker) => {
  if (m.t === 'cancel') abort.abort();
});

const pool = createPgPool(input.databaseUrl, { max: 2 });
try {
  const validated = validateStrategyModule(input.wasm, TIER_LIMITS[input.tier]);
  const watch = createCallWatch(input.watch);
  const queries = new MarketDataQueries(pool);
  const { instruments, interval, start, end } = input.spec;
  const data =
    input.spec.mode === 'trades'
      ? mergedTrades(queries, instruments, start, end)
      : mergedCandles(queries, instruments, interval, start, end);
  const result = await runBacktest(input.spec, (view) => new WasmStrategy(validated, { view, watch }), data, {
    signal: abort.signal,
    progressEvery: 2_000,
    yieldEvery: 2_000,
    onProgress: (p) => post({ t: 'progress', time: p.time, processed: p.processed }),
  });
  post({ t: 'done', result });
} catch (err) {
  const code = isBacktestError(err) ? err.code : 'INTERNAL';
  post({ t: 'error', code, message: err instanceof Error ? err.message : String(err) });
} finally {
  await pool.end().catch(() => undefined);
}
