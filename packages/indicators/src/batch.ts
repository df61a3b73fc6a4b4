import { indicatorCatalog } from './catalog.ts';
import { IndicatorInputError } from './errors.ts';
import { createIndicator, type IndicatorParams, parseIndicatorParams } from './registry.ts';
import type { IndicatorName } from './types.ts';

type Series = Float64Array | readonly number[];

export interface IndicatorSeries {
  readonly high?: Series;
  readonly low?: Series;
  readonly close: Series;
  readonly volume?: Series;
  /** Bar times in epoch ms; needed only by an anchored VWAP. */
  readonly time?: Series;
}

function checkLength(kind: string, name: string, s: Series | undefined, n: number, required: boolean): void {
  if (s === undefined) {
    if (required) throw new IndicatorInputError(`Indicator "${kind}" needs a ${name} series.`, { kind });
    return;
  }
  if (s.length !== n) {
    throw new IndicatorInputError(
      `Indicator "${kind}": the ${name} series has ${s.length} values but close has ${n}; they must be aligned.`,
      { kind },
    );
  }
}

/**
 * Runs the streaming indicator over whole series and returns each output aligned with the input (NaN during
 * warm-up). Built on the streaming classes on purpose: the batch and streaming forms cannot disagree.
 */
export function computeIndicator(
  kind: IndicatorName,
  params: IndicatorParams | undefined,
  series: IndicatorSeries,
): Record<string, Float64Array> {
  const valid = parseIndicatorParams(kind, params ?? {});
  const spec = indicatorCatalog[kind];
  const close = series.close;
  const n = close.length;
  const needsHl = spec.inputs !== 'close';
  checkLength(kind, 'high', series.high, n, needsHl);
  checkLength(kind, 'low', series.low, n, needsHl);
  checkLength(kind, 'volume', series.volume, n, spec.inputs === 'hlcv');
  checkLength(kind, 'time', series.time, n, kind === 'vwap' && (valid.anchorMs ?? 0) > 0);
  const high = series.high ?? close;
  const low = series.low ?? close;
  const volume = series.volume;
  const time = series.time;
  const ind = createIndicator(kind, valid);
  const outs = ind.outputs.map(() => new Float64Array(n));
  const width = outs.length;
  for (let i = 0; i < n; i++) {
    ind.push(
      high[i] as number,
      low[i] as number,
      close[i] as number,
      volume ? (volume[i] as number) : 0,
      time ? (time[i] as number) : undefined,
    );
    for (let j = 0; j < width; j++) (outs[j] as Float64Array)[i] = ind.value(j);
  }
  return Object.fromEntries(ind.outputs.map((name, j) => [name, outs[j] as Float64Array]));
}
