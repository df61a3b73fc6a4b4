// Reference computations in plain TypeScript, written from the textbook definitions and independently of
// the strategies, to say where a strategy must place its orders.

/** Simple moving average by summing the window each time; NaN until `period` values. */
export function smaSeries(values: readonly number[], period: number): number[] {
  return values.map((_, i) => {
    if (i + 1 < period) return Number.NaN;
    let sum = 0;
    for (let j = i + 1 - period; j <= i; j++) sum += values[j] ?? Number.NaN;
    return sum / period;
  });
}

/** Wilder's RSI: seed with the mean gain/loss of the first `period` changes, then smooth by 1/period. */
export function rsiSeries(closes: readonly number[], period: number): number[] {
  const out = closes.map(() => Number.NaN);
  let avgGain = 0;
  let avgLoss = 0;
  for (let i = 1; i < closes.length; i++) {
    const change = (closes[i] ?? 0) - (closes[i - 1] ?? 0);
    const gain = Math.max(change, 0);
    const loss = change < 0 ? -change : 0;
    if (i < period) {
      avgGain += gain;
      avgLoss += loss;
      continue;
    }
    if (i === period) {
      avgGain = (avgGain + gain) / period;
      avgLoss = (avgLoss + loss) / period;
    } else {
      avgGain = (avgGain * (period - 1) + gain) / period;
      avgLoss = (avgLoss * (period - 1) + loss) / period;
    }
    out[i] = avgLoss === 0 ? 100 : 100 - 100 / (1 + avgGain / avgLoss);
  }
  return out;
}

export interface Bands {
  middle: number;
  upper: number;
  lower: number;
}

/** Bollinger bands of one window: mean +- mult population standard deviations. */
export function bandsOf(window: readonly number[], mult: number): Bands {
  const mean = window.reduce((a, b) => a + b, 0) / window.length;
  const variance = window.reduce((a, b) => a + (b - mean) * (b - mean), 0) / window.length;
  const sd = Math.sqrt(variance);
  return { middle: mean, upper: mean + mult * sd, lower: mean - mult * sd };
}

export function bollingerSeries(closes: readonly number[], period: number, mult: number): (Bands | null)[] {
  return closes.map((_, i) => (i + 1 < period ? null : bandsOf(closes.slice(i + 1 - period, i + 1), mult)));
}
