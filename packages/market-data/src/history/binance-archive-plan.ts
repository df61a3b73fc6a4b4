/**
 * Which Binance public archive file (data.binance.vision) covers a point of a 1m candle backfill.
 *
 * Layout (binance/binance-public-data README): one zip per symbol, interval and UTC month or day,
 *   /data/spot/monthly/klines/<SYMBOL>/1m/<SYMBOL>-1m-<YYYY>-<MM>.zip
 *   /data/spot/daily/klines/<SYMBOL>/1m/<SYMBOL>-1m-<YYYY>-<MM>-<DD>.zip
 * each with `<file>.CHECKSUM` beside it. Daily files appear the day after, monthly ones in the first days
 * of the next month: a file asked for too early answers 404 and its span is fetched by REST instead.
 *
 * Rule: a monthly file for a whole past month inside the range, a daily file for a whole past day inside
 * it, REST for the rest (a partial first or last day, today, a file known missing). Spans end on UTC day
 * boundaries, so after a partial first day the cursor is always at a day start.
 */

export const DAY_MS = 86_400_000;

export type ArchiveKind = 'monthly' | 'daily';

export type ArchiveSpan =
  | { kind: ArchiveKind; fromMs: number; toMs: number; path: string; fileName: string }
  | { kind: 'rest'; fromMs: number; toMs: number };

const pad = (n: number) => String(n).padStart(2, '0');

export function dayStart(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

export function monthStart(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

export function nextMonthStart(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** The archive path (after the base URL) of the 1m klines file of `venueSymbol` starting at `startMs`. */
export function klineArchivePath(
  kind: ArchiveKind,
  venueSymbol: string,
  startMs: number,
): { path: string; fileName: string } {
  const d = new Date(startMs);
  const ym = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}`;
  const date = kind === 'monthly' ? ym : `${ym}-${pad(d.getUTCDate())}`;
  const fileName = `${venueSymbol}-1m-${date}.zip`;
  return { path: `/data/spot/${kind}/klines/${venueSymbol}/1m/${fileName}`, fileName };
}

/**
 * The span holding `fromMs` (a whole minute) of the range [fromMs, toMs) at time `nowMs`. `unavailable`
 * says which archive paths are known missing or bad (they are skipped: monthly -> daily -> REST).
 */
export function archiveSpanAt(
  venueSymbol: string,
  fromMs: number,
  toMs: number,
  nowMs: number,
  unavailable: (path: string) => boolean = () => false,
): ArchiveSpan {
  const mStart = monthStart(fromMs);
  const mEnd = nextMonthStart(fromMs);
  if (fromMs === mStart && mEnd <= toMs && mEnd <= nowMs) {
    const file = klineArchivePath('monthly', venueSymbol, mStart);
    if (!unavailable(file.path)) return { kind: 'monthly', fromMs: mStart, toMs: mEnd, ...file };
  }
  const dStart = dayStart(fromMs);
  const dEnd = dStart + DAY_MS;
  if (fromMs === dStart && dEnd <= toMs && dEnd <= nowMs) {
    const file = klineArchivePath('daily', venueSymbol, dStart);
    if (!unavailable(file.path)) return { kind: 'daily', fromMs: dStart, toMs: dEnd, ...file };
  }
  return { kind: 'rest', fromMs, toMs: Math.min(toMs, dEnd) };
}

/** The whole plan of a range (for logs and tests): consecutive spans, archive files and REST parts. */
export function planArchive(
  venueSymbol: string,
  fromMs: number,
  toMs: number,
  nowMs: number,
  unavailable?: (path: string) => boolean,
): ArchiveSpan[] {
  const out: ArchiveSpan[] = [];
  for (let at = fromMs; at < toMs; ) {
    const span = archiveSpanAt(venueSymbol, at, toMs, nowMs, unavailable);
    const last = out[out.length - 1];
    // Adjacent REST parts are one span in the plan (they are fetched page by page either way).
    if (span.kind === 'rest' && last?.kind === 'rest') last.toMs = span.toMs;
    else out.push(span);
    at = span.toMs;
  }
  return out;
}
