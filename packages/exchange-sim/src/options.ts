import { defaultSymbols } from './instruments.ts';
import type { ExchangeSimOptions, SimLimits, SimTiming } from './types.ts';

export const defaultTiming: SimTiming = {
  binancePingIntervalMs: 20_000,
  binancePongTimeoutMs: 60_000,
  okxIdleTimeoutMs: 30_000,
  bybitIdleTimeoutMs: 600_000,
  bybitBookResendMs: 3_000,
  shutdownCloseDelayMs: 1_000,
  maxConnectionAgeMs: 86_400_000,
};

export const defaultLimits: SimLimits = {
  binanceMessagesPerSecond: 5,
  binanceMaxStreams: 1024,
  okxRequestsPerHour: 480,
  okxMaxRequestBytes: 65_536,
  bybitMaxArgs: 10,
  bybitMaxArgsChars: 21_000,
  maxBufferedBytes: 64 * 1024 * 1024,
  binanceRestWeightPerMinute: 6000,
  binanceRestBanMs: 120_000,
  okxHistoryRequestsPer2s: 20,
  bybitRestRequestsPer5s: 600,
};

export interface ResolvedOptions {
  host: string;
  port: number;
  endpoints: number;
  symbols: string[];
  tradesPerSecond: number;
  seed: number;
  clock: { now(): number };
  volatility: number;
  tickMs: number;
  manual: boolean;
  timing: SimTiming;
  limits: SimLimits;
  restHistoryTrades: number;
}

export function resolveOptions(opts: ExchangeSimOptions): ResolvedOptions {
  const endpoints = opts.endpoints ?? 1;
  if (!Number.isInteger(endpoints) || endpoints < 1)
    throw new RangeError('endpoints must be a positive integer');
  const tradesPerSecond = opts.tradesPerSecond ?? 5;
  if (!(tradesPerSecond >= 0)) throw new RangeError('tradesPerSecond must be >= 0');
  const symbols = opts.symbols ?? [...defaultSymbols];
  if (symbols.length === 0) throw new RangeError('symbols must not be empty');
  return {
    host: opts.host ?? '127.0.0.1',
    port: opts.port ?? 0,
    endpoints,
    symbols: [...new Set(symbols)],
    tradesPerSecond,
    seed: opts.seed ?? 1,
    clock: opts.clock ?? { now: () => Date.now() },
    volatility: opts.volatility ?? 0.6,
    tickMs: opts.tickMs ?? 5,
    manual: opts.manual ?? false,
    timing: { ...defaultTiming, ...opts.timing },
    limits: { ...defaultLimits, ...opts.limits },
    restHistoryTrades: opts.restHistoryTrades ?? 10_000,
  };
}
