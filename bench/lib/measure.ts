import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { build, type Histogram } from 'hdr-histogram-js';

// A full collection between measured slices, so garbage (or a retained heap) left by one case is not
// collected on the next case's time. Works without `node --expose-gc`.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/**
 * The shape every benchmark prints (one JSON line each, prefixed `BENCH `; see BENCHMARKS.md): throughput
 * beside a baseline measured in the same run, and their ratio, because absolute figures on this shared
 * 2-core machine prove little on their own.
 */
export interface BenchResult {
  bench: string;
  throughput: number;
  unit: string;
  p50_us: number;
  p99_us: number;
  baseline: number;
  baseline_name: string;
  /** throughput / baseline throughput (1 = as fast as the baseline, 0.25 = four times slower). */
  ratio: number;
  /** Lowest and highest per-round ratio when the cases were run interleaved in rounds (noise gauge). */
  ratio_range?: [number, number];
  notes?: string;
}

/** Marks a result line in a benchmark's stdout, so scripts/bench.mjs can pick it out of the prose. */
export const RESULT_PREFIX = 'BENCH ';

export function latencyHistogram(): Histogram {
  // Microseconds, 1 us to 60 s, 3 significant digits.
  return build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  });
}

export interface LoadResult {
  ops: number;
  seconds: number;
  histogram: Histogram;
}

export interface LoadOptions<T> {
  seconds: number;
  warmupSeconds: number;
  concurrency: number;
  /**
   * The latency to record for one call, in ms, given what `op` resolved to and `performance.now()` when
   * the call started. Default: until `op` resolved. A bus bench uses it to record publish -> handler
   * rather than publish -> (handler and ack).
   */
  latencyOf?: (result: T, startedAt: number) => number;
}

/**
 * Runs `op` from `concurrency` concurrent loops for `seconds` (after `warmupSeconds` unrecorded), and
 * records each call's latency in microseconds. `concurrency` is the number of calls in flight at any
 * moment (a closed loop: a new call starts only when one finished), so latency includes the queueing
 * those calls cause each other (Little's law: latency ~ concurrency / throughput).
 */
export async function closedLoop<T>(op: () => Promise<T>, opts: LoadOptions<T>): Promise<LoadResult> {
  const warmEnd = performance.now() + opts.warmupSeconds * 1000;
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (performance.now() < warmEnd) await op();
    }),
  );
  const histogram = latencyHistogram();
  const latencyOf = opts.latencyOf;
  let ops = 0;
  const started = performance.now();
  const end = started + opts.seconds * 1000;
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        const result = await op();
        const ms = latencyOf ? latencyOf(result, t0) : performance.now() - t0;
        histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
        ops += 1;
      }
    }),
  );
  return { ops, seconds: (performance.now() - started) / 1000, histogram };
}

export interface Case {
  name: string;
  /** Runs one slice of load (typically `closedLoop`) for the given seconds. */
  run(seconds: number, warmupSeconds: number): Promise<LoadResult>;
}

export interface Compared {
  name: string;
  ops: number;
  seconds: number;
  throughput: number;
  histogram: Histogram;
  /** Throughput of each round, to compute per-round ratios. */
  perRound: number[];
}

/**
 * Runs every case for `seconds` in total, split over `rounds` interleaved rounds (A B C, A B C, ...), so
 * a slow spell of the shared machine hits all cases alike instead of whichever ran at that moment.
 * Histograms and op counts are merged across rounds. A full GC runs before each slice.
 */
export async function interleaved(
  cases: readonly Case[],
  opts: { seconds: number; rounds: number; warmupSeconds: number },
  onProgress?: (line: string) => void,
): Promise<Compared[]> {
  const out: Compared[] = cases.map((c) => ({
    name: c.name,
    ops: 0,
    seconds: 0,
    throughput: 0,
    histogram: latencyHistogram(),
    perRound: [],
  }));
  const slice = opts.seconds / opts.rounds;
  for (let r = 0; r < opts.rounds; r++) {
    for (const [i, c] of cases.entries()) {
      collectGarbage();
      const res = await c.run(slice, opts.warmupSeconds);
      const acc = out[i] as Compared;
      acc.ops += res.ops;
      acc.seconds += res.seconds;
      acc.histogram.add(res.histogram);
      acc.perRound.push(res.ops / res.seconds);
      res.histogram.destroy();
      onProgress?.(
        `  round ${r + 1}/${opts.rounds} ${c.name}: ${fmtRate(res.ops / res.seconds)}/s over ${res.seconds.toFixed(1)} s`,
      );
    }
  }
  for (const c of out) c.throughput = c.ops / c.seconds;
  return out;
}

/** A case's result against its baseline (both from the same `interleaved` run). */
export function against(c: Compared, base: Compared, unit: string, notes?: string): BenchResult {
  const ratios = c.perRound.map((t, i) => t / (base.perRound[i] ?? Number.NaN)).filter(Number.isFinite);
  return {
    bench: c.name,
    throughput: round(c.throughput),
    unit,
    p50_us: c.histogram.getValueAtPercentile(50),
    p99_us: c.histogram.getValueAtPercentile(99),
    baseline: round(base.throughput),
    baseline_name: base.name,
    ratio: round(c.throughput / base.throughput, 3),
    ...(ratios.length > 1
      ? { ratio_range: [round(Math.min(...ratios), 3), round(Math.max(...ratios), 3)] }
      : {}),
    ...(notes ? { notes } : {}),
  };
}

/** Prints one result as a machine-readable line (scripts/bench.mjs collects these). */
export function report(r: BenchResult): void {
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(r)}\n`);
}

/** A human-readable table of results, the same layout scripts/bench.mjs prints for the whole suite. */
export function table(results: readonly BenchResult[]): string {
  const rows = results.map((r) => [
    r.bench,
    `${fmtRate(r.throughput)} ${r.unit}`,
    fmtUs(r.p50_us),
    fmtUs(r.p99_us),
    r.baseline_name === r.bench ? '(baseline)' : `${fmtRate(r.baseline)} (${r.baseline_name})`,
    r.baseline_name === r.bench
      ? '1'
      : `${r.ratio}${r.ratio_range ? ` [${r.ratio_range[0]}-${r.ratio_range[1]}]` : ''}`,
  ]);
  const head = ['case', 'throughput', 'p50', 'p99', 'baseline', 'ratio [per round]'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function fmtRate(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return n.toFixed(0);
}

export function fmtUs(us: number): string {
  return us >= 10_000 ? `${(us / 1000).toFixed(1)} ms` : `${us} us`;
}

export function round(n: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Bench duration: BENCH_SECONDS overrides (CI smoke runs use 1). */
export function benchSeconds(defaultSeconds: number): number {
  return positiveEnv('BENCH_SECONDS') ?? defaultSeconds;
}

/** Interleaved rounds per comparison: BENCH_ROUNDS overrides. */
export function benchRounds(defaultRounds: number): number {
  const v = positiveEnv('BENCH_ROUNDS');
  return v === undefined ? defaultRounds : Math.max(1, Math.round(v));
}

/** Warm-up before each measured slice: a third of the slice, at most one second. */
export function warmupFor(seconds: number, rounds: number): number {
  return Math.min(1, seconds / rounds / 3);
}

function positiveEnv(name: string): number | undefined {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : undefined;
}
