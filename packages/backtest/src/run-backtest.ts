import type { Trade } from '@qt/shared';
import type { StrategyDriver } from '@qt/strategy-runtime';
import { isLedgerError } from '@qt/trading';
import { BacktestRun, type DriverFactory } from './backtest-run.ts';
import type { CandleInput } from './candle-path.ts';
import { CandleReplay } from './candle-replay.ts';
import type { BacktestResult } from './result.ts';
import { resolveSpec } from './spec.ts';
import { TradeReplay } from './trade-replay.ts';

const ARRAY_ITERATOR = Array.prototype[Symbol.iterator];

export interface BacktestProgress {
  /** Data items (candles or trades) consumed so far. */
  processed: number;
  /** How many there are, when known (an array's length, or options.total). */
  total?: number;
  /** Replay time of the latest event (ms since the epoch). */
  time: number;
}

export interface BacktestOptions {
  /** Called at most every `progressEvery` data items, and once at the end. */
  onProgress?: (p: BacktestProgress) => void;
  progressEvery?: number;
  /** Checked between data items: once aborted, the run ends with status 'cancelled'. */
  signal?: AbortSignal;
  /** The loop yields to the event loop every this many items (so progress and aborts get through). */
  yieldEvery?: number;
  total?: number;
  /**
   * Feed every synthetic quote to the matcher instead of only those an order can see. Same results
   * (test/lazy-quotes.test.ts proves it), slower: for that test and the benchmark's comparison.
   */
  eagerQuotes?: boolean;
}

export type BacktestData = Iterable<CandleInput | Trade> | AsyncIterable<CandleInput | Trade>;

/**
 * Runs a strategy over history, in memory: the same paper matcher, ledger, positions and risk engine as
 * live paper trading, on a replay clock that only moves with the data. Deterministic: the same spec,
 * strategy and data give the same result, byte for byte through `serializeResult`.
 *
 * `driver` is a StrategyDriver, or a factory that receives the run's host view (clock, positions,
 * balances) to build one. Candles mode takes candles (Kline or BacktestCandle), trades mode takes
 * trades, each merged across instruments in time order. A strategy trap ends the run 'failed' with its
 * reason, and an abort 'cancelled'; both keep what happened until then. A bad spec or bad data throws a
 * BacktestError; a ledger that does not reconcile at the end throws BACKTEST_LEDGER_MISMATCH.
 */
export async function runBacktest(
  specInput: unknown,
  driver: StrategyDriver | DriverFactory,
  data: BacktestData,
  options: BacktestOptions = {},
): Promise<BacktestResult> {
  const spec = resolveSpec(specInput);
  const run = new BacktestRun(spec, driver, { eagerQuotes: options.eagerQuotes ?? false });
  const candles = spec.mode === 'candles' ? new CandleReplay(run) : null;
  const trades = spec.mode === 'trades' ? new TradeReplay(run) : null;
  const progressEvery = Math.max(1, options.progressEvery ?? 10_000);
  const yieldEvery = Math.max(1, options.yieldEvery ?? 50_000);
  const total = options.total ?? (Array.isArray(data) ? data.length : undefined);
  const { signal, onProgress } = options;
  const report = (processed: number) =>
    onProgress?.({ processed, time: run.clock.now(), ...(total !== undefined ? { total } : {}) });

  const refused = (err: unknown) => {
    // The ledger refused what the matcher did (a stop gapping far beyond its reserve): the books can no
    // longer follow the matcher, so the run ends here, failed, keeping what came before.
    if (isLedgerError(err)) run.fail(`${err.code}: ${err.message}`);
    else throw err;
  };
  const guarded = (fn: () => void) => {
    try {
      fn();
    } catch (err) {
      refused(err);
    }
  };

  guarded(() => run.start());
  let processed = 0;
  if (run.running && Array.isArray(data) && data[Symbol.iterator] === ARRAY_ITERATOR) {
    // An array (the usual input): indexed, without an iterator result object per item (one per candle
    // was a tenth of a run's allocations). The length is read each step, as the array iterator does.
    const items = data as readonly (CandleInput | Trade)[];
    let exhausted = false;
    for (let i = 0; ; i++) {
      if (signal?.aborted) {
        run.cancel();
        break;
      }
      if (i >= items.length) {
        exhausted = true;
        break;
      }
      const item = items[i] as CandleInput | Trade;
      try {
        if (candles) candles.push(item as CandleInput);
        else trades?.push(item as Trade);
      } catch (err) {
        refused(err);
      }
      processed++;
      if (!run.running) break;
      if (processed % progressEvery === 0) report(processed);
      if (processed % yieldEvery === 0) await new Promise<void>((r) => setImmediate(r));
    }
    if (run.running && exhausted) {
      guarded(() => {
        candles?.flush();
        trades?.flush();
        run.finish();
      });
    }
  } else if (run.running) {
    const sync = Symbol.iterator in data;
    const it = sync
      ? (data as Iterable<CandleInput | Trade>)[Symbol.iterator]()
      : (data as AsyncIterable<CandleInput | Trade>)[Symbol.asyncIterator]();
    let exhausted = false;
    try {
      for (;;) {
        if (signal?.aborted) {
          run.cancel();
          break;
        }
        const next = sync
          ? (it as Iterator<CandleInput | Trade>).next()
          : await (it as AsyncIterator<CandleInput | Trade>).next();
        if (next.done) {
          exhausted = true;
          break;
        }
        const item = next.value;
        // Inline rather than through guarded(): no closure per data item.
        try {
          if (candles) candles.push(item as CandleInput);
          else trades?.push(item as Trade);
        } catch (err) {
          refused(err);
        }
        processed++;
        if (!run.running) break;
        if (processed % progressEvery === 0) report(processed);
        if (processed % yieldEvery === 0) await new Promise<void>((r) => setImmediate(r));
      }
      if (run.running) {
        guarded(() => {
          candles?.flush();
          trades?.flush();
          run.finish();
        });
      }
    } finally {
      // Stopped early (cancel, failure, a throw): let a generator or stream release what it holds.
      if (!exhausted) await (it as { return?: () => unknown }).return?.();
    }
  }
  report(processed);
  return run.result();
}
