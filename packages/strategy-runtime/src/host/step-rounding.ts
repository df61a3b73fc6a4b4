import { divRound, formatScaled, parseScaled, type RoundingMode, scaleOf } from '@qt/shared';

/** An instrument's tick or lot size as exact units: `units` x 10^-scale ("0.05" -> 5n at scale 2). */
export interface Step {
  units: bigint;
  scale: number;
}

export function parseStep(decimal: string): Step {
  const scale = scaleOf(decimal);
  const units = parseScaled(decimal, scale);
  if (units <= 0n) throw new RangeError(`A tick or lot size must be positive, not "${decimal}".`);
  return { units, scale };
}

/**
 * A double as the decimal a person wrote: the shortest string that reads back as the same double
 * (what `String(x)` prints), with the exponent expanded. On purpose not the double's exact binary
 * value: a strategy that computes 0.1 + 0.2 means 0.3, and the exact value of that double
 * (0.3000000000000000444...) or of 0.3 itself (0.2999999999999999888...) would round to the wrong tick.
 */
export function doubleToDecimal(x: number): string {
  const s = String(x);
  const e = s.indexOf('e');
  if (e < 0) return s;
  const exp = Number(s.slice(e + 1));
  let mantissa = s.slice(0, e);
  const negative = mantissa.startsWith('-');
  if (negative) mantissa = mantissa.slice(1);
  const dot = mantissa.indexOf('.');
  const digits = dot < 0 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1);
  const point = (dot < 0 ? mantissa.length : dot) + exp; // position of the point within `digits`
  let out: string;
  if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return negative ? `-${out}` : out;
}

/**
 * `x` rounded to a whole multiple of `step` with `mode`, as a canonical decimal string; null when `x`
 * is not a finite positive number or rounds to zero. Exact: one bigint division, no float arithmetic.
 * Rounding first to the step's scale and then to the step is the same as rounding once, for the
 * directed modes used here (floor of a floor is the floor).
 */
export function roundToStep(x: number, step: Step, mode: 'floor' | 'ceil'): string | null {
  if (!(x > 0) || x === Number.POSITIVE_INFINITY) return null;
  const m: RoundingMode = mode;
  const units = parseScaled(doubleToDecimal(x), step.scale, m);
  const steps = divRound(units, step.units, m);
  if (steps <= 0n) return null;
  return formatScaled(steps * step.units, step.scale);
}
