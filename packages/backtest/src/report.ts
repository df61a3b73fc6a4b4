import { AMOUNT_SCALE, divRound, formatScaled } from '@qt/shared';
import type { RoundTrip } from './round-trips.ts';

/**
 * What a reader needs beside the metrics to trust them: why a figure is missing, which data the run
 * really used against the range asked for, when the strategy first acted, how holding the first
 * instrument would have done, and the round trips' totals. All money here is exact (decimal strings from
 * bigint units); numbers only where a chart draws them.
 */

/** A remark on the run, stable `code` for programs, `message` for people, `details` as plain numbers. */
export interface ReportNote {
  code: 'RUN_TOO_SHORT' | 'RANGE_NOT_COVERED' | 'DATA_GAPS' | 'NO_ORDERS' | 'LATE_FIRST_ORDER' | 'NO_DATA';
  message: string;
  details: Record<string, number>;
}

/**
 * Annualising a few minutes of returns multiplies noise by sqrt(bars per year) (a 6-minute run showed a
 * Sharpe of -931) and compounds a small loss into -100 % a year. Below either bound CAGR, Sharpe and
 * Sortino are null, with a RUN_TOO_SHORT note saying why.
 */
export const MIN_ANNUALISED_SPAN_MS = 30 * 86_400_000;
export const MIN_ANNUALISED_RETURNS = 30;

/** A first order after more than this share of the candles is worth a warm-up note. */
const LATE_FIRST_ORDER_SHARE = 0.5;
/** Gaps listed per instrument (the largest first); the count and the missing candles cover all of them. */
export const MAX_LISTED_GAPS = 10;

/** "6 min", "2 h 5 min", "3.5 days": a span for a sentence. */
export function describeSpan(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 2 * 86_400_000) {
    const h = Math.floor(ms / 3_600_000);
    const m = Math.round((ms - h * 3_600_000) / 60_000);
    return m > 0 ? `${h} h ${m} min` : `${h} h`;
  }
  return `${Math.round((ms / 86_400_000) * 10) / 10} days`;
}

/** The short-run rule: null when annualised figures mean something, else the note that explains it. */
export function annualisedGate(spanMs: number, returns: number): ReportNote | null {
  if (spanMs >= MIN_ANNUALISED_SPAN_MS && returns >= MIN_ANNUALISED_RETURNS) return null;
  const days = MIN_ANNUALISED_SPAN_MS / 86_400_000;
  return {
    code: 'RUN_TOO_SHORT',
    message:
      `CAGR, Sharpe and Sortino are not shown: the run covers ${describeSpan(spanMs)} with ${returns} ` +
      `returns; annualised figures need at least ${days} days and ${MIN_ANNUALISED_RETURNS} returns.`,
    details: {
      spanMs,
      returns,
      minSpanMs: MIN_ANNUALISED_SPAN_MS,
      minReturns: MIN_ANNUALISED_RETURNS,
    },
  };
}

// ---- coverage ----------------------------------------------------------------------------------------

export interface DataGap {
  /** Open time of the first missing candle. */
  from: number;
  /** Open time of the next candle that came. */
  to: number;
  missing: number;
}

/** The candles one instrument really contributed (open times), against the requested range. */
export interface InstrumentCoverage {
  venue: string;
  symbol: string;
  firstCandle: number | null;
  lastCandle: number | null;
  candles: number;
  /** Candles missing between the first and the last (not counting before the first or after the last). */
  missing: number;
  gaps: number;
  /** The largest gaps, at most MAX_LISTED_GAPS, in time order. */
  largestGaps: DataGap[];
}

/** Follows the candles the strategy is shown, per instrument; bounded whatever the data. */
export class CoverageTracker {
  readonly #first: number[];
  readonly #last: number[];
  readonly #count: number[];
  readonly #missing: number[];
  readonly #gaps: number[];
  readonly #largest: DataGap[][];
  readonly #intervalMs: number;

  constructor(instruments: number, intervalMs: number) {
    this.#first = new Array<number>(instruments).fill(-1);
    this.#last = new Array<number>(instruments).fill(-1);
    this.#count = new Array<number>(instruments).fill(0);
    this.#missing = new Array<number>(instruments).fill(0);
    this.#gaps = new Array<number>(instruments).fill(0);
    this.#largest = Array.from({ length: instruments }, () => []);
    this.#intervalMs = intervalMs;
  }

  onCandle(k: number, openTime: number): void {
    const last = this.#last[k] as number;
    this.#count[k] = (this.#count[k] as number) + 1;
    this.#last[k] = openTime;
    if (last < 0) {
      this.#first[k] = openTime;
      return;
    }
    const missing = Math.round((openTime - last) / this.#intervalMs) - 1;
    if (missing <= 0) return;
    this.#missing[k] = (this.#missing[k] as number) + missing;
    this.#gaps[k] = (this.#gaps[k] as number) + 1;
    const list = this.#largest[k] as DataGap[];
    const gap = { from: last + this.#intervalMs, to: openTime, missing };
    if (list.length < MAX_LISTED_GAPS) list.push(gap);
    else {
      // Replace the smallest (the earliest among equals) when this one is larger.
      let min = 0;
      for (let i = 1; i < list.length; i++)
        if ((list[i] as DataGap).missing < (list[min] as DataGap).missing) min = i;
      if ((list[min] as DataGap).missing < missing) list[min] = gap;
    }
  }

  /** Candles seen so far on instrument k. */
  candles(k: number): number {
    return this.#count[k] as number;
  }

  list(instruments: readonly { venue: string; symbol: string }[]): InstrumentCoverage[] {
    return instruments.map((inst, k) => ({
      venue: inst.venue,
      symbol: inst.symbol,
      firstCandle: (this.#first[k] as number) < 0 ? null : (this.#first[k] as number),
      lastCandle: (this.#last[k] as number) < 0 ? null : (this.#last[k] as number),
      candles: this.#count[k] as number,
      missing: this.#missing[k] as number,
      gaps: this.#gaps[k] as number,
      largestGaps: [...(this.#largest[k] as DataGap[])].sort((a, b) => a.from - b.from),
    }));
  }
}

/** Notes on the data: an instrument without candles, a range only partly covered, gaps inside it. */
export function coverageNotes(
  coverage: readonly InstrumentCoverage[],
  range: { start: number; end: number; intervalMs: number },
  /** False when the run stopped early (failed, cancelled): the data's end then says nothing. */
  ranToTheEnd = true,
): ReportNote[] {
  const notes: ReportNote[] = [];
  const expected = Math.floor((range.end - range.start) / range.intervalMs);
  for (const c of coverage) {
    const name = `${c.venue} ${c.symbol}`;
    if (c.firstCandle === null || c.lastCandle === null) {
      notes.push({
        code: 'NO_DATA',
        message: `No candles of ${name} in the requested range.`,
        details: { expected },
      });
      continue;
    }
    const before = Math.max(0, Math.round((c.firstCandle - range.start) / range.intervalMs));
    const after = !ranToTheEnd
      ? 0
      : Math.max(0, Math.floor((range.end - (c.lastCandle + range.intervalMs)) / range.intervalMs));
    if (before > 0 || after > 0) {
      const parts: string[] = [];
      if (before > 0)
        parts.push(`starts ${describeSpan(c.firstCandle - range.start)} after the requested start`);
      if (after > 0)
        parts.push(
          `ends ${describeSpan(range.end - c.lastCandle - range.intervalMs)} before the requested end`,
        );
      notes.push({
        code: 'RANGE_NOT_COVERED',
        message: `The stored data of ${name} ${parts.join(' and ')}: ${c.candles} of ${expected} candles used.`,
        details: { candles: c.candles, expected, missingBefore: before, missingAfter: after },
      });
    }
    if (c.gaps > 0) {
      notes.push({
        code: 'DATA_GAPS',
        message: `${name} has ${c.gaps} gap${c.gaps === 1 ? '' : 's'} in its candles (${c.missing} missing); the strategy saw them as jumps.`,
        details: { gaps: c.gaps, missing: c.missing },
      });
    }
  }
  return notes;
}

/**
 * Warm-up: no order at all (often an indicator that never got enough candles), or a first order late in
 * the run (most of the data only filled the strategy's look-back).
 */
export function warmupNotes(firstOrderAfterCandles: number | null, candles: number): ReportNote[] {
  if (firstOrderAfterCandles === null) {
    return [
      {
        code: 'NO_ORDERS',
        message:
          `The strategy placed no orders over ${candles} candles. If it waits for an indicator (a slow ` +
          'moving average needs as many candles as its period), give it a longer range or a shorter interval.',
        details: { candles },
      },
    ];
  }
  if (candles > 0 && firstOrderAfterCandles > candles * LATE_FIRST_ORDER_SHARE) {
    return [
      {
        code: 'LATE_FIRST_ORDER',
        message:
          `The first order came after ${firstOrderAfterCandles} of ${candles} candles: most of the run ` +
          'went to warming up; a longer range gives the strategy more time to trade.',
        details: { firstOrderAfterCandles, candles },
      },
    ];
  }
  return [];
}

// ---- buy and hold ------------------------------------------------------------------------------------

export interface BuyAndHold {
  venue: string;
  symbol: string;
  /** The first instrument's price at the curve's first sample (its first open) and at the last. */
  startPrice: string;
  endPrice: string;
  startEquity: string;
  /** startEquity x endPrice / startPrice, half-even at 18 decimals; no fees. */
  endEquity: string;
  /** Per equity sample, [time, value]: floating point, for drawing only (endEquity is the exact figure). */
  curve: [number, number][];
}

const fmt = (u: bigint) => formatScaled(u, AMOUNT_SCALE);

/**
 * The whole start equity put in the first instrument at the first sample's price and held, without fees
 * or slippage (a reference line, not a strategy). The end value is exact: startEquity x endPrice /
 * startPrice in bigint units, half-even at 18 decimals. The curve is for drawing only: startEquity x
 * (price / startPrice) in floating point, once per distinct price (an exact division per sample cost as
 * much as a tenth of a 100,000-candle run). Null without equity or a price at the first sample.
 */
export function buyAndHold(
  instrument: { venue: string; symbol: string },
  times: readonly number[],
  prices: readonly (bigint | null)[],
  startEquity: bigint | null,
): BuyAndHold | null {
  let last: bigint | null = null;
  const marks: number[] = new Array(prices.length);
  for (let i = 0; i < prices.length; i++) {
    const p = prices[i] ?? null;
    if (p !== null) last = p;
    marks[i] = p === null ? Number.NaN : Number(p);
  }
  return buyAndHoldOfMarks(instrument, times, marks, prices[0] ?? null, last, startEquity);
}

/**
 * buyAndHold from what a run keeps per sample: the price as a double (Number of the amount units; NaN
 * for none), which is all the drawn curve reads (its value is a function of Number(price) alone), and
 * the exact prices at the first sample and the last one that had a price. Keeping a double instead of a
 * bigint per sample spares the run half a million long-lived bigints a year of 1m bars.
 */
export function buyAndHoldOfMarks(
  instrument: { venue: string; symbol: string },
  times: readonly number[],
  marks: readonly number[],
  firstPrice: bigint | null,
  lastPrice: bigint | null,
  startEquity: bigint | null,
): BuyAndHold | null {
  const p0 = firstPrice;
  if (startEquity === null || startEquity <= 0n || p0 === null || p0 <= 0n || times.length === 0) return null;
  const e0 = Number(fmt(startEquity));
  const p0n = Number(p0);
  const curve: [number, number][] = new Array(times.length);
  let last = p0n;
  let prev = Number.NaN;
  let value = 0;
  for (let i = 0; i < times.length; i++) {
    const m = marks[i] as number;
    const p = Number.isNaN(m) ? last : m;
    last = p;
    if (p !== prev) {
      prev = p;
      // p0n / p0n is exactly 1: a price equal to the start's (as a double) gives e0, as before.
      value = p === p0n ? e0 : e0 * (p / p0n);
    }
    curve[i] = [times[i] as number, value];
  }
  const end = lastPrice ?? p0;
  return {
    venue: instrument.venue,
    symbol: instrument.symbol,
    startPrice: fmt(p0),
    endPrice: fmt(end),
    startEquity: fmt(startEquity),
    endEquity: fmt(divRound(startEquity * end, p0, 'halfEven')),
    curve,
  };
}

// ---- trade totals ------------------------------------------------------------------------------------

export interface TradeTotals {
  trips: number;
  wins: number;
  losses: number;
  /** Sums in the quote currency, exact. */
  pnl: string;
  fees: string;
}

/** Totals of the round trips, summed as bigint units from their exact strings (never floats). */
export function tradeTotals(
  trips: readonly RoundTrip[],
  pnlUnits: readonly bigint[],
  feeUnits: readonly bigint[],
): TradeTotals {
  let pnl = 0n;
  let fees = 0n;
  let wins = 0;
  let losses = 0;
  for (let i = 0; i < trips.length; i++) {
    const p = pnlUnits[i] as bigint;
    pnl += p;
    fees += feeUnits[i] as bigint;
    if (p > 0n) wins++;
    else if (p < 0n) losses++;
  }
  return { trips: trips.length, wins, losses, pnl: fmt(pnl), fees: fmt(fees) };
}

export interface BacktestReport {
  notes: ReportNote[];
  coverage: InstrumentCoverage[];
  /** Candles (bars) the strategy had seen when its first order went out; null without orders. */
  firstOrderAfterCandles: number | null;
  buyAndHold: BuyAndHold | null;
  tradeTotals: TradeTotals;
}
