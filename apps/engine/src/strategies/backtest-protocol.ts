import type { BacktestResult } from '@qt/backtest';
import type { Instrument, Tier } from '@qt/shared';

/** What the backtest worker is started with (workerData). */
export interface BacktestWorkerInput {
  databaseUrl: string;
  wasm: Uint8Array;
  tier: Tier;
  /** The backtest package's spec (validated again in the worker by resolveSpec). */
  spec: {
    instruments: Instrument[];
    quoteAsset: string;
    initialBalances: Record<string, string>;
    tier: Tier;
    params: Record<string, number>;
    interval: string;
    start: number;
    end: number;
    mode: 'candles' | 'trades';
  };
  /** The call watch the main thread's watchdog reads (see @qt/strategy-runtime call-watch). */
  watch: SharedArrayBuffer;
}

export type ToBacktestWorker = { t: 'cancel' };

export type FromBacktestWorker =
  | { t: 'progress'; time: number; processed: number }
  | { t: 'done'; result: BacktestResult }
  | { t: 'error'; code: string; message: string };
