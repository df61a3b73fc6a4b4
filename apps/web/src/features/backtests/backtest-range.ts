import type { StrategyInterval } from '@qt/shared';

export const intervalMs: Record<StrategyInterval, number> = {
  '1s': 1_000,
  '1m': 60_000,
  '5m': 300_000,
  '15m': 900_000,
  '1h': 3_600_000,
  '4h': 14_400_000,
  '1d': 86_400_000,
};

/** Candles a backtest may span in one run: beyond this the chart and the job both get slow. */
export const MAX_RANGE_CANDLES = 200_000;

export interface TimeRange {
  from: number;
  to: number;
}

/**
 * The default range: the last two hours up to the next whole minute. The demo engine stores simulator
 * data from its start, so a recent range is the one with candles in it.
 */
export function defaultRange(now: number, hours = 2): TimeRange {
  const to = Math.ceil(now / 60_000) * 60_000;
  return { from: to - hours * 3_600_000, to };
}

const pad = (n: number) => String(n).padStart(2, '0');

/** An `<input type="datetime-local">` value (local time, to the minute) for a timestamp. */
export function toLocalInput(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

const localInput = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

/** A datetime-local value back to a timestamp (local time), or null when it is not one. */
export function fromLocalInput(value: string): number | null {
  const m = localInput.exec(value.trim());
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map((x) => Number(x ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const date = new Date(y, mo - 1, d, h, mi, s);
  // Date rolls 2025-02-30 over into March: refuse a date that did not survive the round trip.
  if (date.getFullYear() !== y || date.getMonth() !== mo - 1 || date.getDate() !== d) return null;
  return date.getTime();
}

/** What is wrong with a range for `interval`, in words for the form, or null if it is fine. */
export function rangeProblem(range: TimeRange, interval: StrategyInterval, now: number): string | null {
  if (!(range.to > range.from)) return '"To" must be after "From".';
  if (range.from > now) return 'The range starts in the future: there is no stored data there yet.';
  const candles = Math.ceil((range.to - range.from) / intervalMs[interval]);
  if (candles < 2) return `The range holds less than two ${interval} candles.`;
  if (candles > MAX_RANGE_CANDLES)
    return `The range holds ${candles.toLocaleString('en-US')} ${interval} candles; pick a shorter range or a longer interval (at most ${MAX_RANGE_CANDLES.toLocaleString('en-US')}).`;
  return null;
}

/** The stored closed candles found for one instrument and interval (the newest page of them). */
export interface DataExtent {
  /** Open time of the oldest candle found and of the newest closed one. */
  first: number;
  last: number;
  candles: number;
  /** More candles exist before `first` (only the newest page was read). */
  more: boolean;
}

/** The extent of a page of candles (oldest first or not); null without a closed candle. */
export function extentOf(
  candles: readonly { openTime: number; closed: boolean }[],
  more: boolean,
): DataExtent | null {
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  let count = 0;
  for (const k of candles) {
    if (!k.closed) continue;
    count++;
    if (k.openTime < first) first = k.openTime;
    if (k.openTime > last) last = k.openTime;
  }
  return count === 0 ? null : { first, last, candles: count, more };
}

/**
 * A range fitting the stored data in whole minutes (the form's inputs hold minutes): inside it when that
 * keeps at least two candles (from the first whole minute at or after the oldest candle to the last at or
 * before the newest one's end, so the run does not start with a hole that only the rounding made), else
 * the whole minutes around it (a minute or two of 1s data). Null when even that holds under two candles.
 */
export function fitRange(extent: DataExtent, interval: StrategyInterval): TimeRange | null {
  const ms = intervalMs[interval];
  const from = Math.ceil(extent.first / 60_000) * 60_000;
  const to = Math.floor((extent.last + ms) / 60_000) * 60_000;
  if (to - from >= 2 * ms) return { from, to };
  const outer = {
    from: Math.floor(extent.first / 60_000) * 60_000,
    to: Math.ceil((extent.last + ms) / 60_000) * 60_000,
  };
  return extent.last + ms - extent.first >= 2 * ms ? outer : null;
}

/** Candles a default 1m range needs before 1m is the default interval (else 1s, where the data is). */
export const MIN_DEFAULT_CANDLES = 30;

/** The default interval for the data that exists: 1m once there are enough 1m candles, else 1s. */
export function defaultInterval(minuteExtent: DataExtent | null): StrategyInterval {
  return minuteExtent && minuteExtent.candles >= MIN_DEFAULT_CANDLES ? '1m' : '1s';
}
