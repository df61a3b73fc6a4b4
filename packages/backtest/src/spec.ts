import {
  canonicalSymbol,
  decimalString,
  type Instrument,
  instrumentSchema,
  type KlineInterval,
  klineInterval,
  nonNegativeDecimal,
  type Tier,
  tierSchema,
} from '@qt/shared';
import {
  checkOverridesForTier,
  DEFAULT_FEE_SCHEDULE,
  DEFAULT_SLIPPAGE,
  type FeeSchedule,
  FeeTable,
  type RiskLimits,
  resolveRiskLimits,
  riskLimitsSchema,
  type SlippageModel,
  toRiskLimitOverrides,
} from '@qt/trading';
import { z } from 'zod';
import { BacktestError } from './errors.ts';

const asset = z.string().regex(/^[A-Z0-9]{1,20}$/, 'an asset code like BTC or USDT');
const feeRate = z.union([decimalString, z.number().finite()]);

/** Milliseconds per candle interval; candles are aligned to the Unix epoch like the live aggregator's. */
export const INTERVAL_MS: Readonly<Record<KlineInterval, number>> = {
  '100ms': 100,
  '1s': 1_000,
  '1m': 60_000,
  '5m': 300_000,
  '15m': 900_000,
  '1h': 3_600_000,
  '4h': 14_400_000,
  '1d': 86_400_000,
};

/**
 * What a backtest runs: the market (instruments, interval, time range, mode), the account (balances, fee
 * tier, risk tier and overrides) and the simulation models (slippage, latency, synthetic spread), plus
 * the strategy's numeric params. Validated with zod: a spec comes from a user.
 */
export const backtestSpecSchema = z
  .strictObject({
    instruments: z.array(instrumentSchema).min(1).max(64),
    /** Equity, returns and drawdowns are measured in this asset; default: the first instrument's quote. */
    quoteAsset: asset.optional(),
    initialBalances: z.record(asset, nonNegativeDecimal),
    /** The matcher's fee schedule (bps per venue and tier); default: the live defaults. */
    fees: z
      .record(z.string(), z.record(z.string(), z.strictObject({ makerBps: feeRate, takerBps: feeRate })))
      .optional(),
    feeTier: z.string().min(1).max(40).default('default'),
    slippage: z
      .strictObject({
        levels: z.number().int().min(0).max(100),
        depthTrades: z.number().positive().max(1_000),
        volatilityMultiplier: z.number().nonnegative().max(1_000),
        maxSlippageBps: z.number().int().min(0).max(9_999),
        window: z.number().int().min(1).max(100_000),
      })
      .partial()
      .optional(),
    /** Orders reach the simulated venue this long after they were placed (replay time). */
    latencyMs: z.number().int().min(0).max(3_600_000).default(0),
    /** Candles mode: the synthetic quote is the path price -/+ this many ticks (bid at least one tick). */
    halfSpreadTicks: z.number().int().min(0).max(10_000).default(1),
    /** Risk limits: the tier's defaults (the same table as live), then the overrides. */
    tier: tierSchema.default('PRO'),
    riskLimits: riskLimitsSchema.optional(),
    params: z.record(z.string().max(64), z.number().finite()).default({}),
    interval: klineInterval,
    /** [start, end) in ms since the epoch: candles wholly inside, trades with start <= time < end. */
    start: z.number().int().nonnegative(),
    end: z.number().int().positive(),
    mode: z.enum(['candles', 'trades']),
  })
  .refine((s) => s.end > s.start, { message: 'end must be after start', path: ['end'] });

export type BacktestSpecInput = z.input<typeof backtestSpecSchema>;

/** The spec after validation, with defaults and limits resolved. */
export interface ResolvedSpec {
  instruments: readonly Instrument[];
  quoteAsset: string;
  initialBalances: Readonly<Record<string, string>>;
  fees: FeeSchedule;
  feeTier: string;
  slippage: SlippageModel;
  latencyMs: number;
  halfSpreadTicks: number;
  tier: Tier;
  limits: RiskLimits;
  params: Readonly<Record<string, number>>;
  interval: KlineInterval;
  intervalMs: number;
  start: number;
  end: number;
  mode: 'candles' | 'trades';
}

export function resolveSpec(input: unknown): ResolvedSpec {
  const parsed = backtestSpecSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(spec)'}: ${i.message}`);
    throw new BacktestError('BACKTEST_INVALID_SPEC', `The backtest spec is invalid. ${issues.join('; ')}`, {
      issues,
    });
  }
  const s = parsed.data;
  const invalid = (message: string) => new BacktestError('BACKTEST_INVALID_SPEC', message);
  const keys = new Set<string>();
  for (const i of s.instruments) {
    const key = `${i.venue}|${i.symbol}`;
    if (keys.has(key)) throw invalid(`${i.venue} ${i.symbol} is listed twice in instruments.`);
    keys.add(key);
    if (!canonicalSymbol.safeParse(i.symbol).success || i.symbol !== `${i.base}-${i.quote}`) {
      throw invalid(`${i.symbol}: the symbol must be BASE-QUOTE of its base and quote assets.`);
    }
  }
  const first = s.instruments[0] as Instrument;
  const quoteAsset = s.quoteAsset ?? first.quote;
  const priced = (a: string) =>
    a === quoteAsset ||
    s.instruments.some((i) => i.symbol === `${a}-${quoteAsset}` || i.symbol === `${quoteAsset}-${a}`);
  const assets = new Set([
    ...Object.keys(s.initialBalances),
    ...s.instruments.flatMap((i) => [i.base, i.quote]),
  ]);
  for (const a of assets) {
    if (!priced(a)) {
      throw invalid(
        `${a} cannot be valued in ${quoteAsset}: add an instrument ${a}-${quoteAsset}, or change quoteAsset.`,
      );
    }
  }
  const overrides = s.riskLimits ? toRiskLimitOverrides(s.riskLimits) : {};
  const refused = checkOverridesForTier(s.tier, overrides);
  if (refused) throw invalid(refused.message);
  const fees: FeeSchedule = s.fees ?? DEFAULT_FEE_SCHEDULE;
  try {
    new FeeTable(fees);
  } catch (err) {
    throw invalid(`The fee schedule is invalid: ${err instanceof Error ? err.message : String(err)}`);
  }
  return {
    instruments: s.instruments,
    quoteAsset,
    initialBalances: s.initialBalances,
    fees,
    feeTier: s.feeTier,
    slippage: { ...DEFAULT_SLIPPAGE, ...stripUndefined(s.slippage ?? {}) },
    latencyMs: s.latencyMs,
    halfSpreadTicks: s.halfSpreadTicks,
    tier: s.tier,
    limits: resolveRiskLimits(s.tier, overrides),
    params: s.params,
    interval: s.interval,
    intervalMs: INTERVAL_MS[s.interval],
    start: s.start,
    end: s.end,
    mode: s.mode,
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
