import { build, type Histogram } from 'hdr-histogram-js';

/**
 * The shape every benchmark prints (one JSON line each, see shared/PERFORMANCE.md): throughput beside a
 * baseline measured in the same run, and their ratio, because absolute figures on this shared 2-core
 * machine prove little on their own.
 */
export interface BenchResult {
  bench: string;
  throughput: number;
  unit: string;
  p50_us: number;
  p99_us: number;
  baseline: number;
  baseline_name: string;
  ratio: number;
  notes?: string;
}

export function latencyHistogram(): Histogram {
  // Microseconds, 1 us to 60 s, 3 significant digits.
  return build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
}

export interface LoadResult {
  ops: number;
  seconds: number;
  histogram: Histogram;
}

/**
 * Runs `op` from `concurrency` concurrent loops for `seconds` (after `warmupSeconds` unrecorded), and
 * records each call's latency in microseconds.
 */
export async function closedLoop(
  op: () => Promise<unknown>,
  opts: { seconds: number; warmupSeconds: number; concurrency: number },
): Promise<LoadResult> {
  const warmEnd = performance.now() + opts.warmupSeconds * 1000;
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (performance.now() < warmEnd) await op();
    }),
  );
  const histogram = latencyHistogram();
  let ops = 0;
  const started = performance.now();
  const end = started + opts.seconds * 1000;
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        await op();
        histogram.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
        ops += 1;
      }
    }),
  );
  return { ops, seconds: (performance.now() - started) / 1000, histogram };
}

export function report(r: BenchResult): void {
  process.stdout.write(`${JSON.stringify(r)}\n`);
}

export function round(n: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Bench duration: BENCH_SECONDS overrides (CI smoke runs use 1). */
export function benchSeconds(defaultSeconds: number): number {
  const v = Number(process.env.BENCH_SECONDS);
  return Number.isFinite(v) && v > 0 ? v : defaultSeconds;
}
